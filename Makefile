# Every target creates or updates .venv itself: on a fresh clone `make report` and `make test` are all you need.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --constraint constraints.txt

.PHONY: report test bench lint install dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) --editable .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) --editable '.[dev,dask,serve]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

dev: $(VENV)/.installed-dev

report: install
	$(BIN)/dudl report --out report

test: dev  # the test suite and every notebook (nbmake runs each one; a failed assertion fails the target)
	$(BIN)/python -m pytest -n 2 -q --nbmake tests notebooks

bench: install
	$(BIN)/python benchmarks/bench.py

lint: dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) report runs .pytest_cache .ruff_cache .hypothesis
