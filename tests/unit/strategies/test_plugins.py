"""Strategy plug-ins: files in a folder become registered strategies; bad files are reported."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from quantdesk.errors import ConfigurationError
from quantdesk.strategies import create, get
from quantdesk.strategies.builtin import SmaCross
from quantdesk.strategies.plugins import PluginError, discover
from quantdesk.strategies.registry import REGISTRY
from tests.fixtures.strategies import random_bars, write_plugin

GOOD = """
    import numpy as np
    from pydantic import BaseModel, Field

    from quantdesk.strategies import Signals, Strategy


    class Parameters(BaseModel):
        threshold: float = Field(1.0, gt=0)


    class AboveThreshold(Strategy[Parameters]):
        '''Buy while the close is above a threshold.'''

        name = "{name}"
        Parameters = Parameters

        def signals(self, bars):
            above = bars.close > self.params.threshold
            return Signals(entries=above, exits=~above)
"""


@pytest.fixture(autouse=True)
def registry_restored() -> Iterator[None]:
    before = dict(REGISTRY)
    yield
    REGISTRY.clear()
    REGISTRY.update(before)


def _discover(folder: Path) -> tuple[list[str], list[PluginError]]:
    errors: list[PluginError] = []
    return discover(folder, on_error=errors.append), errors


def test_discover_registers_strategies_of_each_file(tmp_path: Path) -> None:
    write_plugin(tmp_path, "above.py", GOOD.format(name="plugin_above"))
    names, errors = _discover(tmp_path)
    assert (names, errors) == (["plugin_above"], [])
    strategy = create("plugin_above", {"threshold": 50})
    assert strategy.signals(random_bars(50, seed=1)).entries.all()
    assert get("plugin_above").description() == "Buy while the close is above a threshold."


def test_discover_twice_registers_nothing_twice(tmp_path: Path) -> None:
    write_plugin(tmp_path, "above.py", GOOD.format(name="plugin_twice"))
    first, _ = _discover(tmp_path)
    second, errors = _discover(tmp_path)
    assert first == second == ["plugin_twice"]
    assert errors == []


def test_discover_keeps_decorated_and_skips_imported_and_abstract_classes(tmp_path: Path) -> None:
    write_plugin(
        tmp_path,
        "mixed.py",
        """
        from abc import abstractmethod

        from quantdesk.strategies import Strategy, register
        from quantdesk.strategies.builtin import SmaCross


        class Base(Strategy):
            @abstractmethod
            def threshold(self): ...


        @register
        class Decorated(Base):
            name = "plugin_decorated"

            def threshold(self):
                return 1

            def signals(self, bars):
                raise AssertionError
        """,
    )
    names, errors = _discover(tmp_path)
    assert (names, errors) == (["plugin_decorated"], [])
    assert get("sma_cross") is SmaCross


def test_syntax_error_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = write_plugin(tmp_path, "broken.py", "x = 1\ndef f(:\n    pass\n")
    write_plugin(tmp_path, "fine.py", GOOD.format(name="plugin_fine"))
    names, errors = _discover(tmp_path)
    assert names == ["plugin_fine"]
    assert [(error.file, error.line) for error in errors] == [(path, 2)]
    assert errors[0].message == f"{path} line 2: SyntaxError: invalid syntax"


def test_error_while_importing_names_the_failing_line(tmp_path: Path) -> None:
    path = write_plugin(tmp_path, "fails.py", "import math\n\nvalue = math.sqrt(-1)\n")
    _, errors = _discover(tmp_path)
    assert errors[0].message == f"{path} line 3: ValueError: math domain error"
    assert errors[0].details == {"file": str(path), "line": 3}


def test_exit_inside_a_plugin_does_not_stop_the_caller(tmp_path: Path) -> None:
    write_plugin(tmp_path, "quits.py", "raise SystemExit(3)\n")
    _, errors = _discover(tmp_path)
    assert errors[0].message.endswith("line 1: SystemExit: 3")


def test_duplicate_name_is_refused_and_builtin_kept(tmp_path: Path) -> None:
    path = write_plugin(tmp_path, "impostor.py", GOOD.format(name="sma_cross"))
    names, errors = _discover(tmp_path)
    assert names == []
    assert errors[0].message == (
        f"{path} line 11: a strategy named sma_cross is already registered; choose another name"
    )
    assert get("sma_cross") is SmaCross


def test_strategy_without_name_is_reported(tmp_path: Path) -> None:
    write_plugin(
        tmp_path,
        "nameless.py",
        """
        from quantdesk.strategies import Strategy


        class Nameless(Strategy):
            def signals(self, bars):
                raise AssertionError
        """,
    )
    _, errors = _discover(tmp_path)
    assert "line 4: strategy class Nameless has no name; add name" in errors[0].message


def test_private_files_are_left_alone(tmp_path: Path) -> None:
    write_plugin(tmp_path, "_helpers.py", "raise RuntimeError('must not be imported')\n")
    assert _discover(tmp_path) == ([], [])


def test_failures_are_logged_by_default(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_plugin(tmp_path, "fails.py", "raise RuntimeError('broken on purpose')\n")
    with caplog.at_level(logging.WARNING, logger="quantdesk.strategies.plugins"):
        assert discover(tmp_path) == []
    assert "fails.py line 1: RuntimeError: broken on purpose" in caplog.text


def test_missing_folder_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"strategies folder .*missing does not exist"):
        discover(tmp_path / "missing")
