"""The runtime registers user strategies from the configured folder at start-up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quantdesk.runtime import load_user_strategies
from quantdesk.strategies import get
from quantdesk.strategies.plugins import STRATEGIES_DIR_VARIABLE, discover_from_environment

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


@pytest.fixture(autouse=True)
def restore_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """load_user_strategies exports the folder; undo that after each test."""
    monkeypatch.delenv(STRATEGIES_DIR_VARIABLE, raising=False)


def test_load_user_strategies_registers_files_in_folder(tmp_path: Path) -> None:
    (tmp_path / "flat.py").write_text(PLUGIN, encoding="utf-8")
    assert load_user_strategies(tmp_path) == ["always_flat_for_runtime"]
    assert get("always_flat_for_runtime").description() == "Never trades."


def test_load_user_strategies_missing_folder_registers_nothing(tmp_path: Path) -> None:
    assert load_user_strategies(tmp_path / "absent") == []


def test_worker_processes_find_folder_through_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "flat_env.py").write_text(
        PLUGIN.replace("always_flat_for_runtime", "always_flat_from_environment"),
        encoding="utf-8",
    )
    load_user_strategies(tmp_path / "absent")
    assert os.environ[STRATEGIES_DIR_VARIABLE] == str((tmp_path / "absent").resolve())
    monkeypatch.setenv(STRATEGIES_DIR_VARIABLE, str(tmp_path))
    assert discover_from_environment() == ["always_flat_from_environment"]
