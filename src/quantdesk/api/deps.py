"""Dependencies shared by the routers: the runtime, the unit of work, the current user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from quantdesk.runtime import Runtime
from quantdesk.services.context import ServiceContext


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


async def get_context(request: Request, runtime: RuntimeDep) -> AsyncIterator[ServiceContext]:
    """One transaction per request, committed when the handler returns without error."""
    async with runtime.context(
        client_address=client_address(request),
        user_agent=request.headers.get("user-agent"),
    ) as ctx:
        yield ctx


ContextDep = Annotated[ServiceContext, Depends(get_context, scope="function")]
