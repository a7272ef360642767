# Developer commands. `make run` to talk to the assistant, `make test` before you push.
# Every target runs `make setup` first, which does nothing when the environments are current.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
# The test steps share var/ and models/: run them one after the other even under `make -j`.
.NOTPARALLEL:

export RASA_TELEMETRY_ENABLED := false
export SANIC_HOST := 127.0.0.1
# Rasa's dependencies print pages of deprecation warnings; Rasa's own UserWarnings still show.
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
RASA_QUIET := PYTHONWARNINGS=ignore::DeprecationWarning
# Integration and e2e tests run against these (override on the command line or in the env).
export TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/credit_test
export TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

PY := .venv/bin/python
RASA := .venv-rasa/bin/rasa
RASA_DATA := --config config.yml --domain domain --data nlu bot/stories bot/rules
PYTEST_ARGS ?=
BENCH_ARGS ?=

step = @printf '==> %s\n'

.PHONY: help setup run train test lint validate model pytest conversations bench clean distclean

help:
	@echo "make run        start the assistant locally (chat at http://127.0.0.1:8000/chat)"
	@echo "make test       lint, validate the bot data, train if needed, all tests"
	@echo "make train      train the Rasa model if the bot changed"
	@echo "make bench      turn latency through the backend vs straight to Rasa"
	@echo "make setup      uv, Python 3.11/3.10 and both virtual environments (idempotent)"
	@echo "make clean      remove var/ and models/;  make distclean also removes the venvs"

setup:
	@bash backend/launcher/setup.sh

run: setup
	@$(PY) -m backend.launcher run

train: setup
	@$(PY) -m backend.launcher train

test: setup lint validate model pytest conversations
	$(step) "all checks passed"

lint: setup
	$(step) "ruff check"
	@.venv/bin/ruff check .
	$(step) "ruff format --check"
	@.venv/bin/ruff format --check .
	$(step) "import contracts (lint-imports)"
	@.venv/bin/lint-imports

validate: setup
	$(step) "rasa data validate"
	@$(RASA_QUIET) $(RASA) data validate $(RASA_DATA) --fail-on-warnings

model: setup
	@$(PY) -m backend.launcher train

pytest: setup
	$(step) "pytest (unit, integration, e2e) with TEST_DATABASE_URL and TEST_REDIS_URL"
	@$(PY) -m backend.launcher createdb "$$TEST_DATABASE_URL"
	@$(PY) -m pytest tests/unit tests/integration tests/e2e $(PYTEST_ARGS)

conversations: model
	$(step) "rasa test core (tests/conversations)"
	@$(RASA_QUIET) $(RASA) test core --stories tests/conversations --model "$$($(PY) -m backend.launcher model-path)" \
		--fail-on-prediction-errors --out var/results/core

bench: setup
	@$(PY) bench/turn_latency.py $(BENCH_ARGS)

clean:
	$(step) "removing var/ and models/"
	@rm -rf var models results .rasa

distclean: clean
	$(step) "removing .venv, .venv-rasa and .venv-tools"
	@rm -rf .venv .venv-rasa .venv-tools
