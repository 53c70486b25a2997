# Two entry points for a fresh machine: `make run` (dashboard + demo data) and `make test` (every test).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= borderwatch.db
HOST ?= 127.0.0.1
PORT ?= 8501

.PHONY: run test stress-test install install-test system-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The stamp files re-run pip only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

system-deps:
	bash scripts/system-deps.sh

run: install
	$(BIN)/borderwatch serve --db $(DB) --host $(HOST) --port $(PORT)

test: system-deps install-test
	$(BIN)/python -m pytest

# The suite beside a CPU hog on every core, twice (tests must wait for states, not an idle machine):
# `make stress-test`, or `make stress-test ARGS="tests/test_browser.py"`, RUNS=1, HOGS=4.
stress-test: system-deps install-test
	bash scripts/stress-test.sh $(ARGS)

bench: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info test-output
