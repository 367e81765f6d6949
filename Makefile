# 地域連携マッチング — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run test lint format bench demo worker clean lock messages audit

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

# requirements-dev.txt: the runtime lock plus the dev group, every file pinned by its hash.
$(BIN)/.installed: requirements-dev.txt
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	@touch $@

# Links in mails and the address load_demo prints follow HOST and PORT unless SITE_URL is set.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: $(BIN)/.installed ## Start the portal with demo data on http://127.0.0.1:8000 (SQLite, tasks in-process)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo
	@$(PY) manage.py report_fonts --notice --verbosity 0
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(BIN)/.installed ## Run the whole test suite
	$(BIN)/pytest

lint: $(BIN)/.installed ## ruff lint + format check, mypy, import contracts, migrations check, bandit, catalogue check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(BIN)/bandit -q -r config portal issues partners matching evaluation -x '*/migrations/*' -s B101,B311
	$(PY) scripts/translate_po.py --check

format: $(BIN)/.installed ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(BIN)/.installed ## Run the benchmarks in benchmarks/ and print their figures
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

demo: $(BIN)/.installed ## Load (or refresh) the demo data without starting the server
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo

worker: $(BIN)/.installed ## Start a Celery worker (needs CELERY_BROKER_URL)
	$(BIN)/celery -A config worker -c 2 -l info

messages: $(BIN)/.installed ## Rebuild the English translation catalogue
	$(PY) manage.py makemessages -l en --no-obsolete --no-wrap --ignore='.venv*' --ignore='static/vendor/*' --ignore='tests/*' --ignore='benchmarks/*'
	$(PY) scripts/translate_po.py
	$(PY) manage.py compilemessages -l en -l ja --ignore='.venv*'

# Keeps every pin already in the locks; UPGRADE="-P django" (one package) or UPGRADE=-U moves them.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --universal --python-version 3.12 \
	--generate-hashes --custom-compile-command "make lock" $(UPGRADE)

lock: $(BIN)/.installed ## Recompile requirements.txt (runtime) and requirements-dev.txt with hashes from pyproject.toml
	$(UV_COMPILE) -o requirements.txt
	$(UV_COMPILE) --group dev -c requirements.txt -o requirements-dev.txt

audit: ## Audit pinned dependencies for known vulnerabilities (fails loudly when it cannot check)
	scripts/audit

clean: ## Remove the local database, media and caches (keeps the virtualenv)
	rm -rf var staticfiles .pytest_cache .ruff_cache .mypy_cache
