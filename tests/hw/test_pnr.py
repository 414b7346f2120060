"""hw/pnr.py without running the flow (make hdl-pnr does, in minutes): the nextpnr log parser on a
captured snippet, and the command lines the flow builds."""
from pathlib import Path

import pytest

from wirespeed.hw.logic import REPLICA_KEEP
from wirespeed.hw.pnr import (PnrConfig, nextpnr_args, parse_fmax, parse_utilisation, sized_top, synth_script,
                              without_zero_inits)

# Cut from the risk pipeline's run (build/pnr/risk_pipeline.pnr.log): the estimate after placement
# (Info), then the routed figure, a Warning when it misses the constraint.
LOG = """\
Info: Device utilisation:
Info: 	          TRELLIS_IO:       0/    365     0%
Info: 	          TRELLIS_FF:    4265/  83640     5%
Info: 	        TRELLIS_COMB:   13103/  83640    15%
Info: 	        TRELLIS_RAMW:     800/  10455     7%
Info: 	          MULT18X18D:       4/    156     2%
Info: Max frequency for clock 'clk': 63.69 MHz (FAIL at 200.00 MHz)
Info: Critical path report for clock 'clk' (posedge -> posedge):
Info: 3.80 ns logic, 8.02 ns routing

Warning: Max frequency for clock 'clk': 84.59 MHz (FAIL at 200.00 MHz)
"""


def test_parse_fmax_takes_the_routed_figure():
    (t,) = parse_fmax(LOG)
    assert (t.clock, t.fmax_mhz, t.passed, t.target_mhz) == ("clk", 84.59, False, 200.0)


def test_parse_fmax_per_clock_and_pass():
    log = LOG + "Info: Max frequency for clock 'axi_clk': 250.01 MHz (PASS at 125.00 MHz)\n"
    got = {t.clock: (t.fmax_mhz, t.passed) for t in parse_fmax(log)}
    assert got == {"clk": (84.59, False), "axi_clk": (250.01, True)}


def test_parse_fmax_without_a_figure_says_so():
    with pytest.raises(ValueError, match="no 'Max frequency"):
        parse_fmax("Info: Device utilisation:\nERROR: Unable to place cell\n")


def test_parse_utilisation():
    util = parse_utilisation(LOG)
    assert util["TRELLIS_COMB"] == (13103, 83640) and util["MULT18X18D"] == (4, 156)
    assert "TRELLIS_IO" not in util


def test_command_lines():
    assert synth_script(Path("/x/build/risk_pipeline.v"), "risk_pipeline") == \
        f"read_verilog risk_pipeline.v; {REPLICA_KEEP}; synth_ecp5 -top risk_pipeline -json risk_pipeline.ecp5.json"
    args = nextpnr_args("risk_pipeline", PnrConfig(freq_mhz=250, speed=7))
    assert args[0] == "--um-85k"
    pairs = dict(zip(args, args[1:]))
    assert pairs["--package"] == "CABGA381" and pairs["--speed"] == "7" and pairs["--freq"] == "250"
    assert pairs["--json"] == "risk_pipeline.ecp5.json" and pairs["--report"] == "risk_pipeline.pnr.json"
    assert "--out-of-context" in args and "--timing-allow-fail" in args
    assert dict(zip(a := nextpnr_args("t", PnrConfig()), a[1:]))["--freq"] == "200"


@pytest.mark.parametrize("kw, field", [({"device": "XC7A35T"}, "device"), ({"speed": 9}, "speed"),
                                       ({"freq_mhz": 0}, "freq_mhz")])
def test_config_names_the_bad_field(kw, field):
    with pytest.raises(ValueError, match=field):
        PnrConfig(**kw)


def test_sized_risk_pipeline_tops():
    """risk_pipeline@small: the full datapath widths at a 16-symbol table, 2 sessions, a 2-key
    window (minutes of P&R); risk_pipeline@N: N symbols; anything else is not a sized top."""
    small, wide = sized_top("risk_pipeline@small")(), sized_top("risk_pipeline@512")()
    for top in (small, wide):
        top._MustUse__silence = True        # built to be looked at, never elaborated here
    assert (small.depth, small.sessions, small.window) == (16, 2, 2)
    assert wide.depth == 512
    assert sized_top("risk_pipeline@huge") is None and sized_top("eth_tx@small") is None
    assert sized_top("risk_pipeline") is None


def test_the_ecp5_verilog_drops_only_all_zero_memory_inits():
    """A memory's all-zero ``initial`` block goes (yosys's frontend ran out of memory on the bit
    slices' 1.2 million lines at 16k entries); one with a non-zero word, and the rest, stay."""
    zero = "  reg [0:0] bits0 [1:0];\n  initial begin\n    bits0[0] = 1'h0;\n    bits0[1] = 1'h0;\n  end\n"
    other = "  reg [3:0] m [1:0];\n  initial begin\n    m[0] = 4'h0;\n    m[1] = 4'h3;\n  end\n"
    text = "module top;\n" + zero + other + "endmodule\n"
    assert without_zero_inits(text) == "module top;\n  reg [0:0] bits0 [1:0];\n" + other + "endmodule\n"
