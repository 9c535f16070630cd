import os
import stat
from pathlib import Path

import pytest

from quantdesk.errors import ConfigurationError
from quantdesk.settings import Settings, load_settings

LONG_SECRET = "a-production-secret-that-is-long-enough-0123456789"
POSTGRES_URL = "postgresql+asyncpg://trader:pa55word@db.internal:5432/quantdesk"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Start each test with no QuantDesk variables and no .env in the working directory."""
    for name in list(os.environ):
        if name.startswith("QUANTDESK_") or name in ("DATABASE_URL", "REDIS_URL"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def production(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "production",
        "secret_key": LONG_SECRET,
        "database_url": POSTGRES_URL,
    }
    return load_settings(**(values | overrides))


def test_settings_prefixed_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUANTDESK_PORT", "9001")
    monkeypatch.setenv("QUANTDESK_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("QUANTDESK_CORS_ORIGINS", '["https://desk.example.com"]')
    settings = Settings()
    assert settings.port == 9001
    assert settings.log_level == "DEBUG"
    assert settings.cors_origins == ["https://desk.example.com"]


def test_settings_unprefixed_variable_other_than_urls_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORT", "9002")
    assert Settings().port == 8000


def test_settings_plain_database_and_redis_urls_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", POSTGRES_URL)
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    settings = Settings()
    assert settings.resolved_database_url == POSTGRES_URL
    assert settings.redis_url == "redis://cache:6379/0"
    assert not settings.is_sqlite


def test_settings_prefixed_url_wins_over_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://plain@host/db")
    monkeypatch.setenv("QUANTDESK_DATABASE_URL", POSTGRES_URL)
    assert Settings().resolved_database_url == POSTGRES_URL


def test_settings_no_database_url_defaults_to_sqlite_in_var_dir(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "state")
    assert settings.is_sqlite
    assert settings.resolved_database_url.endswith(
        f"{(tmp_path / 'state').as_posix()}/quantdesk.db"
    )
    assert settings.log_dir == tmp_path / "state" / "logs"


def test_settings_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "QUANTDESK_WORKERS=4\nDATABASE_URL=" + POSTGRES_URL + "\n", encoding="utf-8"
    )
    settings = Settings()
    assert settings.workers == 4
    assert settings.resolved_database_url == POSTGRES_URL


def test_settings_environment_wins_over_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("QUANTDESK_WORKERS=4\n", encoding="utf-8")
    monkeypatch.setenv("QUANTDESK_WORKERS", "2")
    assert Settings().workers == 2


def test_settings_production_with_safe_values_accepted() -> None:
    settings = production(cors_origins=["https://desk.example.com"])
    assert settings.env == "production"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"secret_key": None}, "QUANTDESK_SECRET_KEY"),
        ({"secret_key": "short"}, "QUANTDESK_SECRET_KEY"),
        ({"database_url": None}, "DATABASE_URL"),
        ({"database_url": "sqlite+aiosqlite:///prod.db"}, "DATABASE_URL"),
        ({"cors_origins": ["*"], "cors_allow_credentials": True}, "QUANTDESK_CORS_ORIGINS"),
    ],
    ids=["secret-missing", "secret-short", "database-default", "database-sqlite", "cors-wildcard"],
)
def test_settings_production_unsafe_value_refused_in_one_line(
    overrides: dict[str, object], named: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        production(**overrides)
    message = str(caught.value)
    assert named in message
    assert "\n" not in message
    assert "pa55word" not in message


def test_settings_invalid_value_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="QUANTDESK_PORT") as caught:
        load_settings(port=0)
    assert "\n" not in str(caught.value)


def test_settings_secret_generated_once_private_and_reused(tmp_path: Path) -> None:
    first = Settings(var_dir=tmp_path / "var").secret()
    path = tmp_path / "var" / "secret_key"
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Settings(var_dir=tmp_path / "var").secret() == first
    assert path.read_text(encoding="utf-8").strip() == first


def test_settings_configured_secret_used_and_nothing_written(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", secret_key=LONG_SECRET)
    assert settings.secret() == LONG_SECRET
    assert not (tmp_path / "var" / "secret_key").exists()


def test_settings_repr_and_dump_hide_the_secret() -> None:
    settings = production()
    assert LONG_SECRET not in repr(settings)
    assert LONG_SECRET not in str(settings)
    assert LONG_SECRET not in settings.model_dump_json()


def test_settings_repr_hides_passwords_in_urls() -> None:
    settings = Settings(
        database_url="postgresql+asyncpg://trader:pa55word@db.internal/quantdesk",
        redis_url="redis://:r3dispass@cache.internal:6379/0",
    )
    assert "pa55word" not in repr(settings)
    assert "r3dispass" not in repr(settings)
