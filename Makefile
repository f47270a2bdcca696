# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,fit,report,dask]'
	touch $(STAMP)

# Check the examples, then replay the shop's example log (examples/data/, made by
# examples/generate_zapateria_log.py): top leads, leads per stage, output files,
# and the HTML report of the same run.
demo: install
	$(BIN)/leadflow check examples/*.leadflow
	$(BIN)/leadflow run examples/zapateria.leadflow examples/data/zapateria_events.csv \
		--leads examples/data/zapateria_leads.csv --out examples/out
	@echo "The report, to open in a browser (docs/report.md):"
	@$(BIN)/leadflow report examples/zapateria.leadflow examples/data/zapateria_events.csv \
		--leads examples/data/zapateria_leads.csv --out examples/report.html --quiet
	@echo "One lead, step by step: $(BIN)/leadflow explain examples/zapateria.leadflow \
	examples/data/zapateria_events.csv --lead Z0253"

test: install
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest

# Performance targets (not tests: timings do not belong in the suite). Each
# script prints its figures and PASS/FAIL against a baseline measured in the same run.
bench: install
	$(BIN)/python bench/check_bench.py
	$(BIN)/python bench/compiled_bench.py
	$(BIN)/python bench/codegen_bench.py
	$(BIN)/python bench/run_bench.py
	$(BIN)/python bench/state_bench.py
	$(BIN)/python bench/points_bench.py
	$(BIN)/python bench/report_bench.py
	$(BIN)/python bench/workers_bench.py
	$(BIN)/python bench/startup_bench.py
	$(BIN)/python bench/single_core_bench.py

clean:
	rm -rf $(VENV) build *.egg-info
