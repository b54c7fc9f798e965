# Tollgate — the two commands: `make run` (set up + demo + serve) and `make test` (set up + every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_ENV := TOLLGATE_MOCK_UPSTREAM=$${TOLLGATE_MOCK_UPSTREAM:-1} TOLLGATE_ALLOW_PRIVATE_UPSTREAMS=$${TOLLGATE_ALLOW_PRIVATE_UPSTREAMS:-1}

.PHONY: setup run demo-reset test lint typecheck pytest bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@echo "First run: creating $(VENV) and installing Tollgate with its dependencies (about 3-4 minutes; pip shows each package)."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --disable-pip-version-check --progress-bar on -e '.[dev]'
	touch $@

run: setup  # seeds the demo once; later runs keep what you changed and print the same URLs and secrets
	$(DEMO_ENV) $(BIN)/tollgate demo
	$(DEMO_ENV) exec $(BIN)/tollgate serve

demo-reset: setup  # deletes the demo workspace and seeds it afresh (new keys, lane back to the mock)
	$(DEMO_ENV) $(BIN)/tollgate demo --reseed

test: setup lint typecheck pytest

lint: setup
	$(BIN)/ruff check backend tests bench
	$(BIN)/ruff format --check backend tests bench

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest
	TOLLGATE_TEST_DATABASE=postgresql $(BIN)/pytest -m pg  # again on PostgreSQL (skipped when not installed)

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
