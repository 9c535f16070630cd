"""The FastAPI application factory, a composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI

from quantdesk import __version__
from quantdesk.api.errors import install_error_handlers
from quantdesk.api.heap import settle_heap
from quantdesk.api.job_metrics import job_metrics
from quantdesk.api.middleware import install_middleware
from quantdesk.api.routers import (
    admin,
    auth,
    backtests,
    broker_settings,
    deployments,
    health,
    indicators,
    instruments,
    jobs,
    market_data_fetch,
    market_data_quality,
    optimizations,
    orders,
    pnl,
    positions,
    quotes,
    strategies,
    strategy_types,
    trades,
    trading,
    users,
)
from quantdesk.api.routers import market_data as market_data_routes
from quantdesk.api.static import install_static
from quantdesk.api.websocket import install as install_websocket
from quantdesk.bars import Bars
from quantdesk.logs import configure_logging
from quantdesk.marketdata.feeds.replay import ReplayFeed
from quantdesk.marketdata.feeds.synthetic import SyntheticFeed
from quantdesk.ports.market_data import LiveFeed
from quantdesk.runtime import (
    LiveBrokerMaker,
    Runtime,
    build_broker_factory,
    build_runtime,
    embedded_jobs,
)
from quantdesk.services import trading_metrics
from quantdesk.services.deployment_runner import DeploymentRunner
from quantdesk.services.deployments import FeedSpec
from quantdesk.services.paper_market import PaperMarket
from quantdesk.services.reconciler import Reconciler
from quantdesk.services.trading_runtime import TradingEngine
from quantdesk.settings import Settings, load_settings

TAGS = [
    {"name": "auth", "description": "Register, log in, rotate and revoke tokens."},
    {"name": "users", "description": "The signed-in user's profile."},
    {"name": "admin", "description": "User administration (admin role only)."},
    {"name": "health", "description": "Liveness, readiness, details and Prometheus metrics."},
    {"name": "instruments", "description": "Symbols per exchange: shared reference data."},
    {"name": "market-data", "description": "Import, generate and read bars (JSON, CSV, Arrow)."},
    {"name": "indicators", "description": "The indicator registry and computed values."},
    {"name": "jobs", "description": "Background jobs: progress, results and cancellation."},
    {"name": "strategies", "description": "Saved strategies and the strategy type registry."},
    {"name": "backtests", "description": "Backtest runs: status, metrics, trades and equity."},
    {"name": "optimizations", "description": "Grid, Optuna and walk-forward searches."},
    {"name": "orders", "description": "Orders through risk to the broker; idempotent ids."},
    {"name": "positions", "description": "Net holdings with exact cost basis and P&L."},
    {"name": "trades", "description": "Round trips from entry to exit."},
    {"name": "pnl", "description": "Equity, cash and daily P&L."},
    {"name": "trading", "description": "Risk limits, kill switch, protections, broker."},
    {"name": "deployments", "description": "Strategies running on new bars, paper or live."},
    {"name": "realtime", "description": "The WebSocket stream of live events (docs/realtime.md)."},
]


def create_app(
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    *,
    live_brokers: Mapping[str, LiveBrokerMaker] | None = None,
) -> FastAPI:
    """Build the application; the runtime is created at start-up unless one is given.

    ``live_brokers`` replaces live adapters by name (``ib``), for a test's stand-in TWS.
    """
    settings = settings or load_settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = runtime or build_runtime(settings)
        contexts = app.state.runtime.context
        app.state.paper_market = PaperMarket(
            app.state.runtime.bus, tuple(settings.paper_bar_timeframes)
        )
        factory = build_broker_factory(
            settings, contexts, market=app.state.paper_market, live_brokers=live_brokers
        )
        app.state.trading = TradingEngine(contexts, factory)
        app.state.deployments = DeploymentRunner(
            contexts, app.state.trading, _feed_factory, settings.live_broker != "none"
        )
        app.state.reconciler = Reconciler(
            app.state.runtime.context, app.state.trading, settings.reconcile_interval_seconds
        )
        try:
            async with embedded_jobs(app.state.runtime, observer=job_metrics(app)):
                await app.state.reconciler.start_up()
                await app.state.deployments.restore()
                app.state.reconciler.start()
                if settings.env != "test":
                    settle_heap()
                yield
        finally:
            await app.state.reconciler.close()
            await app.state.deployments.close()
            await app.state.trading.close()
            await app.state.paper_market.close()
            if runtime is None:
                await app.state.runtime.close()

    app = FastAPI(
        title="QuantDesk",
        version=__version__,
        summary="Self-hosted algorithmic trading: data, indicators, backtests, live trading.",
        openapi_tags=TAGS,
        lifespan=lifespan,
        generate_unique_id_function=lambda route: (
            f"{route.tags[0]}-{route.name}" if route.tags else route.name
        ),
        swagger_ui_parameters={"persistAuthorization": True},
    )
    app.state.settings = settings
    install_error_handlers(app)
    install_middleware(app, settings)
    app.state.metrics.register(trading_metrics.REGISTRY)
    # routes are matched one by one in this order: trading's, sent at the highest rates, first
    for module in (orders, positions, trades, pnl, trading, broker_settings, deployments):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(health.router)
    for router in (auth.router, users.router, admin.router, jobs.router):
        app.include_router(router, prefix="/api/v1")
    for router in (instruments.router, market_data_routes.router):
        app.include_router(router, prefix="/api/v1")
    market_data = (market_data_fetch, market_data_quality, quotes, indicators)
    for module in market_data:
        app.include_router(module.router, prefix="/api/v1")
    for module in (strategy_types, strategies, backtests, optimizations):
        app.include_router(module.router, prefix="/api/v1")
    install_websocket(app, settings)
    install_static(app)
    return app


def _feed_factory(spec: FeedSpec, history: Mapping[str, Bars]) -> LiveFeed:
    """Stored bars replayed with their own times, or a synthetic walk, at the spec's speed."""
    if spec.kind == "replay":
        return ReplayFeed(history, speed=spec.speed, live_time=False)
    return SyntheticFeed(speed=spec.speed)
