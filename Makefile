# Two entry points for a new machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ASSETS := src/medshare/web/static/vendor/htmx.min.js
# Two workers: every worker makes its own databases, so they never meet.
PYTEST_ARGS ?= -n 2

.PHONY: run test install assets lint browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

$(ASSETS): package.json package-lock.json
	bash scripts/assets.sh

assets: $(ASSETS)

## Install, then serve medshare on http://127.0.0.1:8000 (SQLite in ./medshare-data, demo region on first start)
run: install assets
	$(BIN)/medshare serve

## Chromium and a Chinese font from Debian's packages, for the browser tests
browser:
	@if ! command -v chromium >/dev/null || { command -v dpkg >/dev/null && ! dpkg -s fonts-wqy-microhei >/dev/null 2>&1; }; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-wqy-microhei; \
	fi

lint: install
	$(BIN)/ruff check src tests

## Install, then run the whole suite (SQLite; PostgreSQL too when MEDSHARE_TEST_POSTGRES_URL is set)
test: install assets browser lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)
