# The two README commands are `make conformance` and `make test`; both set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
# Each JavaScript adapter gets its own node_modules from its package-lock.json.
JS_ADAPTERS := harness/sdk/adapters/js-v3 harness/sdk/adapters/js-v2
JS_STAMPS := $(JS_ADAPTERS:%=%/node_modules/.installed)
REPORT_DIR ?= reports

.PHONY: setup browser conformance test selftest lint typecheck spec clean

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(JS_STAMPS): %/node_modules/.installed: %/package.json %/package-lock.json
	cd $* && npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(PY_STAMP) $(JS_STAMPS)

conformance: setup
	$(BIN)/ahi-contract spec check
	$(BIN)/ahi-contract server --profile full --report-dir $(REPORT_DIR)

lint: setup
	$(BIN)/ruff check harness tests benchmarks
	$(BIN)/ruff format --check harness tests benchmarks

typecheck: setup
	$(BIN)/mypy

browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium)

test: setup browser
	$(BIN)/ahi-contract spec check
	$(MAKE) lint typecheck
	$(BIN)/pytest -n 3 --durations=25

selftest: setup
	$(BIN)/ahi-contract selftest --report-dir $(REPORT_DIR)/selftest

spec: setup
	$(BIN)/ahi-contract spec build

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
