"""Drive the cocotb + Verilator run of RiskStage from pytest (cocotb_tools.runner)."""
import pytest

from wirespeed.hw.risk.stage import RiskStage
from wirespeed.hw.toolchain import REPO_ROOT, run_cocotb, write_verilog

pytestmark = pytest.mark.hw


@pytest.mark.parametrize("depth", [16, 256])
def test_risk_stage_verilator(depth, tmp_path):
    top = "risk_stage"
    src = write_verilog(RiskStage(depth), top, out_dir=tmp_path)
    run_cocotb(verilog_path=src, top=top, test_module="tests.hw.tb.risk_stage_tb", test_dir=REPO_ROOT,
               build_name=f"risk_stage_d{depth}", extra_env={"WS_DEPTH": str(depth), "WS_ORDERS": "1500"})
