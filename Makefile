# PMHC Dashboard: `make app` opens the dashboard on the sample data, `make test` runs the
# whole test suite (unit, AppTest and browser tests). Both create .venv when it is missing.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --quiet
CHROMIUM ?= /usr/bin/chromium
# pip runs again only when a requirements file is newer than its stamp.
# axe-core for the accessibility browser tests, from npm at the version tests/package-lock.json pins.
AXE := tests/node_modules/axe-core/axe.min.js
APP_STAMP := $(VENV)/.requirements.stamp
DEV_STAMP := $(VENV)/.requirements-dev.stamp

.PHONY: app test lint check chromium

app: $(APP_STAMP)
	$(PY) -m streamlit run app.py

# The architecture and type checks run first: a wrong-way import or a type error fails fast.
# The tests run in parallel (pytest-xdist), a test module per worker at a time so that its
# module fixtures (rendered views, release builds) are made once; the app server and browser are
# one per worker (tests/conftest.py). Hypothesis uses its quick derandomized profile
# here and the thorough one under CI (HYPOTHESIS_PROFILE; tests/conftest.py).
# Coverage is measured when COVERAGE=1 (`make test COVERAGE=1`): on Python 3.11 its line tracer added
# 47% to the processor time of the AppTest and ingest tests (38.7 s -> 56.8 s, measured
# 2026-12-03), so the everyday run goes without it.
TEST_WORKERS ?= auto
COVERAGE ?=
COV_ARGS := $(if $(COVERAGE),--cov --cov-report=term:skip-covered --cov-report=html:.coverage-html)
test: check chromium $(AXE)
	PMHC_CHROMIUM=$(CHROMIUM) PMHC_REQUIRE_BROWSER=1 $(PY) -m pytest -n $(TEST_WORKERS) \
	  --dist loadscope $(COV_ARGS)

# Import contracts (layers; only pmhc.ui imports Streamlit), mypy on the core, and
# docs/indicators.md as the indicator registry writes it.
check: $(DEV_STAMP)
	$(VENV)/bin/lint-imports
	$(PY) -m mypy
	$(PY) -m tools.write_indicators --check

lint: $(DEV_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "error: PMHC Dashboard needs Python 3.11 or newer as '$(PYTHON)'" \
	    "(found: $$($(PYTHON) --version 2>&1)). Run: make PYTHON=python3.11 ..." >&2; exit 1; }
	@echo "Creating $(VENV) with $$($(PYTHON) --version)"
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "error: '$(PYTHON) -m venv' failed. On Debian or Ubuntu: apt-get install python3-venv" >&2; \
	  exit 1; }

$(APP_STAMP): requirements.txt | $(PY)
	@echo "Installing requirements.txt into $(VENV)"
	$(PIP) install -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	@echo "Installing requirements-dev.txt into $(VENV)"
	$(PIP) install -r requirements-dev.txt
	@touch $@ $(APP_STAMP)

# The browser tests drive the system's Chromium (Playwright cannot download its own here).
chromium:
	@if [ -x "$(CHROMIUM)" ]; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Chromium with apt-get"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium libpangoft2-1.0-0; \
	else \
	  echo "error: the browser tests need Chromium at $(CHROMIUM). Install it" \
	    "(Debian/Ubuntu: sudo apt-get install chromium), or name another binary with" \
	    "'make test CHROMIUM=/path/to/chromium'. Without a browser:" \
	    "$(PY) -m pytest -m 'not browser'" >&2; \
	  exit 1; \
	fi

# npm ci installs exactly the lock file's axe-core (again only when the lock file is newer).
$(AXE): tests/package.json tests/package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Node.js and npm with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
	  else \
	    echo "error: the accessibility tests need npm to install axe-core (Debian/Ubuntu:" \
	      "sudo apt-get install nodejs npm)" >&2; \
	    exit 1; \
	  fi; \
	fi
	npm ci --prefix tests --no-audit --no-fund --loglevel=error
	@touch $@
