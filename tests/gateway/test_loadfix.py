"""The bench-load's C generator and ack venue (gateway/bench/loadfix.c) against wirespeed's own FIX
engine: the venue is a FIX session our initiator logs on to and trades with (every frame it
writes checked by our parser and validated by our dictionary), and the generator's sessions
are counted exactly against our acceptor running the ack app."""
import asyncio
import json
import shutil
import subprocess
from array import array

import pytest

from wirespeed.gateway.acceptor import FixAcceptor
from wirespeed.gateway.apps import AckApp
from wirespeed.gateway.bench import loadfix
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.session import Session, SessionConfig

from .conftest import run_async

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None and shutil.which("cc") is None, reason="no C compiler")


@run_async(timeout=60)
async def test_the_c_venue_is_a_fix_session_that_fills_every_order():
    venue = await asyncio.create_subprocess_exec(*loadfix.venue_cmd("XNAS"), stdout=subprocess.PIPE,
                                                 stderr=subprocess.PIPE)
    try:
        port = int((await venue.stdout.readline()).split()[2].rsplit(b":", 1)[1])
        client = FixClient("GW", "XNAS", "127.0.0.1", port)
        await client.start()
        client.new_order("00000001", "AAPL", "1", 100, "190.25")
        client.new_order("00000002", "MSFT", "2", 7, None, ord_type="1")       # a market order: filled at 0
        (fill,) = await client.wait_report("00000001")
        assert (fill[T.ExecType], fill[T.OrdStatus], fill[T.Symbol], fill[T.Side]) == ("F", "2", "AAPL", "1")
        assert (fill[T.LastQty], fill[T.LastPx], fill[T.CumQty], fill[T.LeavesQty], fill[T.AvgPx]) == \
               ("100", "190.25", "100", "0", "190.25")
        (mkt,) = await client.wait_report("00000002")
        assert (mkt[T.LastQty], mkt[T.LastPx], mkt[T.Side]) == ("7", "0", "2")
        assert fill[T.ExecID] != mkt[T.ExecID]
        assert await client.test_request("PING-7") > 0                       # a Heartbeat with its TestReqID
        client.status("00000001", "AAPL", "1")                               # not taken: BusinessMessageReject
        for _ in range(200):
            if any(m.msg_type == "j" for m in client.other):
                break
            await asyncio.sleep(0.01)
        (rej,) = [m for m in client.other if m.msg_type == "j"]
        assert rej.get(372) == "H" and rej.get(380) == "3"
        # Our session saw every inbound number in order, and no frame was refused or garbled.
        s = client.session
        assert s.store.next_target_seq == 6 and s.parser.garbled == 0     # Logon, 2 fills, Heartbeat, Reject
        await client.stop()
    finally:
        venue.terminate()
        _, err = await venue.communicate()
    assert b"2 orders filled, 0 garbled, 0 sequence gaps, 1 business rejects" in err


@run_async(timeout=60)
async def test_the_c_generator_counts_every_order_of_its_sessions_once(tmp_path):
    names = ["LOAD00", "LOAD01", "LOAD02"]
    app = AckApp()
    sessions = {n: Session(SessionConfig("GW", n, role="acceptor"), app) for n in names}
    acceptor = FixAcceptor(sessions=sessions)
    port = await acceptor.start()
    rtt_file = str(tmp_path / "rtt.bin")
    try:
        proc = await asyncio.create_subprocess_exec(
            *loadfix.client_cmd(port, 150, 1.0, 2000, 2.0, 10.0, ["XNAS", "XNYS"], rtt_file, names),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await proc.communicate()
    finally:
        await acceptor.stop()
    assert proc.returncode == 0, err
    r = json.loads(out)
    assert r["sent"] == 450 and r["answered"] == 450, r          # 150 a second each, on 2 ms ticks, for 1 s
    assert r["duplicated"] == r["unknown"] == r["rejected"] == r["deferred"] == 0
    assert r["garbled"] == r["seq_gaps"] == r["session_rejects"] == 0
    rtts = array("Q")
    rtts.frombytes(open(rtt_file, "rb").read())
    assert len(rtts) == 450 and all(0 < v < 10**10 for v in rtts)
    # The acceptor's sessions: every order in sequence, logged out at the end.
    for n in names:
        assert sessions[n].store.next_target_seq == 1 + 1 + 150 + 1      # Logon, the orders, Logout


class _TwiceApp(AckApp):
    """Answers every other order twice (a duplicate the generator must count) and never answers
    every fifth (an order it must count lost)."""

    def on_message(self, session, msg):
        n = int(msg.get(T.ClOrdID).rsplit("-", 1)[1])
        if n % 5 == 0:
            return
        super().on_message(session, msg)
        if n % 2 == 0:
            super().on_message(session, msg)


@run_async(timeout=60)
async def test_the_c_generator_counts_duplicates_and_unanswered_orders(tmp_path):
    app = _TwiceApp()
    sessions = {"LOAD00": Session(SessionConfig("GW", "LOAD00", role="acceptor"), app)}
    acceptor = FixAcceptor(sessions=sessions)
    port = await acceptor.start()
    try:
        proc = await asyncio.create_subprocess_exec(
            *loadfix.client_cmd(port, 100, 0.5, 1000, 0.5, 5.0, ["XNAS"], str(tmp_path / "rtt.bin"), ["LOAD00"]),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await proc.communicate()
    finally:
        await acceptor.stop()
    assert proc.returncode == 0, err
    r = json.loads(out)
    assert r["sent"] == 50 and r["answered"] == 40 and r["duplicated"] == 20, r   # 10 never answered
