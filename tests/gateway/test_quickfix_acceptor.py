"""End to end: a QuickFIX acceptor config with UseDataDictionary=Y and QuickFIX's own FIX42/FIX44 XML
dictionaries runs unchanged under ``wirespeed fix-acceptor``; valid application messages are
answered, invalid ones get the Reject QuickFIX would send (SessionRejectReason and RefTagID);
and QuickFIX's own initiator (quickfix-py) trades with it."""
import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from wirespeed.gateway.fix.xmlspec import BUILTIN

from .conftest import run_async
from .rawfix import RawFix


def quickfix_spec(name: str) -> Path:
    """QuickFIX's file as a QuickFIX install has it (the quickfix-py wheel's share/quickfix), else
    the same file as wirespeed ships it."""
    installed = Path(sys.prefix) / "share" / "quickfix" / name
    return installed if installed.exists() else BUILTIN["FIX.4.4" if name == "FIX44.xml" else "FIX.4.2"]


# A QuickFIX acceptor config as a QuickFIX user writes it, including keys wirespeed does not act on.
CFG = """\
[DEFAULT]
ConnectionType=acceptor
SocketAcceptPort=0
SocketAcceptAddress=127.0.0.1
SenderCompID=GW
StartTime=00:00:00
EndTime=00:00:00
HeartBtInt=30
UseDataDictionary=Y
ValidateUserDefinedFields=Y
FileStorePath={store}
FileLogPath={logs}
ScreenLogShowIncoming=N
ScreenLogShowOutgoing=N
ScreenLogShowEvents=N
SocketReuseAddress=Y

[SESSION]
BeginString=FIX.4.4
TargetCompID=CLIENT44
DataDictionary={fix44}

[SESSION]
BeginString=FIX.4.2
TargetCompID=CLIENT42
DataDictionary={fix42}
"""

NOS44 = [(11, "A1"), (55, "AAPL"), (54, "1"), (60, "20261122-10:00:00"), (40, "2"), (44, "1.5")]
NOS42 = NOS44 + [(21, "1")]

# (fields, SessionRejectReason, RefTagID) for each way an order can be wrong.
INVALID = [
    (lambda f: [x for x in f if x[0] != 54], "1", "54"),                 # required tag missing
    (lambda f: f + [(112, "x")], "2", "112"),                            # tag not defined for this MsgType
    (lambda f: f + [(4999, "x")], "0", "4999"),                          # not in the dictionary
    (lambda f: f + [(9001, "x")], "0", "9001"),                          # user-defined, ValidateUserDefinedFields=Y
    (lambda f: [(t, "Z" if t == 54 else v) for t, v in f], "5", "54"),   # enum value
    (lambda f: [(t, "1.5.1" if t == 44 else v) for t, v in f], "6", "44"),   # data format
    (lambda f: f + [(58, "a"), (58, "b")], "13", "58"),                  # tag appears more than once
]


@run_async
async def test_quickfix_acceptor_config_with_quickfix_dictionaries_runs_unchanged(tmp_path):
    cfg = tmp_path / "acceptor.cfg"
    cfg.write_text(CFG.format(store=tmp_path / "store", logs=tmp_path / "log", fix44=quickfix_spec("FIX44.xml"),
                              fix42=quickfix_spec("FIX42.xml")))
    try:   # the same file is a QuickFIX config to QuickFIX itself, with the same sessions
        import quickfix as fix
        assert fix.SessionSettings(str(cfg)).size() == 2
    except ImportError:
        pass
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wirespeed.cli", "fix-acceptor", "--config", str(cfg), "--app", "echo",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        m = re.match(r"listening on 127\.0\.0\.1:(\d+) sessions: CLIENT42, CLIENT44", line)
        assert m, line
        port = int(m.group(1))
        for begin, client, nos, groups in (("FIX.4.4", "CLIENT44", NOS44, True), ("FIX.4.2", "CLIENT42", NOS42, False)):
            raw = await RawFix(client, "GW", begin).connect(port)
            await raw.logon(reset=True)
            await raw.send("D", nos)
            assert (await raw.expect("D")).body() == [(t, str(v)) for t, v in nos]   # valid: echoed
            for mutate, reason, ref_tag in INVALID:
                await raw.send("D", mutate(list(nos)))
                rej = await raw.expect("3")
                if begin == "FIX.4.2" and int(reason) > 11:
                    reason = None   # FIX 4.2 defines SessionRejectReason 0..11 only: QuickFIX leaves it out
                assert (rej.get(373), rej.get(371), rej.get(372)) == (reason, ref_tag, "D"), (begin, rej)
                assert rej.get(45) == str(raw.seq - 1)
            if groups:   # Parties, a repeating group of NewOrderSingle in FIX 4.4
                parties = [(453, "2"), (448, "P1"), (447, "D"), (452, "1")]
                await raw.send("D", nos + parties)
                rej = await raw.expect("3")
                assert (rej.get(373), rej.get(371)) == ("16", "453")
                await raw.send("D", nos + [(453, "1")] + parties[1:])
                assert (await raw.expect("D")).get(448) == "P1"
            await raw.send("1", [(112, "still-up")])
            assert (await raw.expect("0")).get(112) == "still-up"   # every Reject left the session up
            await raw.send("5", [])
            await raw.expect("5")
            await raw.close()
    finally:
        proc.terminate()
        _, err = await asyncio.wait_for(proc.communicate(), 10)
    assert "ScreenLogShowIncoming: a QuickFIX setting wirespeed does not act on: ignored" in err.decode()
    assert "Traceback" not in err.decode()
    assert (tmp_path / "log" / "FIX.4.4-GW-CLIENT44.messages.current.log").stat().st_size > 0
    assert (tmp_path / "store" / "FIX.4.2-GW-CLIENT42").is_dir()


PEER = Path(__file__).with_name("quickfix_peer.py")   # QuickFIX in a process of its own


def test_quickfixs_own_initiator_trades_with_the_acceptor(tmp_path):
    """QuickFIX itself (the quickfix-py binding), configured from its own .cfg with its own
    dictionary, logs on to ``wirespeed fix-acceptor``, gets its order echoed and reads
    wirespeed's Reject of an order without Side."""
    pytest.importorskip("quickfix")
    spec = quickfix_spec("FIX44.xml")
    acc = tmp_path / "acceptor.cfg"
    acc.write_text("[DEFAULT]\nConnectionType=acceptor\nSocketAcceptPort=0\nSenderCompID=GW\nStartTime=00:00:00\n"
                   f"EndTime=00:00:00\nUseDataDictionary=Y\nDataDictionary={spec}\n"
                   "[SESSION]\nBeginString=FIX.4.4\nTargetCompID=QF\n")
    proc = subprocess.Popen([sys.executable, "-m", "wirespeed.cli", "fix-acceptor", "--config", str(acc), "--app",
                             "echo"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r":(\d+) ", proc.stdout.readline()).group(1))
        ini = tmp_path / "initiator.cfg"
        ini.write_text("[DEFAULT]\nConnectionType=initiator\nReconnectInterval=1\n"
                       "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=QF\nTargetCompID=GW\nSocketConnectHost=127.0.0.1\n"
                       f"SocketConnectPort={port}\nStartTime=00:00:00\nEndTime=00:00:00\nHeartBtInt=30\n"
                       f"ResetOnLogon=Y\nUseDataDictionary=Y\nDataDictionary={spec}\n")
        peer = subprocess.run([sys.executable, str(PEER), "initiator", str(ini), str(tmp_path / "qflog")],
                              capture_output=True, text=True, timeout=30)
        result = json.loads(peer.stdout.strip().splitlines()[-1])
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert result["logon"], peer.stderr
    (echo,) = result["app"]
    assert echo["35"] == "D" and echo["11"] == "Q1" and echo["54"] == "1"    # echoed, read by QuickFIX
    (rej,) = result["rejects"]
    assert (rej["373"], rej["371"], rej["372"], rej["45"]) == ("1", "54", "D", "3")
    assert "Traceback" not in err


@run_async
async def test_wirespeeds_initiator_logs_on_to_quickfixs_own_acceptor(tmp_path):
    """The other way round: QuickFIX's SocketAcceptor (quickfix-py) from its own .cfg, and
    ``wirespeed fix-initiator``'s probe from a QuickFIX initiator .cfg (with a failover address
    first that nothing listens on): logon, TestRequests answered, Logout."""
    pytest.importorskip("quickfix")
    import socket
    from wirespeed.gateway.cfg import parse_cfg
    from wirespeed.gateway.cli import _probe

    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    dead, live = ports
    spec = quickfix_spec("FIX44.xml")
    acc = tmp_path / "qf-acceptor.cfg"
    acc.write_text(f"[DEFAULT]\nConnectionType=acceptor\nSocketAcceptPort={live}\n"
                   "StartTime=00:00:00\nEndTime=00:00:00\nUseDataDictionary=Y\n"
                   f"DataDictionary={spec}\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=VENUE\nTargetCompID=GW\n")
    peer = await asyncio.create_subprocess_exec(sys.executable, str(PEER), "acceptor", str(acc), str(tmp_path / "qflog"),
                                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert (await asyncio.wait_for(peer.stdout.readline(), 20)).strip() == b"ready"
        ini = ("[DEFAULT]\nConnectionType=initiator\nReconnectInterval=1\nHeartBtInt=30\n"
               "StartTime=00:00:00\nEndTime=00:00:00\nUseDataDictionary=Y\n"
               f"DataDictionary={spec}\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=GW\nTargetCompID=VENUE\n"
               f"SocketConnectHost=127.0.0.1\nSocketConnectPort={dead}\n"
               f"SocketConnectHost1=127.0.0.1\nSocketConnectPort1={live}\n")
        ok, text = await _probe(parse_cfg(ini)[0], 0, "AAPL", "1.00", 10.0)
        assert ok and "logon ok, logout ok" in text and "test request rtt" in text, text
    finally:
        peer.stdin.close()
        try:
            await asyncio.wait_for(peer.wait(), 10)
        except asyncio.TimeoutError:
            peer.kill()
            await peer.wait()
