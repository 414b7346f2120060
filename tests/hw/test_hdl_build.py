"""`make hdl`: every top generates and lints clean; pyverilog reads the ports back."""
import pytest

from wirespeed.hw.build import main as build_main, tops
from wirespeed.hw.introspect import verilog_ports
from wirespeed.hw.toolchain import lint, write_verilog
from wirespeed.layout import ORDER

pytestmark = pytest.mark.hw


def test_every_top_lints_clean(tmp_path):
    assert build_main(str(tmp_path), synth=False) == 0
    assert sorted(p.name for p in tmp_path.glob("*.v")) == sorted(f"{n}.v" for n, _ in tops())


def test_lint_catches_a_real_problem(tmp_path):
    bad = tmp_path / "bad.v"
    bad.write_text("module bad(input a, output reg y);\n always @* if (a) y = 1;\nendmodule\n")  # a latch
    with pytest.raises(Exception, match="LATCH|lint"):
        lint(bad, "bad")


def test_ports_match_python_layouts(tmp_path):
    from wirespeed.hw.regs.map import ADDR_WIDTH
    from wirespeed.hw.risk.pipeline import NOW_WIDTH, RiskPipeline
    from wirespeed.layout import FILL, RISK_OUT
    path = write_verilog(RiskPipeline(16, 4, 4), "risk_pipeline", tmp_path)
    ports = verilog_ports(path, "risk_pipeline")
    assert ports["i__payload"] == ("Input", ORDER.width)
    assert ports["fill__payload"] == ("Input", FILL.width)
    assert ports["o__payload"] == ("Output", RISK_OUT.width)
    assert ports["now"] == ("Input", NOW_WIDTH)
    assert ports["bus__addr"] == ("Input", ADDR_WIDTH)
    assert ports["bus__rdata"] == ("Output", 32)
    assert {"clk", "rst", "i__valid", "i__ready", "o__valid", "o__ready", "bus__err"} <= set(ports)
