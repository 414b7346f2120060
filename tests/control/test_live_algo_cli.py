"""``wirespeed algo submit|status|cancel|replace`` against a running gateway + control plane
(a venue, the gateway, the desk and its market data on 127.0.0.1), each command a fresh FIX
client session as a desk's script would run it."""
import asyncio

from wirespeed import cli

from tests.gateway.conftest import Stack, run_async
from .test_live_parent import _setup


async def _algo(capsys, port, *argv):
    # the command runs its own event loop, so it runs in a thread beside the test's loop
    rc = await asyncio.to_thread(cli.main, ["algo", *argv, "--port", str(port), "--sender", "CLIENT2",
                                            "--timeout", "5"])
    return rc, capsys.readouterr().out


@run_async(timeout=60)
async def test_the_algo_commands_submit_follow_replace_and_cancel_parents(capsys):
    async with Stack() as stack:
        clock, desk, c, stop, task = await _setup(stack)
        port = stack.gateway.port
        rc, out = await _algo(capsys, port, "status")
        assert rc == 0 and out.strip() == "no parent orders of CLIENT2", out
        rc, out = await _algo(capsys, port, "submit", "S1", "--symbol", "MSFT", "--side", "buy", "--qty", "600",
                              "--strategy", "twap", "--limit", "411.00", "--duration", "60", "--urgency", "cross",
                              "--decision-secs", "5")
        assert rc == 0 and out.startswith("S1 P1: new"), out
        p = desk.parents[("CLIENT2", "S1")]
        for _ in range(500):
            if p.done:
                break
            await asyncio.sleep(0.01)
        rc, out = await _algo(capsys, port, "status", "S1")
        assert rc == 0 and "S1 P1: filled, filled 600 of 600, leaves 0 avg px 41" in out, out

        rc, out = await _algo(capsys, port, "submit", "S2", "--symbol", "MSFT", "--side", "buy", "--qty", "100",
                              "--strategy", "twap", "--duration", "60", "--param", "Speed=9")
        assert rc == 1 and "S2: refused: strategy parameter 'Speed': unknown" in out, out

        rc, out = await _algo(capsys, port, "submit", "S3", "--symbol", "MSFT", "--side", "sell", "--qty", "3000",
                              "--strategy", "twap", "--limit", "412.00", "--duration", "1800", "--urgency", "passive",
                              "--min-child", "20", "--decision-secs", "1")
        # (half an hour of the desk's 60x clock: 30 s of real time for the commands below, each a
        # process-like client of its own; 600 s was 10 s, which a loaded machine ran out, the
        # parent "done for day" before its status was asked)
        assert rc == 0, out
        for _ in range(300):
            if stack.gateway.orders.working(client="CONTROL"):
                break
            await asyncio.sleep(0.01)
        rc, out = await _algo(capsys, port, "status", "S3", "NOPE")
        assert rc == 1 and "S3 P2: new, filled 0 of 3,000" in out and "(working " in out, out
        assert "NOPE: refused: unknown order" in out, out
        rc, out = await _algo(capsys, port, "status")                 # every parent of this client
        lines = out.strip().splitlines()
        assert rc == 0 and len(lines) == 2, out                     # S2 was refused: no parent
        assert lines[0].startswith("S1 P1: filled, filled 600") and lines[1].startswith("S3 P2: new")
        rc, out = await _algo(capsys, port, "replace", "S3", "S4", "--qty", "3500", "--urgency", "mid")
        assert rc == 0 and out.startswith("S4 P2:") and "of 3,500" in out, out
        rc, out = await _algo(capsys, port, "cancel", "S4")
        assert rc == 0 and "canceled" in out, out
        assert not stack.gateway.orders.working(client="CONTROL")
        rc, out = await _algo(capsys, port, "cancel", "S4")
        assert rc == 1 and "parent already done" in out, out
        stop.set()
        await task
        await c.stop()


def test_a_gateway_that_is_not_there_is_exit_code_2(capsys):
    rc = cli.main(["algo", "status", "X", "--port", "1", "--timeout", "0.5"])
    assert rc == 2 and "logon failed" in capsys.readouterr().err


def test_a_malformed_param_flag_is_named(capsys):
    rc = cli.main(["algo", "submit", "X", "--port", "1", "--symbol", "MSFT", "--side", "buy", "--qty", "1",
                   "--strategy", "twap", "--param", "Speed"])
    assert rc == 2 and "--param 'Speed': expected NAME=VALUE" in capsys.readouterr().err
