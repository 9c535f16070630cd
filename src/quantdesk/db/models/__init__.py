"""Every model, imported here so that ``Base.metadata`` knows the whole schema."""

from quantdesk.db.models.activity import ActivityLog
from quantdesk.db.models.backtests import BacktestRun
from quantdesk.db.models.jobs import Job, ServiceTask
from quantdesk.db.models.market_data import Bar, IndicatorValue, Instrument
from quantdesk.db.models.ml import MlModel, TrainingJob
from quantdesk.db.models.order_counts import OrderRate, WorkingOrderCount
from quantdesk.db.models.portfolio import PnlSnapshot, Position, Target, Trade
from quantdesk.db.models.strategies import (
    Deployment,
    DeploymentBar,
    Signal,
    Strategy,
    StrategyEvent,
)
from quantdesk.db.models.trading import Fill, Order, RiskLock, TradingConfig
from quantdesk.db.models.user import RefreshToken, User, UserSettings

__all__ = [
    "ActivityLog",
    "BacktestRun",
    "Bar",
    "Deployment",
    "DeploymentBar",
    "Fill",
    "IndicatorValue",
    "Instrument",
    "Job",
    "MlModel",
    "Order",
    "OrderRate",
    "PnlSnapshot",
    "Position",
    "RefreshToken",
    "RiskLock",
    "ServiceTask",
    "Signal",
    "Strategy",
    "StrategyEvent",
    "Target",
    "Trade",
    "TradingConfig",
    "TrainingJob",
    "User",
    "UserSettings",
    "WorkingOrderCount",
]
