"""Session-level behaviour against a scripted counterparty over a real socket."""
import asyncio

import pytest

from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.fix.encoder import frame

from .conftest import Stack, run_async
from .rawfix import RawFix

NOS = [(11, "A1"), (55, "AAPL"), (54, "1"), (60, "20261122-10:00:00"), (38, 10), (40, "2"), (44, "189.00")]


async def logged_on(stack, name="CLIENT1"):
    raw = await RawFix(name, "WIRESPEED").connect(stack.gateway.port)
    logon = await raw.logon()
    assert logon[T.HeartBtInt] == "30" and logon[T.ResetSeqNumFlag] == "Y"
    return raw


@run_async
async def test_missing_required_tag_gets_reject_and_session_continues():
    async with Stack() as stack:
        raw = await logged_on(stack)
        await raw.send("D", [f for f in NOS if f[0] != 54])   # (Symbol is optional in FIX 4.4's Instrument)
        rej = await raw.expect("3")
        assert rej[T.RefSeqNum] == "2" and rej[T.RefTagID] == "54" and rej[T.RefMsgType] == "D"
        assert rej[T.SessionRejectReason] == "1" and "required tag 54 (Side) missing" in rej[T.Text]
        await raw.send("D", NOS)                      # seq 3: still in sequence after the reject
        er = await raw.expect("8")
        assert er[T.ClOrdID] == "A1"
        await raw.close()


@run_async
async def test_bad_tag_number_and_bad_integer_are_rejected():
    async with Stack() as stack:
        raw = await logged_on(stack)
        body = raw.build("D", NOS).replace(b"\x0155=AAPL", b"\x01x5=AAPL")
        # Re-frame so length and checksum are right: only the tag is bad.
        await raw.send_raw(frame(b"FIX.4.4", body[body.index(b"35="):body.rindex(b"10=")]))
        assert (await raw.expect("3"))[T.SessionRejectReason] == "0"
        await raw.send("D", [(t, "ten" if t == 38 else v) for t, v in NOS])
        rej = await raw.expect("3")
        assert rej[T.SessionRejectReason] == "6" and rej[T.RefTagID] == "38"
        await raw.close()


@run_async
async def test_garbled_message_is_dropped_without_answer():
    async with Stack() as stack:
        raw = await logged_on(stack)
        garbled = raw.build("D", NOS, seq=2).replace(b"AAPL", b"AAPX")   # checksum now wrong
        await raw.send_raw(garbled)
        try:
            msg = await raw.recv(0.3)
            raise AssertionError(f"garbled message was answered: {msg}")
        except TimeoutError:
            pass
        await raw.send("D", NOS, seq=2)        # the same sequence number is still expected
        assert (await raw.expect("8"))[T.ClOrdID] == "A1"
        await raw.close()


@run_async
async def test_first_message_must_be_logon():
    async with Stack() as stack:
        raw = await RawFix("CLIENT1", "WIRESPEED").connect(stack.gateway.port)
        await raw.send("D", NOS)
        logout = await raw.expect("5")
        assert "first message must be Logon" in logout[T.Text]
        assert await raw.closed()


@run_async
async def test_unknown_compid_is_refused_silently():
    async with Stack() as stack:
        raw = await RawFix("INTRUDER", "WIRESPEED").connect(stack.gateway.port)
        await raw.send("A", [(98, 0), (108, 30)])
        assert await raw.closed()
        assert stack.gateway.acceptor.refused == 1


@run_async
async def test_seq_too_low_logs_out():
    async with Stack() as stack:
        raw = await logged_on(stack)
        await raw.send("0", [], seq=1)
        logout = await raw.expect("5")
        assert "MsgSeqNum too low, expecting 2 but received 1" in logout[T.Text]
        assert await raw.closed()


@run_async
async def test_possdup_below_expected_is_ignored():
    async with Stack() as stack:
        raw = await logged_on(stack)
        await raw.send("0", [], seq=1, header_extra=[(43, "Y"), (122, "20261122-00:00:00")])
        await raw.send("1", [(112, "still-here")])
        assert (await raw.expect("0"))[T.TestReqID] == "still-here"
        await raw.close()


@run_async
async def test_seq_too_high_triggers_resend_request_and_gap_fill_recovers():
    async with Stack() as stack:
        raw = await logged_on(stack)
        await raw.send("D", NOS, seq=5)
        rr = await raw.expect("2")
        assert rr[T.BeginSeqNo] == "2" and rr[T.EndSeqNo] == "0"
        # Gap-fill 2..4; the queued seq 5 is then processed.
        await raw.send("4", [(123, "Y"), (36, 5)], seq=2, header_extra=[(43, "Y"), (122, "20261122-00:00:00")])
        assert (await raw.expect("8"))[T.ClOrdID] == "A1"
        raw.seq = 6
        await raw.send("1", [(112, "after-gap")])
        assert (await raw.expect("0"))[T.TestReqID] == "after-gap"
        await raw.close()


@run_async
async def test_sequence_reset_to_lower_number_is_rejected():
    async with Stack() as stack:
        raw = await logged_on(stack)
        await raw.send("1", [(112, "x")])
        await raw.expect("0")
        await raw.send("4", [(36, 1)])   # Reset mode, lower than expected
        rej = await raw.expect("3")
        assert rej[T.SessionRejectReason] == "5" and "lower sequence number" in rej[T.Text]
        await raw.close()


@run_async
async def test_resend_request_is_served_with_possdup_and_gap_fill():
    async with Stack() as stack:
        raw = await logged_on(stack)
        await raw.send("D", [(t, "R1" if t == 11 else ("100" if t == 38 else v)) for t, v in NOS])
        first = await raw.expect("8")               # gateway seq 2: ExecutionReport (venue ack)
        await raw.send("2", [(7, 1), (16, 0)])
        gap = await raw.expect("4")                 # seq 1 was the Logon: gap-filled
        assert gap[T.GapFillFlag] == "Y" and gap[T.NewSeqNo] == "2" and gap[T.PossDupFlag] == "Y"
        again = await raw.expect("8")
        assert again.seq_num == first.seq_num and again[T.PossDupFlag] == "Y"
        assert again[T.OrigSendingTime] == first[T.SendingTime] and again[T.ClOrdID] == "R1"
        await raw.close()


@run_async
async def test_unsupported_message_gets_business_reject():
    async with Stack() as stack:
        raw = await logged_on(stack)
        await raw.send("R", [(131, "Q1"), (146, 0)])
        bmr = await raw.expect("j")
        assert bmr[T.BusinessRejectReason] == "3" and bmr[T.RefMsgType] == "R"
        await raw.close()


@run_async
async def test_duplicate_logon_from_second_connection_is_refused():
    async with Stack() as stack:
        raw = await logged_on(stack)
        dup = await RawFix("CLIENT1", "WIRESPEED").connect(stack.gateway.port)
        await dup.send("A", [(98, 0), (108, 30), (141, "Y")])
        assert await dup.closed()
        await raw.send("1", [(112, "first-still-up")])
        assert (await raw.expect("0"))[T.TestReqID] == "first-still-up"
        await raw.close()


@run_async
async def test_logout_handshake():
    async with Stack() as stack:
        raw = await logged_on(stack)
        await raw.send("5", [(58, "bye")])
        await raw.expect("5")
        assert await raw.closed()


@run_async
async def test_sending_time_accuracy():
    async with Stack() as stack:
        raw = await logged_on(stack)
        await raw.send("0", [], sending_time="20200101-00:00:00.000")
        rej = await raw.expect("3")
        assert rej[T.SessionRejectReason] == "10"
        assert (await raw.expect("5"))[T.Text] == "SendingTime accuracy problem"


@run_async
async def test_garbage_on_one_session_does_not_disturb_another():
    async with Stack() as stack:
        good = await logged_on(stack, "CLIENT1")
        bad = await logged_on(stack, "CLIENT2")
        await bad.send_raw(b"\x00\xff garbage 8=FIX.4.4\x019=zz\x01" * 50 + b"8=FIX.4.4\x019=99999999\x01")
        await good.send("D", NOS)
        assert (await good.expect("8"))[T.ClOrdID] == "A1"
        await bad.send("1", [(112, "alive")])
        assert (await bad.expect("0"))[T.TestReqID] == "alive"
        await good.close()
        await bad.close()


@run_async
async def test_wrong_begin_string_logs_out():
    async with Stack() as stack:
        raw = await logged_on(stack)
        bad = RawFix("CLIENT1", "WIRESPEED", begin="FIX.4.2")
        await raw.send_raw(bad.build("0", [], seq=2))
        assert "incorrect BeginString" in (await raw.expect("5"))[T.Text]
        assert await raw.closed()


@run_async
async def test_possdup_with_late_orig_sending_time_is_rejected():
    async with Stack() as stack:
        raw = await logged_on(stack)
        await raw.send("D", NOS, header_extra=[(43, "Y"), (122, "21000101-00:00:00")])
        rej = await raw.expect("3")
        assert rej[T.SessionRejectReason] == "10" and rej[T.RefTagID] == "122"
        assert "OrigSendingTime later than SendingTime" in (await raw.expect("5"))[T.Text]   # then Logout
        assert await raw.closed()


@run_async
async def test_possdup_app_message_without_orig_sending_time_is_rejected():
    async with Stack() as stack:
        raw = await logged_on(stack)
        await raw.send("D", NOS, header_extra=[(43, "Y")])
        rej = await raw.expect("3")
        assert rej[T.SessionRejectReason] == "1" and rej[T.RefTagID] == "122"
        await raw.close()


@run_async
async def test_in_session_reset_seq_num_flag():
    async with Stack() as stack:
        raw = await logged_on(stack)
        await raw.send("1", [(112, "x")])
        await raw.expect("0")
        raw.seq = 1
        await raw.send("A", [(98, 0), (108, 30), (141, "Y")])
        reply = await raw.expect("A")
        assert reply[T.ResetSeqNumFlag] == "Y" and reply.seq_num == 1
        await raw.send("1", [(112, "after-reset")])        # seq 2
        assert (await raw.expect("0"))[T.TestReqID] == "after-reset"
        await raw.close()


@run_async
async def test_heartbeat_and_test_request_timeouts():
    """No traffic: Heartbeat after HeartBtInt, TestRequest after 1.2x, disconnect after a further interval."""
    from wirespeed.gateway.session import Session, SessionConfig
    sent, closed = [], []
    now = [0.0]
    from wirespeed.gateway.apps import EchoApp
    s = Session(SessionConfig("GW", "C", heartbeat_s=10), app=EchoApp(), clock=lambda: now[0])
    s.connection_made(sent.append, lambda: closed.append(True))
    s.state = s.state.__class__.ACTIVE
    now[0] = 10.0
    s.on_timer()
    assert b"35=0\x01" in sent[-1]
    now[0] = 12.5
    s.on_timer()
    assert b"35=1\x01" in sent[-1] and b"112=" in sent[-1]
    now[0] = 20.0
    s.on_timer()
    assert not closed
    now[0] = 23.0
    s.on_timer()
    assert closed and s.last_error == "no answer to TestRequest"


@run_async
async def test_messages_sent_while_disconnected_are_delivered_by_resend():
    from wirespeed.gateway.client import FixClient
    from wirespeed.gateway.session import SessionConfig
    async with Stack() as stack:
        gw = stack.gateway.acceptor.sessions["CLIENT1"]
        c = FixClient("CLIENT1", "WIRESPEED", "127.0.0.1", stack.gateway.port,
                      config=SessionConfig("CLIENT1", "WIRESPEED", role="initiator", reset_on_logon=False))
        await c.start()
        c.new_order("Q1", "MSFT", "1", 10, "409.00")
        await c.wait_report("Q1")
        await c.stop()                                       # logged out; gateway keeps its store
        for _ in range(300):                                 # (the gateway reads the Logout a turn later)
            if not gw.active:
                break
            await asyncio.sleep(0.01)
        assert not gw.active
        # The gateway sends while the client is away: stored, not written.
        seq = gw.send("8", [(37, "X"), (17, "X"), (150, "0"), (39, "0"), (55, "MSFT"), (54, "1"), (151, 0),
                            (14, 0), (6, 0), (11, "OFFLINE")])
        c2 = FixClient("CLIENT1", "WIRESPEED", "127.0.0.1", stack.gateway.port,
                       config=SessionConfig("CLIENT1", "WIRESPEED", role="initiator", reset_on_logon=False),
                       store=c.session.store)
        await c2.start()
        got = (await c2.wait_report("OFFLINE"))[0]
        assert got.seq_num == seq and got[T.PossDupFlag] == "Y"
        await c2.stop()


@run_async
async def test_refused_logon_reason_reaches_the_initiator():
    from wirespeed.gateway.client import FixClient
    from wirespeed.gateway.session import SessionConfig
    async with Stack() as stack:
        raw = await logged_on(stack)                 # the gateway now expects MsgSeqNum 2 from CLIENT1
        await raw.send("5", [])
        await raw.expect("5")
        c = FixClient("CLIENT1", "WIRESPEED", "127.0.0.1", stack.gateway.port,
                      config=SessionConfig("CLIENT1", "WIRESPEED", role="initiator", reset_on_logon=False))
        with pytest.raises(ConnectionError, match="logon refused: MsgSeqNum too low, expecting 3 but received 1"):
            await c.start(timeout=2.0)
        await c.stop()
