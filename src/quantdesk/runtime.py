"""The composition root: the one place that reads settings and picks concrete adapters."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from quantdesk.backtest.costs import Commission, Slippage
from quantdesk.brokers.ib import IbBroker
from quantdesk.brokers.paper import PaperBroker
from quantdesk.db.engine import create_engine, create_session_factory
from quantdesk.errors import ValidationError
from quantdesk.jobs.local import ProcessPoolExecutorAdapter
from quantdesk.jobs.registry import load_modules
from quantdesk.marketdata import synthetic, twelvedata, yahoo
from quantdesk.marketdata._http import VendorClient
from quantdesk.messaging.memory import MemoryBus, MemoryCache
from quantdesk.messaging.redis import RedisBus, RedisCache, connect_redis
from quantdesk.ports.broker import Broker
from quantdesk.ports.bus import Bus
from quantdesk.ports.cache import Cache
from quantdesk.ports.executor import Executor
from quantdesk.ports.market_data import MarketDataProvider
from quantdesk.resilience import CircuitBreaker, RetryPolicy
from quantdesk.services import broker_settings
from quantdesk.services.config import ServiceConfig
from quantdesk.services.context import ServiceContext
from quantdesk.services.job_runner import JobObserver, JobRunner, RunnerOptions
from quantdesk.services.paper_market import PaperMarket
from quantdesk.services.trading_runtime import BrokerFactory, ContextFactory
from quantdesk.settings import Settings
from quantdesk.strategies.plugins import STRATEGIES_DIR_VARIABLE, discover
from quantdesk.trading.fills import FillRules


class ClosableProvider(MarketDataProvider, Protocol):
    """A provider holding connections that the runtime releases at shutdown."""

    async def close(self) -> None: ...


@dataclass
class Runtime:
    """Long-lived resources shared by the API, the worker and the CLI."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    cache: Cache
    bus: Bus
    config: ServiceConfig
    providers: dict[str, ClosableProvider] = field(default_factory=dict)
    jobs: JobRunner | None = None
    started_at: float = field(default_factory=time.time)

    @asynccontextmanager
    async def context(
        self, *, client_address: str | None = None, user_agent: str | None = None
    ) -> AsyncIterator[ServiceContext]:
        """A unit of work: commits on success, rolls back on error."""
        async with self.sessions() as session:
            ctx = ServiceContext(
                session=session,
                cache=self.cache,
                bus=self.bus,
                config=self.config,
                client_address=client_address,
                user_agent=user_agent,
            )
            try:
                yield ctx
            except BaseException:
                await ctx.rollback()
                raise
            await ctx.commit()

    async def close(self) -> None:
        if self.jobs is not None:
            await self.jobs.stop()
        for provider in self.providers.values():
            await provider.close()
        await self.cache.close()
        await self.bus.close()
        await self.engine.dispose()


def build_runtime(settings: Settings) -> Runtime:
    """Create the engine, cache and bus that the settings ask for."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    load_modules(settings.job_handler_modules)
    engine = create_engine(
        settings.resolved_database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_recycle=settings.db_pool_recycle,
        echo=settings.db_echo,
    )
    load_user_strategies(settings.user_strategies_dir)
    cache: Cache
    bus: Bus
    if settings.redis_url:
        cache = RedisCache(connect_redis(settings.redis_url))
        bus = RedisBus(connect_redis(settings.redis_url))
    else:
        cache, bus = MemoryCache(), MemoryBus()
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=create_session_factory(engine),
        cache=cache,
        bus=bus,
        config=service_config(settings),
        providers=build_providers(settings),
    )


def load_user_strategies(folder: Path) -> list[str]:
    """Register the strategies in the user's folder; a broken file is logged, never fatal.

    The folder is also exported as ``QUANTDESK_STRATEGIES_DIR`` so that job worker processes,
    which inherit the environment, register the same strategies when they start.
    """
    os.environ[STRATEGIES_DIR_VARIABLE] = str(folder.resolve())
    return discover(folder) if folder.is_dir() else []


def build_executor(settings: Settings, *, workers: int | None = None) -> Executor:
    """A Dask client when a scheduler is configured, else a local process pool."""
    modules = settings.job_handler_modules
    if settings.dask_scheduler:
        from quantdesk.jobs.dask import DaskExecutor  # distributed takes ~1 s to import

        return DaskExecutor(settings.dask_scheduler, preload=modules)
    return ProcessPoolExecutorAdapter(workers or settings.job_workers, preload=modules)


def build_job_runner(
    runtime: Runtime, *, concurrency: int | None = None, observer: JobObserver | None = None
) -> JobRunner:
    """The runtime's job runner (not yet started), on the executor the settings choose."""
    settings = runtime.settings
    options = RunnerOptions(
        handler_modules=tuple(settings.job_handler_modules),
        concurrency=concurrency,
        heartbeat_seconds=settings.job_heartbeat_seconds,
        stale_after_seconds=settings.job_stale_after_seconds,
    )
    executor = build_executor(settings, workers=concurrency)
    runtime.jobs = JobRunner(runtime.context, executor, runtime.bus, options, observer)
    return runtime.jobs


@asynccontextmanager
async def embedded_jobs(
    runtime: Runtime, *, observer: JobObserver | None = None, grace_seconds: float = 0.0
) -> AsyncIterator[JobRunner | None]:
    """Run jobs inside this process for the duration, if ``run_jobs_in_api`` asks for it.

    On the way out, jobs still running are put back in the queue at once (after
    ``grace_seconds``), so stopping the API is never held up by a long sweep.
    """
    if not runtime.settings.run_jobs_in_api:
        yield None
        return
    runner = build_job_runner(runtime, observer=observer)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop(grace_seconds=grace_seconds)
        runtime.jobs = None


def build_providers(settings: Settings) -> dict[str, ClosableProvider]:
    """The data providers users can fetch from, each vendor with its own retries and breaker.

    ``synthetic`` invents a fixed, seeded history per symbol: demos and tests fetch from it
    without a network.
    """
    return {
        synthetic.NAME: synthetic.SyntheticProvider(),
        yahoo.NAME: yahoo.YahooProvider(_vendor_client(settings, yahoo.NAME, yahoo.BASE_URL)),
        twelvedata.NAME: twelvedata.TwelveDataProvider(
            _vendor_client(settings, twelvedata.NAME, twelvedata.BASE_URL),
            settings.twelvedata_api_key,
        ),
    }


def _vendor_client(settings: Settings, name: str, base_url: str) -> VendorClient:
    breaker = CircuitBreaker(
        name,
        failure_threshold=settings.provider_breaker_failures,
        reset_seconds=settings.provider_breaker_reset_seconds,
    )
    policy = RetryPolicy(max_retries=settings.provider_max_retries)
    return VendorClient(
        name,
        base_url=base_url,
        timeout_seconds=settings.provider_timeout_seconds,
        policy=policy,
        breaker=breaker,
    )


def service_config(settings: Settings) -> ServiceConfig:
    return ServiceConfig(
        secret_key=settings.secret(),
        access_token_minutes=settings.access_token_minutes,
        refresh_token_days=settings.refresh_token_days,
        login_attempts_per_address=settings.login_attempts_per_address,
        login_attempts_per_account=settings.login_attempts_per_account,
        login_window_seconds=settings.login_window_seconds,
        allow_registration=settings.allow_registration,
        max_upload_bytes=settings.max_upload_mb * 1024 * 1024,
        quote_ttl_seconds=settings.quote_ttl_seconds,
    )


@dataclass(frozen=True, slots=True)
class LiveConnection:
    """Where a user's live broker is reached: their saved credentials over the server's."""

    host: str
    port: int
    client_id: int
    account: str


LiveBrokerMaker = Callable[[LiveConnection], Broker]


def ib_broker(connection: LiveConnection) -> Broker:
    """An Interactive Brokers adapter for one user's TWS or IB Gateway."""
    return IbBroker(
        host=connection.host,
        port=connection.port,
        client_id=connection.client_id,
        account=connection.account,
    )


def paper_rules(settings: Settings) -> FillRules:
    """The paper broker's costs: ``QUANTDESK_PAPER_COMMISSION`` and ``_SLIPPAGE_BPS``."""
    return FillRules(
        commission=Commission(settings.paper_commission),
        slippage=Slippage(bps=settings.paper_slippage_bps),
    )


def build_broker_factory(
    settings: Settings,
    contexts: ContextFactory,
    *,
    market: PaperMarket | None = None,
    live_brokers: Mapping[str, LiveBrokerMaker] | None = None,
) -> BrokerFactory:
    """Make each user's broker: a paper account on the configured costs, or the live broker.

    Paper brokers fill by ``paper_rules`` and ``QUANTDESK_PAPER_PARTICIPATION``; with a
    ``market``, their orders also meet the prices running feeds publish. Live mode builds the
    broker ``QUANTDESK_LIVE_BROKER`` names from the user's saved broker settings, any field
    left out taken from ``QUANTDESK_IB_*``. ``live_brokers`` replaces the adapters by name.

    Raises (from the factory):
        ValidationError: Live trading is off on this server, or the user has not saved a
            connection to the live broker (``LiveBrokerNotConfiguredError``), or a saved
            field is malformed; each names what to set.
    """
    makers = dict(live_brokers or {"ib": ib_broker})

    async def make(user_id: int, mode: str, ctx: ServiceContext | None) -> Broker:
        if mode == "paper":
            return _paper_broker(settings, market)
        if settings.live_broker == "none":
            raise ValidationError(
                "mode: live trading is off on this server (QUANTDESK_LIVE_BROKER=none); "
                "use 'paper', or ask the operator to set QUANTDESK_LIVE_BROKER=ib",
                details={"field": "mode"},
            )
        if ctx is not None:
            saved = await broker_settings.live_credentials(ctx, user_id, settings.live_broker)
        else:
            async with contexts() as own:
                saved = await broker_settings.live_credentials(own, user_id, settings.live_broker)
        return makers[settings.live_broker](live_connection(settings, saved))

    return make


def _paper_broker(settings: Settings, market: PaperMarket | None) -> Broker:
    broker = PaperBroker(
        paper_rules(settings), participation=settings.paper_participation, stream_answers=False
    )
    if market is not None:
        broker.on_accept = partial(market.watch, broker)
    return broker


def live_connection(settings: Settings, saved: Mapping[str, str]) -> LiveConnection:
    """The user's saved ``host``, ``port``, ``client_id`` and ``account`` over the server's.

    Raises:
        ValidationError: ``port`` or ``client_id`` is not a whole number in range.
    """
    return LiveConnection(
        host=saved.get("host") or settings.ib_host,
        port=_whole(saved, "port", settings.ib_port, 1, 65535),
        client_id=_whole(saved, "client_id", settings.ib_client_id, 0, 2**31 - 1),
        account=saved.get("account") or settings.ib_account,
    )


def _whole(saved: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = saved.get(name)
    if not text:
        return default
    if not text.strip().isdigit() or not low <= int(text) <= high:
        raise ValidationError(
            f"credentials.{name}: must be a whole number from {low} to {high}, got {text!r}; "
            "save it again with PUT /api/v1/settings/broker",
            details={"field": f"credentials.{name}"},
        )
    return int(text)
