import datetime as dt
import re

import pytest

from wirespeed.config import ConfigError
from wirespeed.gateway.cfg import parse_cfg

GOOD = """
# comment
[DEFAULT]
BeginString=FIX.4.4
SenderCompID=GW
HeartBtInt=20

[SESSION]
ConnectionType=acceptor
TargetCompID=CLIENT1
SocketAcceptPort=5001
FileStorePath=store
FsyncPolicy=always

[SESSION]
ConnectionType=initiator
BeginString=FIX.4.2
TargetCompID=VENUE
SocketConnectHost=127.0.0.1
SocketConnectPort=6001
StartTime=22:00:00
EndTime=06:00:00
"""


def test_defaults_inherit_and_sessions_override():
    acc, ini = parse_cfg(GOOD)
    assert acc.is_acceptor and acc.HeartBtInt == 20 and acc.FsyncPolicy == "always" and acc.SocketAcceptPort == 5001
    assert acc.SocketAcceptAddress == "127.0.0.1"          # binds loopback unless configured
    assert ini.BeginString == "FIX.4.2" and not ini.is_acceptor and ini.session_id == "FIX.4.2-GW-VENUE"
    cfg = ini.session_config()
    assert cfg.heartbeat_s == 20 and cfg.role == "initiator"
    assert cfg.in_schedule(dt.datetime(2026, 1, 1, 23, 0)) and not cfg.in_schedule(dt.datetime(2026, 1, 1, 12, 0))


@pytest.mark.parametrize("text,message", [
    ("[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n"
     "SocketAcceptPort=abc\n", "session 1 (A->B): SocketAcceptPort: must be a TCP port 0..65535, not 'abc'"),
    ("[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n",
     "SocketAcceptPort: required for an acceptor"),
    ("[SESSION]\nConnectionType=acceptor\nBeginString=FIX.5.0\nSenderCompID=A\nTargetCompID=B\n"
     "SocketAcceptPort=1\n", "BeginString: must be one of FIX.4.2, FIX.4.4, not 'FIX.5.0'"),
    ("[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\nTargetCompID=B\nSocketAcceptPort=1\n",
     "SenderCompID: required key is missing"),
    ("[SESSION]\nBogusKey=1\n", "<cfg>:2: BogusKey: unknown key"),
    ("[SESION]\n", "unknown section"),
    ("[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=*\n"
     "SocketAcceptPort=1\n", "TargetCompID: '*' needs"),
    ("[SESSION]\nConnectionType=initiator\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n"
     "SocketConnectPort=1\nStartTime=09:00:00\n", "EndTime: StartTime and EndTime go together"),
    ("[SESSION]\nConnectionType=initiator\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n"
     "SocketConnectPort=1\nHeartBtInt=0\n", "HeartBtInt: must be a positive integer, not '0'"),
    ("[DEFAULT]\nFsyncPolicy=sometimes\n[SESSION]\nConnectionType=initiator\nBeginString=FIX.4.4\nSenderCompID=A\n"
     "TargetCompID=B\nSocketConnectPort=1\n", "FsyncPolicy: must be one of none, batch, always"),
    ("", "no [SESSION] section"),
    ("SenderCompID=A\n", "appears before any"),
])
def test_errors_name_session_and_key(text, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_cfg(text)


def test_duplicate_session_is_an_error():
    one = "[SESSION]\nConnectionType=initiator\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\nSocketConnectPort=1\n"
    with pytest.raises(ConfigError, match="defined more than once"):
        parse_cfg(one + one)
