# Tollgate — the two commands: `make run` (set up + demo + serve) and `make test` (set up + every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_ENV := TOLLGATE_MOCK_UPSTREAM=$${TOLLGATE_MOCK_UPSTREAM:-1} TOLLGATE_ALLOW_PRIVATE_UPSTREAMS=$${TOLLGATE_ALLOW_PRIVATE_UPSTREAMS:-1}

.PHONY: setup run test lint typecheck pytest bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

run: setup
	$(DEMO_ENV) $(BIN)/tollgate demo
	$(DEMO_ENV) exec $(BIN)/tollgate serve

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
