"""A served app moves what start-up built out of the garbage collector's full passes."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from quantdesk.api.app import create_app
from quantdesk.settings import Settings
from tests.fixtures.apps import serve, settings_with


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # a test process keeps collecting what its apps leave behind


async def test_served_app_freezes_the_start_up_heap(settings: Settings, unfrozen: None) -> None:
    app = create_app(settings_with(settings, env="development"))
    async with serve(app) as http:
        assert (await http.get("/health/live")).status_code == 200
        # the modules, mappers and routes are all in the permanent generation
        assert gc.get_freeze_count() > 50_000


async def test_test_apps_leave_the_collector_alone(settings: Settings, unfrozen: None) -> None:
    async with serve(create_app(settings)) as http:
        assert (await http.get("/health/live")).status_code == 200
        assert gc.get_freeze_count() == 0
