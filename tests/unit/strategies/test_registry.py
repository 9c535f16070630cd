"""Strategies by name: listing, lookup, creation and unique names."""

from __future__ import annotations

from typing import Any

import pytest

from quantdesk.bars import Bars
from quantdesk.errors import ConflictError, NotFoundError
from quantdesk.strategies import Signals, Strategy, available, create, get, register
from quantdesk.strategies.builtin import SmaCross


def test_available_lists_builtins_with_parameter_schema() -> None:
    listed = {info.name: info for info in available()}
    assert {"sma_cross", "ema_cross"} <= set(listed)
    fast = listed["sma_cross"].parameters["properties"]["fast"]
    assert (fast["type"], fast["default"], fast["minimum"]) == ("integer", 10, 2)
    assert listed["ema_cross"].description.startswith("Trade the crossings")


def test_get_unknown_name_raises_not_found() -> None:
    with pytest.raises(NotFoundError, match="strategy missing was not found"):
        get("missing")


def test_create_builds_validated_instance() -> None:
    strategy = create("ema_cross", {"fast": 3, "slow": 9})
    assert (strategy.params.fast, strategy.params.slow) == (3, 9)


def test_register_refuses_a_taken_name() -> None:
    class Impostor(Strategy[Any]):
        name = "sma_cross"

        def signals(self, bars: Bars) -> Signals:
            raise AssertionError

    with pytest.raises(ConflictError, match="already registered"):
        register(Impostor)
    assert get("sma_cross") is SmaCross
