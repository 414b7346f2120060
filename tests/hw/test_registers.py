"""The register map: the document is current, the ports match, and bad accesses change nothing."""
import pytest
from amaranth.sim import Simulator

from wirespeed.hw.introspect import verilog_ports
from wirespeed.hw.regs import map as regmap
from wirespeed.hw.regs.doc import DOC_PATH, render
from wirespeed.hw.risk.checks import NOTIONAL_LIMIT_MAX, NOTIONAL_OPEN
from wirespeed.hw.risk.model import LimitEntry
from wirespeed.hw.risk.pipeline import RiskPipeline
from wirespeed.hw.toolchain import write_verilog
from wirespeed.hw.verify.access import AmaranthAccess
from wirespeed.hw.verify.pipeline_bench import bus_read, bus_write, idle_ports

pytestmark = pytest.mark.hw
G = {r.name: r for r in regmap.GLOBALS}


def test_register_doc_is_current():
    assert DOC_PATH.read_text() == render(), "docs/hw/registers.md is stale: run python -m wirespeed.hw.regs.doc"


def test_bus_ports_match_the_map(tmp_path):
    ports = verilog_ports(write_verilog(RiskPipeline(16, 4, 4), "risk_pipeline", tmp_path), "risk_pipeline")
    assert ports["bus__addr"] == ("Input", regmap.ADDR_WIDTH)
    assert ports["bus__wdata"] == ("Input", 32) and ports["bus__rdata"] == ("Output", 32)
    assert ports["bus__err"] == ("Output", 1) and ports["bus__rvalid"] == ("Output", 1)


def simulate(script):
    dut = RiskPipeline(16, 4, 4)
    box = {}

    async def bench(ctx):
        acc = AmaranthAccess(ctx, dut)
        idle_ports(acc)
        box["r"] = await script(acc)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return box["r"]


def test_resets_and_read_write():
    async def script(acc):
        out = {r.name: await bus_read(acc, r.offset) for r in regmap.GLOBALS if r.access != "WO"}
        await bus_write(acc, G["RATE_INTERVAL"].offset, 1234)
        await bus_write(acc, G["CTRL"].offset, 0b11)
        out["after"] = (await bus_read(acc, G["RATE_INTERVAL"].offset), await bus_read(acc, G["CTRL"].offset))
        out["err"] = acc.get("bus.err")
        return out
    out = simulate(script)
    for r in regmap.GLOBALS:
        assert r.access == "WO" or out[r.name] == r.reset, r.name
    assert out["after"] == (1234, 0b11) and out["err"] == 0


@pytest.mark.parametrize("kind,addr", [
    ("write", G["VERSION"].offset), ("write", G["CREDIT_USED_LO"].offset), ("write", 0x0FF0),
    ("write", 0x0006), ("write", regmap.table_addr(16, 0)), ("write", regmap.table_addr(2, 10)),
    ("write", regmap.table_addr(2, 1)), ("write", (1 << regmap.ADDR_WIDTH) - 4), ("write", G["SHADOW_WRITTEN"].offset),
    ("read", regmap.table_addr(2, 1)), ("read", 0x0100), ("read", regmap.table_addr(16, 10)),
    ("read", G["ROW_COMMIT"].offset), ("read", regmap.shadow_addr(3)),
])
def test_bad_access_sets_error_and_changes_nothing(kind, addr):
    async def script(acc):
        before = [await bus_read(acc, r.offset) for r in regmap.GLOBALS if r.name != "STATUS" and r.access != "WO"]
        if kind == "write":
            await bus_write(acc, addr, 0xFFFFFFFF)
            value = None
        else:
            value = await bus_read(acc, addr)
        err = acc.get("bus.err")
        after = [await bus_read(acc, r.offset) for r in regmap.GLOBALS if r.name != "STATUS" and r.access != "WO"]
        status = await bus_read(acc, G["STATUS"].offset)
        await bus_write(acc, G["STATUS"].offset, 1)          # write 1 to clear
        cleared = acc.get("bus.err"), await bus_read(acc, G["STATUS"].offset)
        return before, after, err, status, cleared, value
    before, after, err, status, cleared, value = simulate(script)
    assert err == 1 and status == 1
    assert before == after
    assert cleared == (0, 0)
    assert value in (None, 0)


def test_a_commit_of_a_half_written_row_is_refused_and_flagged():
    """ROW_COMMIT before every SHADOW word was written since the last commit writes nothing and
    sets the error flag; SHADOW_WRITTEN shows which words are in; a complete commit clears it
    (the hazard scenarios ``regs/commit-*`` show the orders around it see only whole rows)."""
    writes = regmap.row_writes(2, 0x1234)

    async def script(acc):
        for addr, data in writes[1:-1]:
            await bus_write(acc, addr, data)
        pending = await bus_read(acc, G["SHADOW_WRITTEN"].offset)
        await bus_write(acc, *writes[-1])
        refused = acc.get("bus.err"), await bus_read(acc, G["SHADOW_WRITTEN"].offset)
        await bus_write(acc, G["STATUS"].offset, 1)
        await bus_write(acc, *writes[0])
        await bus_write(acc, G["ROW_COMMIT"].offset, 16)          # beyond the table: refused too
        beyond = acc.get("bus.err")
        await bus_write(acc, G["STATUS"].offset, 1)
        await bus_write(acc, *writes[-1])
        return pending, refused, beyond, acc.get("bus.err"), await bus_read(acc, G["SHADOW_WRITTEN"].offset)

    pending, refused, beyond, err, written = simulate(script)
    full = (1 << len(regmap.SHADOW)) - 1
    assert pending == full & ~1 and refused == (1, full & ~1) and beyond == 1
    assert (err, written) == (0, 0)


def test_the_model_backend_refuses_what_the_register_file_refuses():
    from wirespeed.gateway.risk import ModelRiskBackend
    backend = ModelRiskBackend(16, 4)
    writes = regmap.row_writes(3, 0)
    for addr, data in writes[2:-1]:
        backend.write_register(addr, data)
    with pytest.raises(ValueError, match=r"ROW_COMMIT of row 3: shadow words \[0, 1\] not written"):
        backend.write_register(*writes[-1])
    with pytest.raises(ValueError, match="not in place"):
        backend.write_register(regmap.table_addr(3, 0), 1)


def test_session_rate_words_read_back_and_the_global_writes_every_session():
    """S_RATE_INTERVAL / S_RATE_TOLERANCE of one session, then RATE_INTERVAL (every session's
    interval, the tolerances kept); a write to a session's word 6 is refused and flagged."""
    def words(acc, w):
        return [bus_read(acc, regmap.session_addr(s, w)) for s in range(4)]

    async def script(acc):
        await bus_write(acc, regmap.session_addr(2, 4), 77)
        await bus_write(acc, regmap.session_addr(2, 5), 500)
        own = [await r for r in words(acc, 4)], [await r for r in words(acc, 5)]
        await bus_write(acc, G["RATE_INTERVAL"].offset, 9)
        broadcast = [await r for r in words(acc, 4)], [await r for r in words(acc, 5)]
        err = acc.get("bus.err")
        await bus_write(acc, regmap.session_addr(1, 6), 1)
        return own, broadcast, err, acc.get("bus.err"), [await r for r in words(acc, 4)]

    own, broadcast, err, bad, after = simulate(script)
    assert own == ([0, 0, 77, 0], [0, 0, 500, 0])
    assert broadcast == ([9] * 4, [0, 0, 500, 0]) and err == 0
    assert bad == 1 and after == [9] * 4


@pytest.mark.parametrize("notional,taken", [(NOTIONAL_LIMIT_MAX, True), (NOTIONAL_LIMIT_MAX + 1, False),
                                            (1 << 63, False), (NOTIONAL_OPEN - 1, False), (NOTIONAL_OPEN, True)])
def test_a_row_whose_max_notional_the_table_cannot_store_is_refused(notional, taken):
    """The limit table stores max_notional in 42 bits (all ones: open, 2**64 - 1): a commit of
    the widest value it takes (2**42 - 2) or of open is taken; one above, or any other value up
    to 2**64 - 2, is refused like a half-written row: the error flag set, the shadow still
    complete (nothing written). The model backend refuses the same commits."""
    writes = regmap.row_writes(2, LimitEntry(10, 1, 100, max_notional=notional).pack())

    async def script(acc):
        for addr, data in writes:
            await bus_write(acc, addr, data)
        return acc.get("bus.err"), await bus_read(acc, G["SHADOW_WRITTEN"].offset)

    full = (1 << len(regmap.SHADOW)) - 1
    assert simulate(script) == ((0, 0) if taken else (1, full))
    from wirespeed.gateway.risk import ModelRiskBackend
    backend = ModelRiskBackend(16, 4)
    for addr, data in writes[:-1]:
        backend.write_register(addr, data)
    if taken:
        backend.write_register(*writes[-1])
        assert backend.row(2).max_notional == notional
    else:
        with pytest.raises(ValueError, match=f"ROW_COMMIT of row 2: max_notional {notional} does not fit"):
            backend.write_register(*writes[-1])
        assert backend.row(2) is None
