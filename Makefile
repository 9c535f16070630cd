# QuantDesk developer commands. `make run` tries it out, `make test` is what CI runs.
# Every target works from a fresh clone: the virtualenv is created on first use.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= auto
VENV := .venv
BIN := $(VENV)/bin
# uv from PATH, or where `pip install --user` puts it.
UV = $(or $(shell command -v uv 2>/dev/null),$(HOME)/.local/bin/uv)
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: help venv run web web-client web-test e2e-deps test lint fmt types contracts pytest bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

venv: $(VENV)/.synced ## Create .venv and install the locked dependencies

$(VENV)/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null || test -x "$(HOME)/.local/bin/uv" \
		|| python3 -m pip install --user uv \
		|| python3 -m pip install --user --break-system-packages uv
	$(UV) sync --frozen
	@touch $@

run: venv web ## Migrate, create the demo user and demo data once, and serve on http://$(HOST):$(PORT)
	$(BIN)/quantdesk db upgrade
	$(BIN)/quantdesk demo
	$(BIN)/quantdesk data demo
	$(BIN)/quantdesk serve --host $(HOST) --port $(PORT)

web: ## Build the dashboard in web/ when there is one (nothing to do otherwise)
	@if [ -f web/package.json ]; then npm --prefix web ci && npm --prefix web run build; \
	else echo "web: no web/package.json, no dashboard to build"; fi

web-client: venv ## Regenerate the dashboard's typed API client from the API's OpenAPI schema
	$(BIN)/python web/scripts/openapi.py > web/openapi.json
	npm --prefix web run client

web-test: venv ## Dashboard checks: component tests, type check, client matches the OpenAPI schema
	@test -d web/node_modules || npm --prefix web ci
	npm --prefix web run typecheck
	npm --prefix web test
	$(BIN)/python web/scripts/openapi.py > web/node_modules/.openapi-current.json
	node web/scripts/check-client.mjs web/node_modules/.openapi-current.json

e2e-deps: ## Install Debian's Chromium for the browser tests when it is missing
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }

test: lint types contracts e2e-deps web web-test pytest ## Everything CI checks: lint, types, contracts, dashboard, tests

lint: venv ## Check lint rules and formatting (ruff)
	$(BIN)/ruff check
	$(BIN)/ruff format --check

fmt: venv ## Format the code and apply safe lint fixes
	$(BIN)/ruff format
	$(BIN)/ruff check --fix

types: venv ## Type-check src/ strictly (mypy)
	$(BIN)/mypy

contracts: venv ## Check the import direction between layers (import-linter)
	$(BIN)/lint-imports

pytest: venv ## Run the test suite in parallel, with at least 85% line coverage
	$(BIN)/pytest -n $(PYTEST_WORKERS) --cov=quantdesk --cov-report=term --cov-fail-under=85

bench: venv ## Run every benchmark beside its peer library; figures in benchmarks/results/
	@command -v wrk >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y wrk; }
	for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python "$$script"; done

clean: ## Remove caches and coverage output (keeps .venv and the data in var/)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .hypothesis htmlcov
	rm -f .coverage .coverage.* coverage.xml
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
