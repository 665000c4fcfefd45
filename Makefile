# `make demo` and `make test` set everything up on a fresh machine; re-running reuses .venv
# unless settings.ini or setup.py changed (the stamp below is older than them).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.camnet-installed

.PHONY: all demo test nbtest pytest lab e2e export nb-outputs clean-nbs bench synth-samples distclean

all: test

# torch first, so that the requirements' range finds it installed. Where the machine carries the CPU-only
# build (pip's find-links: torch 2.13.0+cpu) this takes it: about 1 GB in the venv instead of 6.4 GB for
# PyPI's CUDA build with its nvidia-* libraries and triton, more than a CI disk has been seen to hold.
# Elsewhere the same line takes PyPI's torch 2.13.0. torchvision 0.28.0 is that torch's pair; beside the CPU
# build its C++ operators cannot load, which camnet_nb.teacher.import_torchvision handles.
TORCH_PAIR ?= torch==2.13.0 torchvision==0.28.0

$(STAMP): settings.ini setup.py Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --no-cache-dir --upgrade pip
	$(BIN)/python -m pip install -q --no-cache-dir $(TORCH_PAIR)
	$(BIN)/python -m pip install -q --no-cache-dir -e ".[dev]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/camnet demo --out outputs/demo

# nbdev_test runs every notebook (cells flagged `slow` or `real` are skipped), then pytest runs
# tests/ so that the run ends on pytest's summary line. Both run two at a time (notebooks; test files, each
# file's tests in one worker so that its module fixtures are made once), each on one thread: two workers
# whose PyTorch/OpenMP thread pools each wanted both cores spent most of their time waiting on each other
# (the notebooks took 3 min 45 s that way, 1 min 45 s on one thread each; pytest 10 min serially, 4.8 to 5.6 min).
# Their scratch folders (the notebooks' mkdtemp, pytest's tmp_path) go to .scratch/, emptied when a run starts
# and removed when it passes (a failed run's stay to be looked at): a run leaves about 2.2 GB of checkpoints,
# maps and models there, which the system's temporary folder gathered run after run until the disk was full.
SCRATCH := $(CURDIR)/.scratch
TEST_ENV := MPLBACKEND=Agg OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 TMPDIR=$(SCRATCH)

test: $(STAMP)
	rm -rf $(SCRATCH) && mkdir -p $(SCRATCH)
	cd nbs && $(TEST_ENV) ../$(BIN)/nbdev_test --n_workers 2 --timing
	$(TEST_ENV) $(BIN)/python -m pytest -q -n 2 --dist loadfile tests
	rm -rf $(SCRATCH)

nbtest: $(STAMP)
	rm -rf $(SCRATCH) && mkdir -p $(SCRATCH)
	cd nbs && $(TEST_ENV) ../$(BIN)/nbdev_test --n_workers 2 --timing
	rm -rf $(SCRATCH)

pytest: $(STAMP)
	rm -rf $(SCRATCH) && mkdir -p $(SCRATCH)
	$(TEST_ENV) $(BIN)/python -m pytest -q -n 2 --dist loadfile tests
	rm -rf $(SCRATCH)

# the notebooks in JupyterLab, from the same environment
lab: $(STAMP)
	$(BIN)/jupyter lab nbs

# a real browser on the live notebook and the click widget, and a real window of camnet live (kept out of `make test`):
# Debian's chromium + chromedriver with Selenium; Debian's Xvfb + xdotool with OpenCV's window build for that one run
e2e: $(STAMP)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || (apt-get update -q && apt-get install -y -q chromium chromium-driver)
	@command -v Xvfb >/dev/null && command -v xdotool >/dev/null || (apt-get update -q && apt-get install -y -q xvfb xdotool)
	$(BIN)/python -m pip install -q 'selenium>=4.20,<5'
	$(BIN)/python tests/e2e/live_notebook.py
	$(BIN)/python tests/e2e/click_widget.py
	$(BIN)/python tests/e2e/live_window.py

# notebooks -> package, and strip execution noise before a commit
export: $(STAMP)
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean

# run the notebooks and keep their outputs (figures as JPEG), so that they read with their pictures wherever they are
# opened: after editing a notebook, `make nb-outputs NB=11c_teach` (`make test` fails while a notebook's outputs are
# not those of its code); cells flagged slow or real keep the outputs of their last run unless FLAGS="slow" (or "slow
# real").
nb-outputs: $(STAMP)
	$(BIN)/python tools/run_notebooks.py $(NB) $(if $(FLAGS),--flags $(FLAGS))

bench: $(STAMP)
	$(BIN)/camnet bench --ref ../shared/peers/camnet_ref_512.onnx

# regenerate the committed samples from their seed
synth-samples: $(STAMP)
	rm -rf data_samples && $(BIN)/camnet synth --out data_samples --per-class 4 --size 256x256 --seed 0 --clip

distclean:
	rm -rf $(VENV) outputs $(SCRATCH)
