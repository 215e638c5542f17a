# The two commands a newcomer types: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
SCALE ?= small
# The local run's settings (DEBUG=0, its own random secrets), written once by
# `manage.py local_env`; every command of the run reads them, `make test` does not.
VAR_DIR := $(abspath $(or $(HEALTHAID_VAR_DIR),var))
LOCAL_ENV := $(VAR_DIR)/local.env
WITH_LOCAL_ENV := set -a && . "$(LOCAL_ENV)" && set +a &&

.PHONY: run test lint format bench install migrate seed clean e2e

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py local_env
	$(WITH_LOCAL_ENV) $(BIN)/python manage.py migrate --no-input

seed: migrate
	$(WITH_LOCAL_ENV) $(BIN)/python manage.py seed_demo --scale $(SCALE)

# Sets everything up, then starts web, Celery worker and Celery beat together;
# one Ctrl-C stops all three. DEBUG=0 as in production: the portal's own error pages, and
# static files collected (hashed) for WhiteNoise to serve.
run: seed
	$(WITH_LOCAL_ENV) $(BIN)/python manage.py collectstatic --no-input --verbosity 0
	@$(WITH_LOCAL_ENV) $(BIN)/python manage.py demo_banner --port $(PORT)
	$(WITH_LOCAL_ENV) PATH="$(CURDIR)/$(BIN):$$PATH" PORT=$(PORT) $(BIN)/honcho start -f Procfile

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

e2e: install
	$(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf var
