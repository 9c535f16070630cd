"""The strategy contract: typed parameters in, signal arrays out, no look-ahead.

A strategy is a class with a Pydantic ``Parameters`` model (types, defaults and bounds,
which also give the JSON schema the API and the dashboard show) and a vectorised
:meth:`Strategy.signals` that turns a whole ``Bars`` history into :class:`Signals`.
The value at bar *i* may depend only on bars up to *i*; the backtest acts on it at the
next bar's open (or at bar *i*'s close), and the live runner acts on the last value.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar, cast

import numpy as np
import pydantic
from pydantic import BaseModel, ConfigDict

from quantdesk.bars import Bars
from quantdesk.errors import ValidationError

BoolArray = np.ndarray[tuple[int], np.dtype[np.bool_]]
FloatArray = np.ndarray[tuple[int], np.dtype[np.float64]]


class NoParameters(BaseModel):
    """The parameter model of a strategy that takes none."""

    model_config = ConfigDict(extra="forbid", frozen=True)


P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Signals:
    """One value per bar of what the strategy wants once that bar has closed.

    ``entries``/``exits`` open and close a long position; ``short_entries``/``short_exits``
    do the same for a short one and are used only when the backtest allows shorts.
    ``stop_loss``/``take_profit`` are optional absolute price levels read at the entry's
    signal bar (NaN means "use the backtest's option"); they stay fixed for the trade.
    """

    entries: BoolArray
    exits: BoolArray
    short_entries: BoolArray | None = None
    short_exits: BoolArray | None = None
    stop_loss: FloatArray | None = None
    take_profit: FloatArray | None = None

    def __post_init__(self) -> None:
        length = len(np.asarray(self.entries))
        for name in ("entries", "exits", "short_entries", "short_exits"):
            self._convert(name, np.bool_, length)
        for name in ("stop_loss", "take_profit"):
            self._convert(name, np.float64, length)

    def _convert(self, name: str, dtype: type[np.generic], length: int) -> None:
        values = getattr(self, name)
        if values is None:
            return
        array = np.ascontiguousarray(values, dtype=dtype)
        if array.ndim != 1 or len(array) != length:
            raise ValidationError(
                f"signals {name} must be one-dimensional with {length} values like entries, "
                f"got shape {array.shape}"
            )
        object.__setattr__(self, name, array)

    def __len__(self) -> int:
        return len(self.entries)


class Strategy(ABC, Generic[P]):
    """Base class of every strategy: subclass it, set ``name`` and ``Parameters``.

    Example:
        >>> from quantdesk.strategies import get
        >>> get("sma_cross")(fast=10, slow=30).params.slow
        30
    """

    name: ClassVar[str]
    Parameters: ClassVar[type[BaseModel]] = NoParameters
    params: P

    def __init__(
        self, params: Mapping[str, Any] | BaseModel | None = None, **overrides: Any
    ) -> None:
        self.params = cast(P, self.validate(params, **overrides))

    @classmethod
    def validate(
        cls, params: Mapping[str, Any] | BaseModel | None = None, **overrides: Any
    ) -> BaseModel:
        """Check parameters against the model, naming the parameter and its bound on failure."""
        values = dict(params.model_dump() if isinstance(params, BaseModel) else params or {})
        values.update(overrides)
        try:
            return cls.Parameters.model_validate(values)
        except pydantic.ValidationError as error:
            problem = error.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            message = str(problem["msg"]).removeprefix("Value error, ")
            raise ValidationError(
                f"{cls.name} parameter {where}: {message}" if where else f"{cls.name}: {message}",
                details={"parameter": where or None, "schema": cls.parameter_schema()},
            ) from None

    @classmethod
    def parameter_schema(cls) -> dict[str, Any]:
        """Return the JSON schema of the parameters, as the API and the dashboard show it."""
        return cls.Parameters.model_json_schema()

    @classmethod
    def description(cls) -> str:
        """Return the first line of the class docstring."""
        lines = (cls.__doc__ or "").strip().splitlines()
        return lines[0] if lines else ""

    @property
    def warmup(self) -> int:
        """Return how many leading bars can never carry a signal (indicator warm-up)."""
        return 0

    @abstractmethod
    def signals(self, bars: Bars) -> Signals:
        """Turn the whole history into signals; bar *i*'s value may use bars up to *i* only."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"
