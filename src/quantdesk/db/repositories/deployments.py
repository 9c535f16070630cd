"""Queries on deployments: a user's strategies running on new bars, and their signals."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from quantdesk.db.models import Deployment, Signal, StrategyEvent
from quantdesk.db.repositories.base import Paged, Repository


class DeploymentRepository(Repository[Deployment]):
    """Owner-scoped lookups of deployments, and the rows a running one writes."""

    model = Deployment

    async def get_for_user(self, deployment_id: int, user_id: int) -> Deployment | None:
        """The user's deployment with this id; another user's is None."""
        statement = select(Deployment).where(
            Deployment.id == deployment_id, Deployment.user_id == user_id
        )
        return await self.session.scalar(statement)

    async def list_for_user(self, user_id: int, *, limit: int, offset: int) -> Paged[Deployment]:
        """The user's deployments, newest first."""
        statement = (
            select(Deployment).where(Deployment.user_id == user_id).order_by(Deployment.id.desc())
        )
        return await self.page(statement, limit=limit, offset=offset)

    async def running(self) -> Sequence[Deployment]:
        """Every user's deployments marked running, oldest first, to restart at start-up."""
        statement = select(Deployment).where(Deployment.status == "running").order_by(Deployment.id)
        return list(await self.session.scalars(statement))

    async def for_user_mode(self, user_id: int, mode: str) -> Sequence[Deployment]:
        """The user's deployments trading in ``mode``, oldest first."""
        statement = select(Deployment).where(Deployment.user_id == user_id, Deployment.mode == mode)
        return list(await self.session.scalars(statement.order_by(Deployment.id)))

    async def delete(self, deployment: Deployment) -> None:
        """Delete the deployment; its orders, trades and signals keep their rows."""
        await self.session.delete(deployment)
        await self.session.flush()

    async def add_signal(self, signal: Signal) -> Signal:
        """Store a signal the deployment acted on."""
        self.session.add(signal)
        await self.session.flush()
        return signal

    async def add_event(self, event: StrategyEvent) -> StrategyEvent:
        """Store something the deployment reports (a start, a refused order, a difference)."""
        self.session.add(event)
        await self.session.flush()
        return event

    async def events_for(self, deployment_id: int) -> Sequence[StrategyEvent]:
        """The deployment's events, oldest first."""
        statement = (
            select(StrategyEvent)
            .where(StrategyEvent.deployment_id == deployment_id)
            .order_by(StrategyEvent.id)
        )
        return list(await self.session.scalars(statement))
