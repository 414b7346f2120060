"""The ECP5 flow's post-synthesis netlist as a simulation model: ``synth_ecp5`` of a top elaborated
for the ECP5 flow (hw/ecp5.py: MULT18X18D instantiated with its registers), then every cell
replaced by its simulation model and flattened by yosys into one plain Verilog file that
Verilator (and so the cocotb benches) can run.

The cell models are yosys's own (``share/lattice/cells_sim_ecp5.v``: LUT4, TRELLIS_FF, CCU2C,
TRELLIS_DPR16X4, PFUMX, L6MUX21, ...), except MULT18X18D, for which yosys ships only a blackbox:
its model here (``mult18x18d_model``) follows the primitive's documented register options (A/B
input, pipeline and output registers, each off or on CLK0 with a chosen CE and RST, synchronous
reset), so the netlist's cycles are the primitive's, not the generic Amaranth code's."""
from __future__ import annotations

import subprocess
from pathlib import Path

from amaranth.back import verilog

from wirespeed.hw.ecp5 import ECP5
from wirespeed.hw.logic import REPLICA_KEEP
from wirespeed.hw.synth import yosys_binary

REGISTERS = ("INPUTA", "INPUTB", "PIPELINE", "OUTPUT")


def _bits(name: str, n: int) -> str:
    return ", ".join(f"{name}{k}" for k in reversed(range(n)))


def mult18x18d_model() -> str:
    """Verilog of MULT18X18D: P = A x B (each signed when SIGNEDA / SIGNEDB), through the
    registers its parameters turn on. Only CLK0 is modelled as a register clock (a parameter
    naming another clock stops the simulation at time 0)."""
    params = "\n".join(f'  parameter REG_{r}_CLK = "NONE";\n  parameter REG_{r}_CE = "CE0";\n'
                       f'  parameter REG_{r}_RST = "RST0";' for r in REGISTERS)
    sel = "\n".join(
        f'  wire ce_{r.lower()} = REG_{r}_CE == "CE0" ? CE0 : REG_{r}_CE == "CE1" ? CE1 : REG_{r}_CE == "CE2" ? CE2 : CE3;\n'
        f'  wire rst_{r.lower()} = REG_{r}_RST == "RST0" ? RST0 : REG_{r}_RST == "RST1" ? RST1 : REG_{r}_RST == "RST2" ? RST2 : RST3;'
        for r in REGISTERS)
    return f"""module MULT18X18D({_bits("A", 18)}, {_bits("B", 18)}, {_bits("C", 18)},
  SIGNEDA, SIGNEDB, SOURCEA, SOURCEB, CLK0, CLK1, CLK2, CLK3, CE0, CE1, CE2, CE3, RST0, RST1, RST2, RST3,
  {_bits("P", 36)});
{params}
  parameter GSR = "ENABLED";
  parameter RESETMODE = "SYNC";
  parameter CLK0_DIV = "ENABLED";
  parameter CLK1_DIV = "ENABLED";
  parameter CLK2_DIV = "ENABLED";
  parameter CLK3_DIV = "ENABLED";
  parameter HIGHSPEED_CLK = "NONE";
  parameter CAS_MATCH_REG = "FALSE";
  parameter SOURCEB_MODE = "B_SHIFT";
  parameter MULT_BYPASS = "DISABLED";
  input {_bits("A", 18)}, {_bits("B", 18)}, {_bits("C", 18)};
  input SIGNEDA, SIGNEDB, SOURCEA, SOURCEB, CLK0, CLK1, CLK2, CLK3, CE0, CE1, CE2, CE3, RST0, RST1, RST2, RST3;
  output {_bits("P", 36)};
{sel}
  initial if ((REG_INPUTA_CLK != "NONE" && REG_INPUTA_CLK != "CLK0") || (REG_INPUTB_CLK != "NONE" && REG_INPUTB_CLK != "CLK0")
              || (REG_PIPELINE_CLK != "NONE" && REG_PIPELINE_CLK != "CLK0") || (REG_OUTPUT_CLK != "NONE" && REG_OUTPUT_CLK != "CLK0")
              || RESETMODE != "SYNC") begin
    $display("MULT18X18D model: only CLK0 and RESETMODE SYNC are modelled"); $finish;
  end
  wire [17:0] a = {{{_bits("A", 18)}}};
  wire [17:0] b = {{{_bits("B", 18)}}};
  reg [17:0] ra = 0, rb = 0;
  reg sa = 0, sb = 0;
  always @(posedge CLK0) begin
    if (rst_inputa) begin ra <= 0; sa <= 0; end else if (ce_inputa) begin ra <= a; sa <= SIGNEDA; end
    if (rst_inputb) begin rb <= 0; sb <= 0; end else if (ce_inputb) begin rb <= b; sb <= SIGNEDB; end
  end
  wire [17:0] a_in = REG_INPUTA_CLK == "NONE" ? a : ra;
  wire [17:0] b_in = REG_INPUTB_CLK == "NONE" ? b : rb;
  wire a_signed = REG_INPUTA_CLK == "NONE" ? SIGNEDA : sa;
  wire b_signed = REG_INPUTB_CLK == "NONE" ? SIGNEDB : sb;
  wire signed [18:0] xa = {{a_signed & a_in[17], a_in}};
  wire signed [18:0] xb = {{b_signed & b_in[17], b_in}};
  wire signed [37:0] full = xa * xb;
  reg [35:0] rpipe = 0, rout = 0;
  wire [35:0] piped = REG_PIPELINE_CLK == "NONE" ? full[35:0] : rpipe;
  always @(posedge CLK0) begin
    if (rst_pipeline) rpipe <= 0; else if (ce_pipeline) rpipe <= full[35:0];
    if (rst_output) rout <= 0; else if (ce_output) rout <= piped;
  end
  assign {{{_bits("P", 36)}}} = REG_OUTPUT_CLK == "NONE" ? piped : rout;
endmodule
"""


def netlist_model(component, top: str, out_dir: Path) -> tuple[Path, dict[str, int]]:
    """Synthesize ``component`` for ECP5 (as hw/pnr.py does) and write ``<top>.netlist.v``, the
    flattened netlist on the cells' simulation models. Returns the file and the cell counts of
    the synthesized netlist (``{cell type: count}``), so a caller can check what was mapped."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{top}.ecp5.v").write_text(verilog.convert(component, name=top, emit_src=False, platform=ECP5))
    (out_dir / "mult18x18d_model.v").write_text(mult18x18d_model())
    script = (f"read_verilog {top}.ecp5.v; {REPLICA_KEEP}; synth_ecp5 -top {top}; "
              f"tee -q -o {top}.cells.txt stat; "
              # the cells' models in place of the cells (MULT18X18D's from this file), flattened
              f"read_verilog -overwrite mult18x18d_model.v; read_verilog -lib +/lattice/cells_sim_ecp5.v; "
              f"design -save synth; design -reset; "
              f"read_verilog -D NO_INCLUDES +/lattice/cells_sim_ecp5.v; read_verilog -overwrite mult18x18d_model.v; "
              f"design -copy-from synth -as {top} {top}; hierarchy -top {top}; proc; flatten; opt_clean; "
              f"write_verilog -noattr {top}.netlist.v")
    proc = subprocess.run([yosys_binary(), "-q", "-p", script], cwd=out_dir, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"yosys (ECP5 netlist of {top}) failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    cells: dict[str, int] = {}
    for line in (out_dir / f"{top}.cells.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1][0].isalpha():
            cells[parts[1]] = cells.get(parts[1], 0) + int(parts[0])
    return out_dir / f"{top}.netlist.v", cells
