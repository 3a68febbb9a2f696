"""Which role the caller's key grants, so a page can show only what that role may do."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Request, get

from ottoq.web.auth import Role, key_from, role_for
from ottoq.web.docs import errors, ok
from ottoq.web.runtime import rt


class WhoAmI(msgspec.Struct):
    role: Literal["anon", "service"]


@get(
    "/functions/v1/ottoq-whoami",
    summary="The role of the presented key (keyless local mode acts as service)",
    responses={**ok(WhoAmI, "the caller's role"), **errors()},
)
async def whoami(request: Request[Any, Any, Any]) -> dict[str, str]:
    # The guard has already refused missing and wrong keys, so a role is always found here.
    role = role_for(rt(request).ctx.settings, key_from(request)) or Role.ANON
    return {"role": role.value}


ROUTES = [whoami]
