"""Making and keeping the key pair that `ottoq up` prints on first start."""

from __future__ import annotations

import ipaddress
import json
import secrets

from ottoq.settings import Settings

KEY_FILE = "keys.json"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def stored_keys(settings: Settings) -> Settings:
    """Settings with the keys of the environment, else of the data dir; none are made."""
    path = settings.data_dir / KEY_FILE
    if (settings.anon_key and settings.service_key) or not path.exists():
        return settings
    stored = json.loads(path.read_text())
    return settings.with_(
        anon_key=settings.anon_key or stored["anon_key"],
        service_key=settings.service_key or stored["service_key"],
    )


def ensure_keys(settings: Settings) -> Settings:
    """Settings with both keys: from the environment, else from (or new in) the data dir."""
    if settings.anon_key and settings.service_key:
        return settings
    path = settings.data_dir / KEY_FILE
    if path.exists():
        stored = json.loads(path.read_text())
    else:
        stored = {
            "anon_key": "ottoq_anon_" + secrets.token_urlsafe(24),
            "service_key": "ottoq_service_" + secrets.token_urlsafe(32),
        }
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored, indent=2))
        path.chmod(0o600)
    return settings.with_(
        anon_key=settings.anon_key or stored["anon_key"],
        service_key=settings.service_key or stored["service_key"],
    )
