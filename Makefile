# The two commands of the quick start: `make demo` and `make test`. Both set up .venv when needed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test setup lint typecheck

$(BIN)/parcours: pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,spark]'
	touch $(BIN)/parcours

setup: $(BIN)/parcours

demo: setup
	$(BIN)/parcours demo

test: setup
	bash scripts/test.sh

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: setup
	$(BIN)/mypy
