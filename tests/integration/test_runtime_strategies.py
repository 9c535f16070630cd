"""The runtime registers user strategies from the configured folder at start-up."""

from __future__ import annotations

from pathlib import Path

from quantdesk.runtime import load_user_strategies
from quantdesk.strategies import get

PLUGIN = '''
from quantdesk.strategies import Signals, Strategy, register


@register
class AlwaysFlatForRuntime(Strategy):
    """Never trades."""

    name = "always_flat_for_runtime"

    def signals(self, bars):
        flat = bars.close != bars.close
        return Signals(entries=flat, exits=flat)
'''


def test_load_user_strategies_registers_files_in_folder(tmp_path: Path) -> None:
    (tmp_path / "flat.py").write_text(PLUGIN, encoding="utf-8")
    assert load_user_strategies(tmp_path) == ["always_flat_for_runtime"]
    assert get("always_flat_for_runtime").description() == "Never trades."


def test_load_user_strategies_missing_folder_registers_nothing(tmp_path: Path) -> None:
    assert load_user_strategies(tmp_path / "absent") == []
