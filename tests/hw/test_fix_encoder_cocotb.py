"""Drive the cocotb + Verilator run of FixEncoder from pytest."""
import pytest

from wirespeed.hw.encode.fix import FixEncoder
from wirespeed.hw.toolchain import REPO_ROOT, run_cocotb, write_verilog

pytestmark = pytest.mark.hw


def test_fix_encoder_verilator(tmp_path):
    src = write_verilog(FixEncoder(16), "fix_encoder", out_dir=tmp_path)
    run_cocotb(verilog_path=src, top="fix_encoder", test_module="tests.hw.tb.fix_encoder_tb", test_dir=REPO_ROOT,
               build_name="fix_encoder_d16", extra_env={"WS_ORDERS": "150"})
