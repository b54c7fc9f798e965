# Tollgate — the two commands: `make run` (set up + demo + serve) and `make test` (set up + every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_ENV := TOLLGATE_MOCK_UPSTREAM=$${TOLLGATE_MOCK_UPSTREAM:-1} TOLLGATE_ALLOW_PRIVATE_UPSTREAMS=$${TOLLGATE_ALLOW_PRIVATE_UPSTREAMS:-1}

.PHONY: setup system-packages test-system-packages browser-assets run demo-reset test lint typecheck pytest n8n-test n8n-runtime bench clean

setup: system-packages $(VENV)/.installed

system-packages:  # Debian's pango for PDF reports (installed when missing and run as root; otherwise a warning)
	@bash scripts/system-packages.sh

test-system-packages:  # what the tests add: redis-server, PostgreSQL, poppler-utils, Node's npm, Chromium
	@bash scripts/system-packages.sh --test

n8n-runtime:  # a headless n8n 2.8.4 for the end-to-end test, installed once under ~/.cache/tollgate-n8n
	@bash n8n-nodes/scripts/install-n8n-runtime.sh

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

test: setup test-system-packages lint typecheck n8n-test n8n-runtime browser-assets pytest

BROWSER_ASSETS := tests/browser

$(BROWSER_ASSETS)/node_modules/.installed: $(BROWSER_ASSETS)/package-lock.json
	cd $(BROWSER_ASSETS) && npm ci --ignore-scripts --no-audit --no-fund
	touch $@

browser-assets: $(BROWSER_ASSETS)/node_modules/.installed  # axe-core for the dashboard's accessibility checks

lint: setup
	$(BIN)/ruff check backend tests bench
	$(BIN)/ruff format --check backend tests bench

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest
	TOLLGATE_TEST_DATABASE=postgresql $(BIN)/pytest -m pg  # again on PostgreSQL (skipped when not installed)

N8N_NODES := n8n-nodes

$(N8N_NODES)/node_modules/.installed: $(N8N_NODES)/package-lock.json
	@echo "n8n-nodes: installing the node package's dev tools with npm ci (first run about 1-4 minutes)."
	cd $(N8N_NODES) && npm ci --ignore-scripts --no-audit --no-fund
	touch $@

n8n-test: $(N8N_NODES)/node_modules/.installed  # the n8n community node package: lint, build, unit tests, scanner
	@echo "n8n-nodes: n8n-node lint"
	cd $(N8N_NODES) && CI=true npx n8n-node lint
	@echo "n8n-nodes: n8n-node build"
	cd $(N8N_NODES) && CI=true npx n8n-node build
	@echo "n8n-nodes: unit tests (node --test)"
	cd $(N8N_NODES) && npm test
	@echo "n8n-nodes: community-package scanner on the packed tarball"
	cd $(N8N_NODES) && npm run --silent scan

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache $(N8N_NODES)/node_modules $(N8N_NODES)/dist $(BROWSER_ASSETS)/node_modules
