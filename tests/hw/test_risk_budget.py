"""The risk pipeline's block-RAM budget (hw/risk/budget.py): the count per memory shape against
yosys's own ECP5 mapping, and the memories and ports found in the elaborated pipeline."""
import re
import subprocess

import pytest
from amaranth import Module, Signal
from amaranth.back import verilog
from amaranth.lib.memory import Memory

from wirespeed.hw.risk import budget
from wirespeed.hw.synth import yosys_binary

pytestmark = pytest.mark.hw


def _yosys_dp16kd(tmp_path, width: int, depth: int, reads: int, shared: int = 0) -> int:
    """``shared``: the last read port on the write port's address, ``no_rw_check`` (as ``released``)."""
    m = Module()
    m.submodules.mem = mem = Memory(shape=width, depth=depth, init=[], attrs={"no_rw_check": 1} if shared else None)
    wr = mem.write_port()
    ports = [mem.read_port() for _ in range(reads)]
    # every port on ports of the top, so nothing is optimised away
    ins = [Signal(len(p.addr), name=f"a{k}") for k, p in enumerate(ports)]
    outs = [Signal(width, name=f"q{k}") for k in range(reads)]
    wa, wd, we = (ins[-1] if shared else Signal(len(wr.addr))), Signal(width), Signal()
    m.d.comb += [wr.addr.eq(wa), wr.data.eq(wd), wr.en.eq(we)]
    for p, a, q in zip(ports, ins, outs):
        m.d.comb += [p.addr.eq(a), q.eq(p.data)]
    text = verilog.convert(m, name="top", ports=[*ins, *outs, *([] if shared else [wa]), wd, we], emit_src=False)
    (tmp_path / "top.v").write_text(text)
    proc = subprocess.run([yosys_binary(), "-q", "-p", "read_verilog top.v; synth_ecp5 -top top -run :map_ffram; "
                           "tee -q -o stat.txt stat"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = re.search(r"^\s+(\d+)\s+DP16KD$", (tmp_path / "stat.txt").read_text(), re.M)
    return int(found.group(1)) if found else 0


@pytest.mark.slow           # yosys runs, 10-25 s of wall time each: make test-hw-long
@pytest.mark.parametrize("width,depth,reads,shared", [(64, 1024, 2, 0), (252, 64, 1, 0), (48, 8192, 1, 0),
                                                      (36, 16384, 2, 1), (36, 16384, 2, 0), (36, 16384, 1, 0)])
def test_the_block_count_is_yosys_s(tmp_path, width, depth, reads, shared):
    use = budget.MemoryUse("m", width, depth, reads, shared)
    assert _yosys_dp16kd(tmp_path, width, depth, reads, shared) == use.blocks


def test_the_pipeline_s_memories_and_read_ports():
    """The order and fill ports each cost a copy: opened (order), released (order; the fill's
    read on its write's port: one copy), position (fill), the limit table (order); the read-back
    shares the order's and the fill's ports (tables.ReadBack), so it costs none."""
    mems = {m.name: m for m in budget.memories(64)}
    assert {n: (m.width, m.depth, m.read_ports, m.shared) for n, m in mems.items()} == {
        "limits": (252, 64, 1, 0), "opened": (36, 128, 1, 0), "released": (36, 128, 2, 1), "position": (48, 64, 1, 0)}
    assert sum(m.blocks for m in mems.values()) == 12     # 16 at 64-bit counters and a 274-bit row, 23 with read-back copies and padding


def test_a_memory_without_storage_is_refused():
    with pytest.raises(ValueError, match="0 x 16 bits has no storage"):
        budget.blocks(0, 16)
