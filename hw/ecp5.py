"""ECP5 primitives instantiated with their registers on, for the ``ecp5`` place-and-route flow only
(hw/pnr.py elaborates with ``ECP5``). yosys's ECP5 mapping leaves MULT18X18D combinational (no
input, pipeline or output register packed) and DP16KD at ``REGMODE "NOREG"``, so a path through a
multiplier is >= 3.07 ns + routing and one out of a block RAM >= 4.26 ns + routing, whatever
registers the HDL puts around them (docs/hw/performance.md). A block that can use the primitive's
own registers does so when elaborated with ``ECP5`` as its platform; with any other platform (None:
the Amaranth simulator, the Verilated and cocotb runs, the xcup depth report) it keeps its generic
Amaranth code, so the simulated design is the one every test checks. The two must be the same
function cycle for cycle: tests/hw/test_ecp5_netlist.py simulates the synthesized netlist (yosys's
cell models) against the golden model.
"""
from amaranth import ClockSignal, Const, ResetSignal, Signal
from amaranth.hdl import Instance


class Ecp5Flow:
    """The platform object of the ECP5 P&R flow: only a marker (nothing calls a method on it)."""
    primitives = "ecp5"

    def __repr__(self):
        return "ECP5"


ECP5 = Ecp5Flow()


def is_ecp5(platform) -> bool:
    return getattr(platform, "primitives", None) == "ecp5"


def mult18x18d(m, name: str, a, b, *, ce_a, ce_b, ce_p) -> Signal:
    """An unsigned 18 x 18 MULT18X18D with its A and B input registers and its output register on
    (``sync`` domain, synchronous reset): ``P`` is ``a * b`` two clock edges after ``a`` / ``b``
    are loaded (input registers load while ``ce_a`` / ``ce_b``, the output register while
    ``ce_p``). The pipeline register stays off (it would be a third cycle)."""
    if len(a) > 18 or len(b) > 18:
        raise ValueError(f"{name}: operands of {len(a)} and {len(b)} bits; a MULT18X18D takes 18 x 18")
    p = Signal(36, name=f"{name}_p")
    a18 = Signal(18, name=f"{name}_a")
    b18 = Signal(18, name=f"{name}_b")
    m.d.comb += [a18.eq(a), b18.eq(b)]
    ports = {f"i_A{k}": a18[k] for k in range(18)}
    ports.update({f"i_B{k}": b18[k] for k in range(18)})
    ports.update({f"i_C{k}": Const(0, 1) for k in range(18)})
    ports.update({f"o_P{k}": p[k] for k in range(36)})
    zero = Const(0, 1)
    m.submodules[name] = Instance(
        "MULT18X18D",
        p_REG_INPUTA_CLK="CLK0", p_REG_INPUTA_CE="CE0", p_REG_INPUTA_RST="RST0",
        p_REG_INPUTB_CLK="CLK0", p_REG_INPUTB_CE="CE1", p_REG_INPUTB_RST="RST0",
        p_REG_PIPELINE_CLK="NONE",
        p_REG_OUTPUT_CLK="CLK0", p_REG_OUTPUT_CE="CE2", p_REG_OUTPUT_RST="RST0",
        p_GSR="DISABLED", p_RESETMODE="SYNC",
        i_SIGNEDA=zero, i_SIGNEDB=zero, i_SOURCEA=zero, i_SOURCEB=zero,
        i_CLK0=ClockSignal(), i_CLK1=zero, i_CLK2=zero, i_CLK3=zero,
        i_CE0=ce_a, i_CE1=ce_b, i_CE2=ce_p, i_CE3=zero,
        i_RST0=ResetSignal(), i_RST1=zero, i_RST2=zero, i_RST3=zero,
        **ports)
    return p
