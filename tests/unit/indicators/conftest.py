"""Datasets every indicator family is checked on: synthetic, real and edge cases."""

from __future__ import annotations

import pytest

from tests.fixtures.market_data import Columns
from tests.fixtures.talib_checks import DATASET_IDS, dataset


@pytest.fixture(params=DATASET_IDS)
def market(request: pytest.FixtureRequest) -> Columns:
    """One dataset per test run: synthetic, GOOG daily, EURUSD hourly, flat, gaps, tiny, huge."""
    return dataset(request.param)
