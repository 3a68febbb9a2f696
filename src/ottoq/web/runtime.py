"""What the app holds at run time: the pool once the database is ready, settings, the clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg
from litestar import Request
from litestar.datastructures import State

from ottoq.context import Ctx
from ottoq.db.tx import in_transaction
from ottoq.errors import OttoqError

T = TypeVar("T")


class NotReady(OttoqError):
    status_code = 503


@dataclass
class Runtime:
    ctx: Ctx
    pool: asyncpg.Pool | None = None
    ready: bool = False
    background: list[Any] = field(default_factory=list)

    def require_pool(self) -> asyncpg.Pool:
        if self.pool is None or not self.ready:
            raise NotReady("the database is not reachable or not migrated yet")
        return self.pool

    async def tx(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Run `work` in one transaction that commits once, retried on deadlock."""
        return await in_transaction(self.require_pool(), work)


def runtime_of(state: State) -> Runtime:
    rt: Runtime = state.runtime
    return rt


def rt(request: Request[Any, Any, Any]) -> Runtime:
    return runtime_of(request.app.state)
