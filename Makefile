# Hisho: `make run` sets up and serves the embedded shape; `make test` sets up and runs
# the whole suite. Both work on a fresh clone; they install what they need into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run setup setup-dev migrate demo serve test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files so a second `make` does not reinstall.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

migrate: setup
	$(BIN)/hisho migrate --no-input

demo: migrate
	$(BIN)/hisho demo

serve: setup
	$(BIN)/uvicorn hisho.asgi:application --host $(HOST) --port $(PORT)

run: demo serve

lint: setup-dev
	$(BIN)/ruff check hisho tests
	$(BIN)/ruff format --check hisho tests

typecheck: setup-dev
	$(BIN)/mypy hisho

# Extra pytest arguments: make pytest ARGS="-k matrix"
pytest: setup-dev
	$(BIN)/python -m pytest $(ARGS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
