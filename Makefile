# The two set-up commands of the README:
#   make report   - creates .venv, installs the package, builds the synthetic demo data and
#                   produces the reports for the demo municipality under reports/
#   make test     - creates .venv, installs the package with test extras, runs every test
#                   (fast and slow; browser tests need Debian's chromium, see .ci/run)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= data
TERRITORY ?= X13
LANG_REPORT ?= en

.PHONY: install report test test-fast bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

install: $(VENV)/.installed

report: $(VENV)/.installed
	$(BIN)/cityindicators --data-dir $(DATA) demo
	$(BIN)/cityindicators --data-dir $(DATA) report --territory $(TERRITORY) --lang $(LANG_REPORT) --output-dir reports

test: $(VENV)/.installed
	$(BIN)/python -m pytest -m "" -q

test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
