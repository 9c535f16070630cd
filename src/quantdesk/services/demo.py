"""The demo account and demo market data: created once so a new installation can be tried."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from quantdesk.db.repositories.bars import BarRepository
from quantdesk.db.repositories.instruments import InstrumentRepository
from quantdesk.db.repositories.users import UserRepository
from quantdesk.marketdata.synthetic import SyntheticSpec, seed_of, synthetic_bars
from quantdesk.services import market_data, users
from quantdesk.services.context import ServiceContext
from quantdesk.services.market_data import ImportSummary

DEMO_FULL_NAME = "Demo Trader"
DEMO_PASSWORD_BYTES = 12
DEMO_EXCHANGE = "DEMO"
# Symbol, starting price, annual drift and volatility: a calm, a trending and a wild series.
DEMO_SYMBOLS = (
    ("ACME", 120.0, 0.08, 0.22),
    ("GLOBEX", 45.0, 0.15, 0.35),
    ("INITECH", 310.0, -0.02, 0.18),
    ("HOOLI", 15.0, 0.30, 0.70),
)
DEMO_START = datetime(2023, 1, 2, tzinfo=UTC)
DEMO_HOURS = 2 * 365 * 24


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    """The demo user's login, shown once when it is created."""

    email: str
    password: str

    def __repr__(self) -> str:
        return f"DemoCredentials(email={self.email!r}, password='**********')"


async def ensure_demo_user(ctx: ServiceContext, *, email: str) -> DemoCredentials | None:
    """Create the demo user unless it exists.

    The password is random per installation, so no shared default ever grants access.

    Returns:
        The new credentials, or None when the user already existed (its password is then
        not known here and is never reset).
    """
    if await UserRepository(ctx.session).get_by_email(users.normalize_email(email)) is not None:
        return None
    password = secrets.token_urlsafe(DEMO_PASSWORD_BYTES)
    await users.create_user(ctx, email=email, password=password, full_name=DEMO_FULL_NAME)
    return DemoCredentials(email=email, password=password)


async def ensure_demo_data(ctx: ServiceContext) -> list[ImportSummary]:
    """Store the demo symbols at 1h and 1d unless they are stored already.

    The daily bars are the hourly ones resampled, so both timeframes tell the same story.

    Returns:
        One summary per timeframe stored now; empty when everything existed.
    """
    summaries: list[ImportSummary] = []
    for symbol, price, drift, volatility in DEMO_SYMBOLS:
        if await _has_demo_bars(ctx, symbol):
            continue
        spec = SyntheticSpec(
            symbol,
            "1h",
            DEMO_START,
            bars=DEMO_HOURS,
            seed=seed_of(symbol),
            initial_price=price,
            drift=drift,
            volatility=volatility,
        )
        hourly = synthetic_bars(spec)
        for bars in (hourly, hourly.resample("1d")):
            summaries.append(
                await market_data.store_bars(ctx, symbol, bars, exchange=DEMO_EXCHANGE)
            )
    return summaries


async def _has_demo_bars(ctx: ServiceContext, symbol: str) -> bool:
    instrument = await InstrumentRepository(ctx.session).get_by_symbol(symbol, DEMO_EXCHANGE)
    if instrument is None:
        return False
    stored = await BarRepository(ctx.session).timeframes(instrument.id)
    return {"1h", "1d"} <= set(stored)
