"""The AXI-wrapped risk pipeline under cocotb + Verilator, driven by cocotbext-axi (one build)."""
import pytest

from wirespeed.hw.axi.risk import AxiRiskPipeline
from wirespeed.hw.toolchain import REPO_ROOT, run_cocotb, write_verilog

pytestmark = pytest.mark.hw


def test_axi_risk_pipeline_verilator(tmp_path):
    top = "axi_risk_pipeline"
    src = write_verilog(AxiRiskPipeline(16, 4, 8), top, out_dir=tmp_path)
    run_cocotb(verilog_path=src, top=top, test_module="tests.hw.tb.axi_risk_tb", test_dir=REPO_ROOT,
               build_name="axi_risk_pipeline_d16", extra_env={"WS_DEPTH": "16", "WS_ORDERS": "150"},
               model_opt="-O0")   # its -O1 compile takes 19 s, -O0 8 s; the run 2 s -> 5.6 s (2026-12-02)
