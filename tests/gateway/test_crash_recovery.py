"""kill -9 the acceptor mid-stream, restart it on the same file store: sequence numbers
continue, every message it sent is resent on request, no gap and no duplicate."""
import asyncio
import os
import signal
import socket
import subprocess
import sys

from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.session import SessionConfig

from .conftest import run_async


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start_acceptor(cfg) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "wirespeed.cli", "fix-acceptor", "--config", str(cfg),
                             "--app", "ack"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = await asyncio.get_running_loop().run_in_executor(None, proc.stdout.readline)
    assert line.startswith("listening on"), (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc


def test_kill9_and_restart_loses_nothing(tmp_path):
    port = free_port()
    cfg = tmp_path / "acceptor.cfg"
    cfg.write_text(f"[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=GW\nTargetCompID=CLIENT1\n"
                   f"SocketAcceptPort={port}\nFileStorePath={tmp_path / 'store'}\nFsyncPolicy=always\n"
                   f"ResetOnLogon=N\nMaxMessagesPerSecond=100000\n")

    @run_async
    async def scenario():
        proc = await start_acceptor(cfg)
        client = FixClient("CLIENT1", "GW", "127.0.0.1", port, reconnect=True, backoff_initial=0.05,
                           backoff_max=0.2, config=SessionConfig(sender_comp_id="CLIENT1", target_comp_id="GW",
                                                                 role="initiator", reset_on_logon=False))
        try:
            await client.start()
            sent = []
            for i in range(300):
                if i == 150:
                    os.kill(proc.pid, signal.SIGKILL)          # mid-stream, with ERs still in flight
                    proc.wait()
                if not client.session.active:
                    break
                client.new_order(f"K{i}", "AAPL", "1", 1, "1.00")
                sent.append(f"K{i}")
                if i % 10 == 0:
                    await asyncio.sleep(0)                     # let the wire move
            answered_before = sum(1 for c in sent if client.reports[c])
            assert answered_before < len(sent), "the kill came too late to leave anything in flight"
            proc = await start_acceptor(cfg)
            assert await client.initiator.wait_logged_on(10), client.session.last_error
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 15
            while any(len(client.reports[c]) < 1 for c in sent) and loop.time() < deadline:
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)                           # anything duplicated would have arrived by now
            counts = {c: len(client.reports[c]) for c in sent}
            assert all(n == 1 for n in counts.values()), {c: n for c, n in counts.items() if n != 1}
            seqs = sorted(m.seq_num for c in sent for m in client.reports[c])
            assert len(seqs) == len(set(seqs)), "an ExecutionReport sequence number arrived twice"
            assert not client.session._queue, "messages still waiting for a gap to fill"
            assert client.session.store.next_target_seq > max(seqs)
            assert len(sent) >= 150
            fills = [client.reports[c][0] for c in sent]
            assert all(m[T.OrdStatus] == "2" for m in fills)
        finally:
            await client.stop()
            proc.send_signal(signal.SIGTERM)
            proc.wait(5)
    scenario()
