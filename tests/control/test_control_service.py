"""``wirespeed control --config FILE`` as a desk runs it: a subprocess with a sim venue on
loopback, ``wirespeed algo`` against it (a parent worked and filled, another canceled), SIGTERM
stops it cleanly; a bad config names its key and exits 2."""
import asyncio
import os
import signal
import sys
import textwrap

import pytest

from wirespeed import cli
from wirespeed.sim.venue import SimVenue, VenueSpec, VenueSymbol

from tests.gateway.conftest import run_async

SPEC = VenueSpec("XNAS", ouch=False, symbols=(VenueSymbol("MSFT", "0.01", "410.00", levels=3, level_qty=500),))


def config_text(venue: SimVenue, audit: str) -> str:
    return textwrap.dedent(f"""
        [gateway]
        port = 0
        [risk.default]
        max_qty = 5000
        collar_ticks = 200
        [[symbols]]
        name = "MSFT"
        tick = "0.01"
        reference = "410.00"
        [[clients]]
        comp_id = "CLIENT1"
        [audit]
        directory = "{audit}"
        [algo]
        decision_s = 0.5
        [desk]
        on_stop = "cancel"
        [[venues]]
        name = "XNAS"
        take_fee = 0.3
        make_rebate = 0.2
        [[venues.paths]]
        name = "XNAS"
        port = {venue.port}
        [venues.feed]
        request_port = {venue.feed.request_port}
        snapshot_port = {venue.feed.snapshot_port}
        [venues.reconnect]
        initial_s = 0.05
        max_s = 0.5
    """)


async def _algo(capsys, port, *argv):
    rc = await asyncio.to_thread(cli.main, ["algo", *argv, "--port", str(port), "--timeout", "5"])
    return rc, capsys.readouterr().out


@run_async(timeout=90)
async def test_the_desk_service_runs_parents_from_the_algo_cli_and_stops_on_sigterm(tmp_path, capsys):
    venue = SimVenue(SPEC)
    await venue.start()
    cfg = tmp_path / "desk.toml"
    cfg.write_text(config_text(venue, tmp_path / "audit"))
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "wirespeed.cli", "control", "--config", str(cfg),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                env=env)
    try:
        lines = []
        while True:
            line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
            assert line, f"service ended: {lines} {(await proc.stderr.read()).decode()[-2000:]}"
            lines.append(line)
            if line.startswith("listening fix"):
                break
        assert any(line.startswith(f"venue XNAS session XNAS 127.0.0.1:{venue.port} up") for line in lines), lines
        assert any(line.startswith("venue XNAS feed") and "joined" in line for line in lines), lines
        port = int(lines[-1].split()[2].rsplit(":", 1)[1])

        rc, out = await _algo(capsys, port, "submit", "S1", "--symbol", "MSFT", "--side", "buy", "--qty", "600",
                              "--strategy", "twap", "--limit", "411.00", "--duration", "3", "--urgency", "cross",
                              "--decision-secs", "0.5")
        assert rc == 0 and out.startswith("S1 P1: new"), out
        for _ in range(100):
            rc, out = await _algo(capsys, port, "status", "S1")
            if "S1 P1: filled, filled 600 of 600" in out:
                break
            await asyncio.sleep(0.1)
        assert rc == 0 and "S1 P1: filled, filled 600 of 600, leaves 0" in out, out

        rc, out = await _algo(capsys, port, "submit", "S2", "--symbol", "MSFT", "--side", "buy", "--qty", "800",
                              "--strategy", "twap", "--limit", "409.00", "--duration", "60", "--urgency", "passive")
        assert rc == 0 and out.startswith("S2 P2: new"), out
        rc, out = await _algo(capsys, port, "cancel", "S2")
        assert rc == 0 and "P2: canceled, filled 0 of 800" in out, out
        rc, out = await _algo(capsys, port, "submit", "S3", "--symbol", "MSFT", "--side", "buy", "--qty", "100",
                              "--strategy", "vwap", "--duration", "60")
        assert rc == 1 and "vwap needs the market's volume (algo.expected_volume_per_s)" in out, out
        rc, out = await _algo(capsys, port, "submit", "S4", "--symbol", "MSFT", "--side", "sell", "--qty", "500",
                              "--strategy", "twap", "--limit", "411.00", "--duration", "60", "--urgency", "passive")
        assert rc == 0, out                                            # left working: the stop cancels it

        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()[-2000:]
        assert "stopped: 1 parents canceled, 0 left working" in out.decode(), out.decode()
        assert list((tmp_path / "audit").iterdir())                    # the audit trail was written
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await venue.stop()


def test_a_bad_desk_config_names_the_key_and_exits_2(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(textwrap.dedent("""
        [[clients]]
        comp_id = "CLIENT1"
        [[venues]]
        name = "XNAS"
        [[venues.paths]]
        name = "XNAS"
        port = 70000
    """))
    assert cli.main(["control", "--config", str(cfg)]) == 2
    assert "venues[0].paths[0].port: must be a TCP port 0..65535, not 70000" in capsys.readouterr().err
    cfg.write_text(textwrap.dedent("""
        [[clients]]
        comp_id = "CLIENT1"
        [[venues]]
        name = "XNAS"
        paths = [{ name = "XNAS", port = 1 }]
        limits = { rate = -1 }
    """))
    assert cli.main(["control", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "venues[0].limits.rate: must be a non-negative number" in err, err
    cfg.write_text(textwrap.dedent("""
        [[clients]]
        comp_id = "CLIENT1"
        [desk]
        on_stop = "maybe"
        [[venues]]
        name = "XNAS"
        paths = [{ name = "XNAS", port = 1 }]
    """))
    assert cli.main(["control", "--config", str(cfg)]) == 2
    assert "desk.on_stop: must be one of 'cancel', 'leave', not 'maybe'" in capsys.readouterr().err
    cfg.write_text(textwrap.dedent("""
        [[clients]]
        comp_id = "CLIENT1"
        route = "XNAS"
        [[venues]]
        name = "XNAS"
        paths = [{ name = "XNAS-A", port = 1 }]
    """))
    assert cli.main(["control", "--config", str(cfg)]) == 2
    assert "clients[0].route: no venue path named 'XNAS' (paths: XNAS-A)" in capsys.readouterr().err


def test_nothing_in_gateway_or_control_imports_sim():
    """DESIGN.md's import direction, read from the source: the feed handler and the service too."""
    import ast
    from pathlib import Path
    root = Path(__file__).parents[2]
    bad = []
    for top in ("gateway", "control"):
        for f in (root / top).rglob("*.py"):
            package = ["wirespeed", *f.relative_to(root).parent.parts]
            for node in ast.walk(ast.parse(f.read_text())):
                if isinstance(node, ast.ImportFrom):
                    base = package[:len(package) - node.level + 1] if node.level else []
                    names = [".".join(base + ([node.module] if node.module else []))]
                    if not node.module:
                        names = [".".join(base + [a.name]) for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                else:
                    continue
                bad += [f"{f.relative_to(root)}: {n}" for n in names if n.startswith(("wirespeed.sim", "sim."))]
    assert (root / "gateway" / "feed" / "subscriber.py").exists() and (root / "control" / "service.py").exists()
    assert bad == []


def test_a_taken_port_is_a_clear_error_and_exit_1(tmp_path, capsys):
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cfg = tmp_path / "desk.toml"
        cfg.write_text(textwrap.dedent(f"""
            [gateway]
            port = {port}
            [[clients]]
            comp_id = "CLIENT1"
            [[venues]]
            name = "XNAS"
            logon_timeout_s = 0.1
            paths = [{{ name = "XNAS", port = 1 }}]
        """))
        assert cli.main(["control", "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert f"wirespeed control: cannot listen on 127.0.0.1:{port}: " in err and "in use" in err, err


def test_the_documented_desk_config_loads(tmp_path, monkeypatch):
    from pathlib import Path
    from wirespeed.control.service_config import load_control_config
    doc = (Path(__file__).parents[2] / "docs" / "control" / "live.md").read_text()
    section = doc[doc.index("## The desk service"):]
    example = section[section.index("```toml") + len("```toml"):]
    example, rest = example[:example.index("```")], example[example.index("```") + 3:]
    history = rest[rest.index("```toml") + len("```toml"):]
    # the documented history file, where the documented config names it (from the working directory)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "history").mkdir()
    (tmp_path / "history" / "MSFT.toml").write_text(history[:history.index("```")])
    (tmp_path / "desk.toml").write_text(example)
    cfg = load_control_config(tmp_path / "desk.toml")
    assert cfg.algo.histories["MSFT"].bins[0] == 0.12 and cfg.desk.speed == 1.0
    assert [v.name for v in cfg.venues] == ["XNAS", "XARC"]
    assert [p.name for p in cfg.venues[1].paths] == ["XARC-A", "XARC-B"]
    assert cfg.venues[0].feed.request_port == 9101 and cfg.desk.on_stop == "cancel"


@pytest.mark.parametrize("body, want", [
    ('[algo]\ndecision_s = 0\n', "algo.decision_s: must be positive, not 0.0"),
    ('[algo]\npov_rate = 2.0\n', "algo.pov_rate: participation rate must be in (0, 1], not 2.0"),
    ('[[venues]]\nname = "XNAS"\npaths = [{ name = "XNAS", port = 1 }, { name = "XNAS", port = 2 }]\n',
     "venues[0].paths[1].name: 'XNAS' named twice"),
])
def test_an_algorithm_or_venue_refusal_names_the_desk_configs_key(tmp_path, capsys, body, want):
    cfg = tmp_path / "bad.toml"
    venue = "" if "[[venues]]" in body else '[[venues]]\nname = "XNAS"\npaths = [{ name = "XNAS", port = 1 }]\n'
    cfg.write_text('[[clients]]\ncomp_id = "CLIENT1"\n' + venue + body)
    assert cli.main(["control", "--config", str(cfg)]) == 2
    assert want in capsys.readouterr().err


@run_async(timeout=30)
async def test_the_desk_builds_its_audit_trail_from_every_key_of_its_audit_section(tmp_path):
    """[audit] max_pending reaches the desk's trail as it reaches the gateway service's (it was
    dropped: the desk's trail kept the default cap)."""
    from wirespeed.control.service import DeskService
    from wirespeed.control.service_config import load_control_config
    venue = SimVenue(SPEC)
    await venue.start()
    try:
        cfg = tmp_path / "desk.toml"
        cfg.write_text(config_text(venue, tmp_path / "audit").replace("[audit]\n", "[audit]\nmax_pending = 7\n"))
        desk = DeskService(load_control_config(cfg))
    finally:
        await venue.stop()
    try:
        assert desk.gateway.orders.audit.max_pending == 7
    finally:
        desk.gateway.orders.audit.close()
