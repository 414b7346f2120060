"""Drive the cocotb + Verilator run of OuchEncoder from pytest."""
import pytest

from wirespeed.hw.encode.ouch import OuchEncoder
from wirespeed.hw.toolchain import REPO_ROOT, run_cocotb, write_verilog

pytestmark = pytest.mark.hw


def test_ouch_encoder_verilator(tmp_path):
    src = write_verilog(OuchEncoder(16), "ouch_encoder", out_dir=tmp_path)
    run_cocotb(verilog_path=src, top="ouch_encoder", test_module="tests.hw.tb.ouch_encoder_tb", test_dir=REPO_ROOT,
               build_name="ouch_encoder_d16", extra_env={"WS_ORDERS": "300"})
