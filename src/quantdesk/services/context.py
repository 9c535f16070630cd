"""The unit of work a request or job runs in: one session, one commit, then its events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from quantdesk.ports.bus import Bus
from quantdesk.ports.cache import Cache
from quantdesk.services.config import ServiceConfig

if TYPE_CHECKING:
    from quantdesk.db.models import User


@dataclass
class ServiceContext:
    """What a service call may touch. Services flush; the boundary calls ``commit``."""

    session: AsyncSession
    cache: Cache
    bus: Bus
    config: ServiceConfig
    client_address: str | None = None
    user_agent: str | None = None
    actor: User | None = None
    _events: list[tuple[str, bytes]] = field(default_factory=list)

    def publish_after_commit(self, channel: str, message: bytes) -> None:
        """Queue an event that goes out only once the transaction has committed."""
        self._events.append((channel, message))

    async def commit(self) -> None:
        """Commit the transaction, then publish what it queued."""
        await self.session.commit()
        events, self._events = self._events, []
        for channel, message in events:
            await self.bus.publish(channel, message)

    async def rollback(self) -> None:
        """Undo the transaction and drop its queued events."""
        self._events.clear()
        await self.session.rollback()
