"""Where webhooks may go: http(s) URLs whose host resolves to public addresses only.

A key holder must not be able to aim OTTO-Q at internal services (cloud metadata, the database,
admin ports). The URL is checked when a subscription is saved and again before every send, and
the send connects to the very address that was checked, so a name that changes what it resolves
to in between (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

from ottoq.errors import Invalid

MAX_URL_LENGTH = 2048
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Invalid):
    """A webhook URL that OTTO-Q will not send to."""


@dataclass(frozen=True)
class Target:
    """A checked destination: the URL with its host replaced by the address that was checked."""

    url: str
    host_header: str
    # The name TLS must verify the certificate against; None for plain http.
    server_name: str | None


def parse(url: str) -> httpx.URL:
    """The URL if it is one OTTO-Q can send to at all; Refused says why not."""
    if len(url) > MAX_URL_LENGTH:
        raise Refused(f"url is longer than {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise Refused(f"url is not a valid URL: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise Refused("url must be an absolute http:// or https:// URL")
    if parsed.userinfo:
        # Credentials in the URL would end up in logs and listings; use the signature instead.
        raise Refused("url must not carry a user name or password")
    return parsed


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast: not private, loopback, link-local, shared or reserved."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address a host name stands for (an address literal stands for itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Refused(f"url host {host} does not resolve: {exc.strerror}") from exc
    # Scope ids (fe80::1%eth0) are dropped; such addresses are link-local and refused anyway.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


async def check(url: str, allow_private: bool) -> Target:
    """The destination to connect to for `url`, or Refused when it is not allowed."""
    parsed = parse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = await resolve(parsed.host, port)
    if not addresses:
        raise Refused(f"url host {parsed.host} does not resolve")
    # Every address must pass: a name may resolve to a public and a private address at once.
    if not allow_private and not all(is_public(a) for a in addresses):
        raise Refused(
            f"url host {parsed.host} resolves to a private or loopback address; "
            "set OTTOQ_WEBHOOKS_ALLOW_PRIVATE=1 to allow that"
        )
    return Target(
        url=str(parsed.copy_with(host=str(addresses[0]))),
        host_header=parsed.netloc.decode("ascii"),
        server_name=parsed.host if parsed.scheme == "https" else None,
    )
