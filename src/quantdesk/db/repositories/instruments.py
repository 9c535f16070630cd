"""Queries on instruments: shared reference data, unique per (symbol, exchange)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, delete, exists, func, or_, select

from quantdesk.db.models import Bar, Instrument
from quantdesk.db.repositories.base import Paged, Repository

# built once: a statement made per call costs more to build than to run
_BY_SYMBOL = select(Instrument).where(
    Instrument.symbol == bindparam("symbol"), Instrument.exchange == bindparam("exchange")
)


class InstrumentRepository(Repository[Instrument]):
    """Look instruments up by symbol, list them with a text filter, and check for bars."""

    model = Instrument

    async def get_by_symbol(self, symbol: str, exchange: str) -> Instrument | None:
        """The instrument listed as ``symbol`` on ``exchange`` (already normalised), or None."""
        params = {"symbol": symbol, "exchange": exchange}
        found: Instrument | None = await self.session.scalar(_BY_SYMBOL, params)
        return found

    async def list_by_symbol(self, symbol: str) -> Sequence[Instrument]:
        """Every listing of ``symbol``, on any exchange, in exchange order."""
        statement = (
            select(Instrument).where(Instrument.symbol == symbol).order_by(Instrument.exchange)
        )
        return list(await self.session.scalars(statement))

    async def list_page(self, *, query: str | None, limit: int, offset: int) -> Paged[Instrument]:
        """Instruments by symbol then exchange, filtered by a symbol or name fragment."""
        statement = select(Instrument).order_by(Instrument.symbol, Instrument.exchange)
        if query:
            pattern = f"%{_escape_like(query.lower())}%"
            statement = statement.where(
                or_(
                    func.lower(Instrument.symbol).like(pattern, escape="\\"),
                    func.lower(Instrument.name).like(pattern, escape="\\"),
                )
            )
        return await self.page(statement, limit=limit, offset=offset)

    async def has_bars(self, instrument_id: int) -> bool:
        """Whether any bar is stored for the instrument."""
        statement = select(exists().where(Bar.instrument_id == instrument_id))
        return bool(await self.session.scalar(statement))

    async def delete(self, instrument: Instrument) -> None:
        """Delete the instrument with its bars (no foreign key cascades them, see ``Bar``)."""
        await self.session.execute(delete(Bar).where(Bar.instrument_id == instrument.id))
        await self.session.delete(instrument)
        await self.session.flush()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
