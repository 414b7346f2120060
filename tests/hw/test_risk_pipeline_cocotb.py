"""Drive the cocotb + Verilator run of RiskPipeline from pytest (cocotb_tools.runner)."""
import pytest

from wirespeed.hw.risk.pipeline import RiskPipeline
from wirespeed.hw.toolchain import REPO_ROOT, run_cocotb, write_verilog

pytestmark = pytest.mark.hw


@pytest.mark.parametrize("depth", [16, 64])
def test_risk_pipeline_verilator(depth, tmp_path):
    top = "risk_pipeline"
    src = write_verilog(RiskPipeline(depth, 4, 8), top, out_dir=tmp_path)
    run_cocotb(verilog_path=src, top=top, test_module="tests.hw.tb.risk_pipeline_tb", test_dir=REPO_ROOT,
               build_name=f"risk_pipeline_d{depth}",
               extra_env={"WS_DEPTH": str(depth), "WS_ORDERS": "400",
                          "WS_HAZARDS": str(int(depth == 16))})   # the hazard scenarios: once is enough


@pytest.mark.slow
def test_risk_pipeline_verilator_long(tmp_path):
    """make test-hw-long: 5 configurations x 4 stall phases x 5000 orders = 100,000 orders (+ warm-up)."""
    top = "risk_pipeline"
    src = write_verilog(RiskPipeline(64, 4, 8), top, out_dir=tmp_path)
    run_cocotb(verilog_path=src, top=top, test_module="tests.hw.tb.risk_pipeline_tb", test_dir=REPO_ROOT,
               build_name="risk_pipeline_d64", extra_env={"WS_DEPTH": "64", "WS_ORDERS": "5000", "WS_SEED": "42"})

