# `make demo` and `make test` set everything up on a fresh machine; re-running reuses .venv
# unless settings.ini or setup.py changed (the stamp below is older than them).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.camnet-installed

.PHONY: all demo test nbtest pytest lab e2e export clean-nbs bench synth-samples distclean

all: test

$(STAMP): settings.ini setup.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/camnet demo --out outputs/demo

# nbdev_test runs every notebook (cells flagged `slow` or `real` are skipped), then pytest runs
# tests/ so that the run ends on pytest's summary line.
test: $(STAMP)
	cd nbs && MPLBACKEND=Agg ../$(BIN)/nbdev_test --n_workers 2 --timing
	MPLBACKEND=Agg $(BIN)/python -m pytest -q tests

nbtest: $(STAMP)
	cd nbs && MPLBACKEND=Agg ../$(BIN)/nbdev_test --n_workers 2 --timing

pytest: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest -q tests

# the notebooks in JupyterLab, from the same environment
lab: $(STAMP)
	$(BIN)/jupyter lab nbs

# a real browser on the live notebook (kept out of `make test`): Debian's chromium + chromedriver, Selenium
e2e: $(STAMP)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || (apt-get update -q && apt-get install -y -q chromium chromium-driver)
	$(BIN)/python -m pip install -q 'selenium>=4.20,<5'
	$(BIN)/python tests/e2e/live_notebook.py

# notebooks -> package, and strip execution noise before a commit
export: $(STAMP)
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean

bench: $(STAMP)
	$(BIN)/camnet bench --ref ../shared/peers/camnet_ref_512.onnx

# regenerate the committed samples from their seed
synth-samples: $(STAMP)
	rm -rf data_samples && $(BIN)/camnet synth --out data_samples --per-class 4 --size 256x256 --seed 0 --clip

distclean:
	rm -rf $(VENV) outputs
