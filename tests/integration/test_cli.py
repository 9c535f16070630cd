"""The ``quantdesk`` command as an operator uses it, on a throwaway SQLite database."""

from __future__ import annotations

import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from quantdesk import __version__
from quantdesk.cli import app
from quantdesk.cli import serve as serving
from quantdesk.db import migrate
from tests.fixtures.cli import isolate_cli

PASSWORD = "correct-horse-battery"


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return isolate_cli(monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per module; tests get copies, since migrating takes seconds."""
    template = tmp_path_factory.mktemp("cli-template") / "template.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{template.as_posix()}")
    return template


@pytest.fixture
def migrated(database: Path, migrated_template: Path) -> Path:
    shutil.copyfile(migrated_template, database)
    return database


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def role_of(database: Path, email: str) -> str | None:
    with sqlite3.connect(database) as connection:
        row = connection.execute("SELECT role FROM users WHERE email = ?", (email,)).fetchone()
    return None if row is None else str(row[0])


def test_version_prints_installed_version() -> None:
    result = invoke("version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"quantdesk {__version__}"


def test_python_dash_m_runs_the_same_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "quantdesk", "version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"quantdesk {__version__}"


def test_db_upgrade_fresh_database_reaches_head(database: Path) -> None:
    result = invoke("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"revision {migrate.head()}" in result.stdout
    current = invoke("db", "current")
    assert f"{migrate.head()}, up to date" in current.stdout.splitlines()


def test_db_downgrade_to_base_reports_behind(migrated: Path) -> None:
    result = invoke("db", "downgrade", "base")
    assert result.exit_code == 0, result.output
    assert "revision base" in result.stdout
    current = invoke("db", "current")
    assert f"base, behind (head is {migrate.head()})" in current.stdout.splitlines()


def test_db_upgrade_unreachable_database_exits_1_without_password(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql+asyncpg://quantdesk:hunter2-cli-secret@127.0.0.1:1/quantdesk"
    monkeypatch.setenv("QUANTDESK_DATABASE_URL", url)
    result = invoke("db", "upgrade")
    assert result.exit_code == 1
    assert "cannot use the database at" in result.stderr
    assert "hunter2" not in result.output


def test_users_create_without_admin_makes_a_user(migrated: Path) -> None:
    result = invoke("users", "create", "Ann@Example.com", "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    assert "Created user ann@example.com" in result.stdout
    assert role_of(migrated, "ann@example.com") == "user"


def test_users_create_with_admin_flag_grants_admin_role(migrated: Path) -> None:
    result = invoke("users", "create", "root@example.com", "--password", PASSWORD, "--admin")
    assert result.exit_code == 0, result.output
    assert role_of(migrated, "root@example.com") == "admin"


def test_users_create_password_prompt_asks_twice(migrated: Path) -> None:
    result = CliRunner().invoke(
        app, ["users", "create", "bo@example.com"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert role_of(migrated, "bo@example.com") == "user"
    assert PASSWORD not in result.output


def test_users_create_duplicate_email_exits_1_naming_it(migrated: Path) -> None:
    assert invoke("users", "create", "dup@example.com", "--password", PASSWORD).exit_code == 0
    result = invoke("users", "create", "DUP@example.com", "--password", PASSWORD)
    assert result.exit_code == 1
    assert "dup@example.com already exists" in result.stderr
    assert "Traceback" not in result.output


def test_users_create_short_password_exits_1_naming_the_rule(migrated: Path) -> None:
    result = invoke("users", "create", "short@example.com", "--password", "abc")
    assert result.exit_code == 1
    assert "password must be" in result.stderr
    assert role_of(migrated, "short@example.com") is None


def test_demo_first_run_shows_and_stores_password_once(migrated: Path, tmp_path: Path) -> None:
    first = invoke("demo")
    assert first.exit_code == 0, first.output
    shown = re.search(r"password: (\S+)", first.stdout)
    assert shown is not None
    stored = tmp_path / "var" / "demo-credentials.txt"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert f"password: {shown.group(1)}" in stored.read_text(encoding="utf-8")
    assert role_of(migrated, "demo@quantdesk.local") == "user"


def test_demo_second_run_prints_no_new_password(migrated: Path, tmp_path: Path) -> None:
    assert invoke("demo").exit_code == 0
    stored = (tmp_path / "var" / "demo-credentials.txt").read_text(encoding="utf-8")
    second = invoke("demo")
    assert second.exit_code == 0, second.output
    assert "password:" not in second.stdout
    assert "demo-credentials.txt" in second.stdout
    assert (tmp_path / "var" / "demo-credentials.txt").read_text(encoding="utf-8") == stored


@pytest.mark.parametrize(
    "command",
    [
        ["serve"],
        ["db", "upgrade"],
        ["db", "current"],
        ["users", "create", "x@example.com", "--password", PASSWORD],
        ["demo"],
    ],
    ids=" ".join,
)
def test_bad_setting_exits_2_with_one_line_naming_it(
    database: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("QUANTDESK_PORT", "abc")
    result = invoke(*command)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "QUANTDESK_PORT" in lines[0]
    assert result.stdout == ""


def test_production_without_secret_exits_2_before_serving(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(serving.uvicorn, "run", lambda *a, **k: calls.append(k))
    monkeypatch.setenv("QUANTDESK_ENV", "production")
    monkeypatch.delenv("QUANTDESK_SECRET_KEY")
    result = invoke("serve")
    assert result.exit_code == 2
    assert "QUANTDESK_SECRET_KEY" in result.stderr
    assert calls == []


def test_serve_options_override_settings(monkeypatch: pytest.MonkeyPatch, database: Path) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(serving.uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    monkeypatch.setenv("QUANTDESK_WORKERS", "3")
    result = invoke("serve", "--host", "127.0.0.2", "--port", "9123")
    assert result.exit_code == 0, result.output
    ((args, options),) = calls
    assert args == (serving.APP_FACTORY,)
    assert options["factory"] is True
    assert (options["host"], options["port"], options["workers"]) == ("127.0.0.2", 9123, 3)
    assert "http://127.0.0.2:9123" in result.stdout


def test_serve_reload_runs_a_single_worker(monkeypatch: pytest.MonkeyPatch, database: Path) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(serving.uvicorn, "run", lambda *a, **k: calls.append(k))
    result = invoke("serve", "--reload", "--workers", "4")
    assert result.exit_code == 0, result.output
    assert calls[0]["reload"] is True
    assert calls[0]["workers"] == 1


def test_serve_sends_websocket_frames_uncompressed(
    monkeypatch: pytest.MonkeyPatch, database: Path
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(serving.uvicorn, "run", lambda *a, **k: calls.append(k))
    result = invoke("serve")
    assert result.exit_code == 0, result.output
    assert calls[0]["ws_per_message_deflate"] is False
