"""The ECP5 flow's design is the simulated design's function, cycle for cycle: the OUCH encoder
elaborated for ECP5 (its price multiply in four MULT18X18D with their input and output registers,
hw/ecp5.py), synthesized by ``synth_ecp5`` as ``make hdl-pnr`` does, then simulated as a netlist
of yosys's cell models under Verilator, runs the encoder's cocotb frame bench (every frame against
the software encoder, under idles and backpressure) unchanged. Minutes (Verilating a netlist of
~900 cells), so ``slow`` (``make test-hw-long``)."""
import pytest

from wirespeed.hw.encode.ouch import OuchEncoder
from wirespeed.hw.toolchain import BUILD_DIR, REPO_ROOT, run_cocotb

from .ecp5.netlist import netlist_model

pytestmark = [pytest.mark.hw, pytest.mark.slow]


def test_ouch_encoder_ecp5_netlist_frames_match_the_software_encoder():
    netlist, cells = netlist_model(OuchEncoder(16), "ouch_encoder", BUILD_DIR / "ecp5sim")
    assert cells.get("MULT18X18D") == 4          # the primitives are in the netlist simulated
    run_cocotb(verilog_path=netlist.resolve(), top="ouch_encoder", test_module="tests.hw.tb.ouch_encoder_tb",
               test_dir=REPO_ROOT, build_name="ouch_encoder_ecp5_netlist", extra_env={"WS_ORDERS": "100"})


def test_notional_ecp5_netlist_products_come_after_exactly_its_stages():
    # the multiplier alone, cycle-exact: the encoder's frames would not see a product a cycle
    # early (its inputs hold while busy), this bench does
    from wirespeed.hw.mul import Notional

    netlist, cells = netlist_model(Notional(3, input_regs=True), "notional", BUILD_DIR / "ecp5sim")
    assert cells.get("MULT18X18D") == 4
    run_cocotb(verilog_path=netlist.resolve(), top="notional", test_module="tests.hw.tb.notional_tb",
               test_dir=REPO_ROOT, build_name="notional_ecp5_netlist", extra_env={"WS_STAGES": "3"})
