"""The engine from .cfg: echo and ack apps, dynamic sessions, security settings, TLS."""
import datetime as dt
import shutil
import subprocess

import pytest

from wirespeed.gateway.fix import tags as T

from .conftest import CfgEngine, acceptor_cfg, run_async
from .rawfix import RawFix

NOS = [(11, "E1"), (55, "AAPL"), (54, "1"), (60, "20261122-10:00:00"), (38, 10), (40, "2"), (44, "189.00")]


async def logon(port, sender="CLIENT1", **kw):
    raw = await RawFix(sender, "GW").connect(port)
    await raw.send("A", [(98, 0), (108, 30), (141, "Y")] + kw.get("extra", []))
    return raw


@run_async
async def test_echo_returns_new_order_security_definition_and_email_unchanged():
    async with CfgEngine(acceptor_cfg()) as eng:
        raw = await logon(eng.port)
        await raw.expect("A")
        await raw.send("D", NOS)
        echo = await raw.expect("D")
        assert echo.body() == [(t, str(v)) for t, v in NOS]
        secdef = [(320, "R1"), (322, "S1"), (323, "1"), (55, "AAPL")]
        await raw.send("d", secdef)
        assert (await raw.expect("d")).body() == [(t, str(v)) for t, v in secdef]
        email = [(164, "T"), (94, "0"), (147, "hi"), (33, "2"), (58, "one"), (58, "two")]
        await raw.send("C", email)
        assert (await raw.expect("C")).body() == [(t, str(v)) for t, v in email]
        await raw.close()


@run_async
async def test_echo_drops_possdup_order_already_seen_and_rejects_other_messages():
    async with CfgEngine(acceptor_cfg()) as eng:
        raw = await logon(eng.port)
        await raw.expect("A")
        await raw.send("D", NOS)
        await raw.expect("D")
        await raw.send("D", NOS, header_extra=[(43, "Y"), (122, "20261122-00:00:00")])   # seen: dropped
        await raw.send("D", [(11, "E2")] + NOS[1:], header_extra=[(43, "Y"), (122, "20261122-00:00:00")])
        assert (await raw.expect("D"))[T.ClOrdID] == "E2"                                  # new: echoed
        await raw.send("F", [(41, "E1"), (11, "E3"), (55, "AAPL"), (54, "1"), (60, "20261122-10:00:00")])
        bmr = await raw.expect("j")
        assert bmr[T.BusinessRejectReason] == "3" and bmr[T.RefMsgType] == "F"
        await raw.send("ZZ", [])
        assert (await raw.expect("3"))[T.SessionRejectReason] == "11"                      # invalid MsgType
        await raw.close()


@run_async
async def test_ack_app_fills_each_order():
    async with CfgEngine(acceptor_cfg(), app="ack") as eng:
        raw = await logon(eng.port)
        await raw.expect("A")
        await raw.send("D", NOS)
        er = await raw.expect("8")
        assert (er[T.ClOrdID], er[T.OrdStatus], er[T.LastQty], er[T.LastPx]) == ("E1", "2", "10", "189.00")
        await raw.close()


@run_async
async def test_dynamic_sessions_from_template():
    cfg = acceptor_cfg(TargetCompID="*", AcceptorTemplate="Y")
    async with CfgEngine(cfg) as eng:
        for name in ("ANY1", "ANY2"):
            raw = await logon(eng.port, name)
            assert (await raw.expect("A"))[T.TargetCompID] == name
            await raw.close()
        assert {"FIX.4.4-GW-ANY1", "FIX.4.4-GW-ANY2"} <= set(eng.engine.sessions)


@run_async
async def test_password_checked():
    async with CfgEngine(acceptor_cfg(Password="s3cret")) as eng:
        bad = await logon(eng.port, extra=[(554, "guess")])
        assert "authentication failed" in (await bad.expect("5"))[T.Text]
        assert await bad.closed()
        good = await logon(eng.port, extra=[(554, "s3cret")])
        await good.expect("A")
        await good.close()


@run_async
async def test_inbound_rate_limit_logs_out():
    async with CfgEngine(acceptor_cfg(MaxMessagesPerSecond=20)) as eng:
        raw = await logon(eng.port)
        await raw.expect("A")
        for i in range(100):        # (five times the rate: trips even when a loaded machine sends slowly)
            await raw.send("0", [])
        texts = []
        try:
            while True:
                m = await raw.recv(1.0)
                texts.append(m.get(T.Text, ""))
        except (ConnectionError, TimeoutError):
            pass
        assert any("inbound message rate above 20/s" in t for t in texts)


@run_async
async def test_only_failed_logons_are_rate_limited_per_address():
    async with CfgEngine(acceptor_cfg(MaxLogonsPerMinute=2)) as eng:
        for _ in range(3):                      # successful logons never count
            raw = await logon(eng.port)
            await raw.expect("A")
            await raw.send("5", [])
            await raw.closed()
        for _ in range(2):                      # two failures from this address (an unknown CompID)
            bad = await RawFix("NOBODY", "GW").connect(eng.port)
            await bad.send("A", [(98, 0), (108, 30)])
            assert await bad.closed()
        third = await logon(eng.port)           # now even a good Logon from here is refused
        assert await third.closed()


@run_async
async def test_logon_outside_schedule_is_refused():
    now = dt.datetime.now(dt.timezone.utc)
    start = (now + dt.timedelta(hours=2)).strftime("%H:%M:%S")
    end = (now + dt.timedelta(hours=3)).strftime("%H:%M:%S")
    async with CfgEngine(acceptor_cfg(StartTime=start, EndTime=end)) as eng:
        raw = await logon(eng.port)
        assert "outside the session schedule" in (await raw.expect("5"))[T.Text]


@run_async
async def test_maximum_message_size():
    async with CfgEngine(acceptor_cfg(MaxMessageSize=512)) as eng:
        raw = await logon(eng.port)
        await raw.expect("A")
        await raw.send("D", NOS + [(58, "x" * 1000)])        # dropped as garbled: no answer
        await raw.send("1", [(112, "after-big")], seq=2)
        assert (await raw.expect("0"))[T.TestReqID] == "after-big"
        await raw.close()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
def test_tls_session(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)

    @run_async
    async def scenario():
        from wirespeed.gateway.cfg import parse_cfg
        from wirespeed.gateway.client import FixClient
        from wirespeed.gateway.engine import _client_ssl
        cfg = acceptor_cfg(SocketUseSSL="Y", SSLCertificate=cert, SSLPrivateKey=key)
        async with CfgEngine(cfg, app="ack") as eng:
            ini = parse_cfg("[SESSION]\nConnectionType=initiator\nBeginString=FIX.4.4\nSenderCompID=CLIENT1\n"
                            f"TargetCompID=GW\nSocketConnectPort={eng.port}\nSocketUseSSL=Y\nSSLCACertificate={cert}\n")[0]
            c = FixClient("CLIENT1", "GW", "127.0.0.1", eng.port, config=ini.session_config(), ssl=_client_ssl(ini))
            await c.start()
            c.new_order("TLS1", "AAPL", "1", 5, "1.00")
            assert (await c.wait_report("TLS1"))[0][T.OrdStatus] == "2"
            await c.stop()
            # A plaintext client gets nowhere.
            plain = await RawFix("CLIENT1", "GW").connect(eng.port)
            await plain.send("A", [(98, 0), (108, 30)])
            with pytest.raises((ConnectionError, TimeoutError)):
                await plain.expect("A", timeout=1.0)
    scenario()
