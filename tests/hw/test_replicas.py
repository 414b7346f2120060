"""logic.replicas: copies of an enable that yosys keeps apart (issue 14 item 3: ``advance``'s
fan-out), where ``keep`` on the nets alone let ``opt_merge`` fold them into one register."""
import re
import subprocess

import pytest
from amaranth import Elaboratable, Module, Signal
from amaranth.back import verilog

from wirespeed.hw.logic import REPLICA_KEEP, replicas
from wirespeed.hw.synth import yosys_binary

pytestmark = pytest.mark.hw


class _Fanout(Elaboratable):
    """Four copies of one enable, each loading 16 of 64 data registers."""

    def __init__(self):
        self.en, self.d, self.q = Signal(), Signal(64), Signal(64)

    def elaborate(self, platform):
        m = Module()
        copies = list(replicas("abcd").values())
        m.d.sync += [c.eq(self.en) for c in copies]
        for k in range(64):
            with m.If(copies[k % 4]):
                m.d.sync += self.q[k].eq(self.d[k])
        return m


def _flip_flops(tmp_path, prelude: str) -> int:
    top = _Fanout()
    (tmp_path / "t.v").write_text(verilog.convert(top, ports=[top.en, top.d, top.q], name="t"))
    out = subprocess.run([yosys_binary(), "-q", "-p", f"read_verilog t.v; {prelude}synth -top t; tee -o stat.txt stat"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    stat = (tmp_path / "stat.txt").read_text()
    return sum(int(n) for n, _ in re.findall(r"^\s+(\d+)\s+\$_(S?DFFE?_\w+)", stat, re.M))


def test_replicas_survive_opt_merge(tmp_path):
    assert _flip_flops(tmp_path, f"{REPLICA_KEEP}; ") == 64 + 4


def test_without_the_step_they_are_merged(tmp_path):
    """What the step is for: keep on the nets (as Amaranth writes the attribute) is not enough."""
    assert _flip_flops(tmp_path, "") == 64 + 1
