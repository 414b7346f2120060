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


# -- QuickFIX's meaning of its keys ----------------------------------------------------------
ACC = "[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\nSocketAcceptPort=1\n"
INI = "[SESSION]\nConnectionType=initiator\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\nSocketConnectPort=1\n"


def one(extra: str, base: str = ACC):
    (s,) = parse_cfg(base + extra)
    return s


def test_quickfix_defaults():
    s = one("")
    cfg = s.session_config()
    assert (s.ReconnectInterval, s.LogoutTimeout, s.MaxLatency) == (30.0, 2.0, 120)
    assert cfg.check_comp_id and cfg.check_latency and cfg.sending_time_tolerance_s == 120
    assert cfg.validate_fields_out_of_order and cfg.validate_fields_have_values and cfg.validate_user_defined_fields
    assert cfg.use_data_dictionary and not cfg.allow_unknown_fields and s.PersistMessages
    assert cfg.reset_on_logon is False and not cfg.resets_on_logon and not cfg.reset_on_logout
    assert not cfg.reset_on_disconnect and not cfg.refresh_on_logon
    assert one("ResetOnLogon=Y").session_config().resets_on_logon        # acceptor: every Logon
    assert one("MaxLatency=5\nCheckLatency=N").session_config().sending_time_tolerance_s == 5


def test_start_time_equal_to_end_time_is_a_session_that_never_closes():
    cfg = one("StartTime=17:00:00\nEndTime=17:00:00\n").session_config()
    for hour in range(24):
        assert cfg.in_schedule(dt.datetime(2026, 1, 1, hour, 30, tzinfo=dt.timezone.utc))
    assert cfg.in_schedule(dt.datetime(2026, 1, 1, 17, 0, tzinfo=dt.timezone.utc))


def test_weekly_sessions_wrap_over_the_weekend():
    # Sunday 17:00 to Friday 17:00 (New York): a week of trading with the weekend closed.
    cfg = one("StartDay=Sunday\nEndDay=fr\nStartTime=17:00:00\nEndTime=17:00:00\nTimeZone=America/New_York\n"
              ).session_config()
    ny = dt.timezone(dt.timedelta(hours=-5))   # January: EST
    assert cfg.in_schedule(dt.datetime(2026, 1, 7, 3, 0, tzinfo=ny))        # Wednesday night
    assert cfg.in_schedule(dt.datetime(2026, 1, 9, 16, 59, tzinfo=ny))      # Friday before the close
    assert not cfg.in_schedule(dt.datetime(2026, 1, 9, 17, 1, tzinfo=ny))   # Friday after it
    assert not cfg.in_schedule(dt.datetime(2026, 1, 10, 12, 0, tzinfo=ny))  # Saturday
    assert not cfg.in_schedule(dt.datetime(2026, 1, 11, 16, 0, tzinfo=ny))  # Sunday before the open
    assert cfg.in_schedule(dt.datetime(2026, 1, 11, 17, 0, tzinfo=ny))      # Sunday at the open
    # The same instants in UTC mean the same: the window is read in the session's time zone.
    assert not cfg.in_schedule(dt.datetime(2026, 1, 9, 22, 1, tzinfo=dt.timezone.utc))
    plain = one("StartDay=Mon\nEndDay=Mon\nStartTime=08:00:00\nEndTime=08:00:00\n").session_config()
    assert plain.in_schedule(dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.timezone.utc))   # never closes


def test_time_zone_and_local_time_move_the_daily_window():
    cfg = one("StartTime=09:00:00\nEndTime=17:00:00\nTimeZone=Asia/Tokyo\n").session_config()   # UTC+9
    assert cfg.in_schedule(dt.datetime(2026, 1, 1, 1, 0, tzinfo=dt.timezone.utc))       # 10:00 in Tokyo
    assert not cfg.in_schedule(dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc))   # 21:00 in Tokyo
    local = one("StartTime=09:00:00\nEndTime=17:00:00\nUseLocalTime=Y\n").session_config()
    assert local.time_zone == "local"
    now = dt.datetime(2026, 1, 1, 10, 0).astimezone()   # 10:00 local, whatever the machine's zone
    assert local.in_schedule(now) and not local.in_schedule(now + dt.timedelta(hours=8))


def test_failover_addresses_in_order():
    s = one("SocketConnectHost=10.0.0.1\nSocketConnectPort2=7002\nSocketConnectHost2=10.0.0.3\n"
            "SocketConnectHost1=10.0.0.2\nSocketConnectPort1=7001\n", INI)
    assert s.connect_addresses == [("10.0.0.1", 1), ("10.0.0.2", 7001), ("10.0.0.3", 7002)]
    for extra, message in (("SocketConnectHost1=10.0.0.2\n", "SocketConnectPort1: required with SocketConnectHost1"),
                           ("SocketConnectPort1=7001\n", "SocketConnectHost1: required with SocketConnectPort1"),
                           ("SocketConnectHost1=h\nSocketConnectPort1=1\nSocketConnectHost3=h\nSocketConnectPort3=3\n",
                            "SocketConnectHost3: alternates are numbered 1, 2, ... without a gap"),
                           ("SocketConnectHost1=h\nSocketConnectPort1=x\n", "SocketConnectPort1: must be a TCP port")):
        with pytest.raises(ConfigError, match=re.escape(message)):
            one(extra, INI)


def test_a_quickfix_key_wirespeed_does_not_act_on_is_a_warning(caplog):
    with caplog.at_level("WARNING", logger="wirespeed.cfg"):
        (s,) = parse_cfg("[DEFAULT]\nScreenLogShowIncoming=Y\nScreenLogShowIncoming=N\n" + ACC, "qf.cfg")
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == ["qf.cfg:2: ScreenLogShowIncoming: a QuickFIX setting wirespeed does not act on: ignored"]
    assert s.is_acceptor


@pytest.mark.parametrize("typo,nearest", [("ResetOnLogn", "ResetOnLogon"), ("DataDictionnary", "DataDictionary"),
                                          ("ScreenLogShowIncomming", "ScreenLogShowIncoming")])
def test_a_typo_is_an_error_naming_the_nearest_known_key(typo, nearest):
    with pytest.raises(ConfigError, match=re.escape(f"<cfg>:7: {typo}: unknown key (did you mean {nearest}?)")):
        parse_cfg(ACC + f"{typo}=Y\n")


def test_data_dictionary_paths_as_quickfix_reads_them(tmp_path, monkeypatch):
    from wirespeed.gateway.fix.xmlspec import BUILTIN
    s = one("DataDictionary=/usr/share/quickfix/FIX44.xml\n")   # not installed here: the same file, shipped
    assert s.DataDictionary == str(BUILTIN["FIX.4.4"])
    (tmp_path / "venue").mkdir()
    (tmp_path / "venue" / "V44.xml").write_bytes(BUILTIN["FIX.4.4"].read_bytes())
    cfg_file = tmp_path / "venue" / "acceptor.cfg"
    cfg_file.write_text(ACC + "DataDictionary=V44.xml\n")
    from wirespeed.gateway.cfg import load_cfg
    assert load_cfg(cfg_file)[0].DataDictionary == str(tmp_path / "venue" / "V44.xml")   # beside the .cfg
    with pytest.raises(ConfigError, match=r"DataDictionary: .*missing\.xml: cannot read the data dictionary"):
        one("DataDictionary=missing.xml\n")
    with pytest.raises(ConfigError, match="a FIX.4.2 dictionary, but the session's BeginString is FIX.4.4"):
        one(f"DataDictionary={BUILTIN['FIX.4.2']}\n")
    assert one("UseDataDictionary=N\nDataDictionary=missing.xml\n").session_config().load_dictionary() is None


@pytest.mark.parametrize("extra,message", [
    ("StartDay=Monday\nStartTime=08:00:00\nEndTime=17:00:00\n", "EndDay: StartDay and EndDay go together"),
    ("StartDay=Mo\nEndDay=Fr\n", "StartTime: a weekly session (StartDay/EndDay) needs StartTime and EndTime"),
    ("StartDay=Funday\n", "StartDay: must be a day of the week"),
    ("StartTime=08:00:00\nEndTime=17:00:00\nTimeZone=Mars/Olympus\n", "TimeZone: unknown time zone 'Mars/Olympus'"),
    ("MaxLatency=10\nSendingTimeTolerance=20\n", "SendingTimeTolerance: is wirespeed's older name of MaxLatency"),
    ("ValidateFieldsOutOfOrder=maybe\n", "ValidateFieldsOutOfOrder: must be Y or N, not 'maybe'"),
])
def test_quickfix_key_errors_name_the_key(extra, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        one(extra)


def test_fixt_dictionaries_are_named_in_a_warning(caplog):
    with caplog.at_level("WARNING", logger="wirespeed.cfg"):
        one("TransportDataDictionary=FIXT11.xml\nAppDataDictionary=FIX50SP2.xml\n")
    assert [m for m in caplog.messages if "applies to FIXT.1.1 sessions only" in m][0].split(": ")[2] == \
        "TransportDataDictionary"
