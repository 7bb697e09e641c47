# The two set-up commands of the README:
#   make report   - creates .venv, installs the package, builds the synthetic demo data and
#                   produces the reports for the demo municipality under reports/
#   make test     - creates .venv, installs the package with test extras, runs every test
#                   (fast and slow; browser tests need Debian's chromium, see .ci/run)
#   make test-min - the fast tests in .venv-min, where every dependency is installed at the
#                   minimum version pyproject.toml declares (CI runs it after make test)
PYTHON ?= python3
VENV ?= .venv
MIN_VENV ?= .venv-min
BIN := $(VENV)/bin
DATA ?= data
TERRITORY ?= X13
LANG_REPORT ?= en

.PHONY: install bytecode chromium report test test-fast test-min bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

install: $(VENV)/.installed

# The package's bytecode, written ahead: an editable install leaves the source uncompiled, and a
# process that may not write bytecode (PYTHONDONTWRITEBYTECODE, a read-only checkout) compiles every
# module again, each report's kernel some 0.1 s. Files compiled already are skipped.
bytecode: $(VENV)/.installed
	@$(BIN)/python -m compileall -q src >/dev/null

# The PDF of each report is printed by Debian's Chromium: installed here when missing and this
# is a Debian system run as root; otherwise a warning, and the reports come without PDF.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the PDF reports"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; the reports are written without PDF" >&2; \
	  else echo "warning: chromium is not installed (apt-get install chromium); the reports are written without PDF" >&2; fi; }

report: $(VENV)/.installed bytecode chromium
	$(BIN)/cityindicators --data-dir $(DATA) demo
	$(BIN)/cityindicators --data-dir $(DATA) report --territory $(TERRITORY) --lang $(LANG_REPORT) --output-dir reports

test: $(VENV)/.installed
	$(BIN)/python -m pytest -m "" -q

test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -q

# Declared minimums: pyproject's ">=" bounds pinned with "==" (a constraints file), so a minimum
# that does not work fails here; the fast tests only, to keep the cost to a few minutes.
$(MIN_VENV)/.installed: pyproject.toml .ci/min_constraints.py
	$(PYTHON) -m venv $(MIN_VENV)
	$(PYTHON) .ci/min_constraints.py > $(MIN_VENV)/constraints.txt
	$(MIN_VENV)/bin/python -m pip install --quiet -c $(MIN_VENV)/constraints.txt -e ".[dev]"
	$(MIN_VENV)/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

test-min: $(MIN_VENV)/.installed
	$(MIN_VENV)/bin/python -m pip list --format=freeze | grep -iE "^(pandas|numpy|pandera|ipykernel|nbconvert|papermill)=="
	$(MIN_VENV)/bin/python -m pytest -q -p no:cacheprovider

bench: $(VENV)/.installed bytecode
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(MIN_VENV) build *.egg-info
