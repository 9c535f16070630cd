"""The dashboard's typed client was generated from the API's current OpenAPI schema."""

from __future__ import annotations

import json
from pathlib import Path

from quantdesk.api.app import create_app

COMMITTED = Path(__file__).resolve().parents[2] / "web" / "openapi.json"


def test_openapi_client_schema_matches_current_api() -> None:
    committed = json.loads(COMMITTED.read_text())
    current = json.loads(json.dumps(create_app().openapi()))
    changed = sorted(set(current["paths"]) ^ set(committed["paths"]))
    assert current == committed, (
        f"the API's OpenAPI schema changed (paths added or removed: {changed or 'none'}); "
        "run `make web-client` to regenerate web/openapi.json and the dashboard's types"
    )
