"""QuickFIX session settings: ``[DEFAULT]`` and ``[SESSION]`` sections of ``Key=Value``.

Every ``[SESSION]`` inherits ``[DEFAULT]``. Keys are documented in docs/gateway/config.md;
each QuickFIX key wirespeed acts on has QuickFIX's meaning and default. A missing required
key or a bad value is a ``ConfigError`` naming the session and the key:
``session 2 (CLIENT1->GW): SocketAcceptPort: must be a TCP port ...``. A QuickFIX key that
wirespeed does not act on (``quickfix_keys``) is named in a warning, so a QuickFIX config
still runs; a key nobody knows is an error naming the nearest known one.
"""
from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from wirespeed.config import ConfigError

from .fix.xmlspec import BUILTIN, DictionaryError
from .quickfix_keys import QUICKFIX_KEYS_NOT_ACTED_ON
from .session.config import SessionConfig
from .session.schedule import parse_day
from wirespeed.ascii import digits

log = logging.getLogger("wirespeed.cfg")


def _yn(v: str) -> bool:
    if v not in ("Y", "N"):
        raise ValueError(f"must be Y or N, not {v!r}")
    return v == "Y"


def _port(v: str) -> int:
    if not digits(v) or not 0 <= int(v) <= 65535:
        raise ValueError(f"must be a TCP port 0..65535, not {v!r}")
    return int(v)


def _posint(v: str) -> int:
    if not digits(v) or int(v) <= 0:
        raise ValueError(f"must be a positive integer, not {v!r}")
    return int(v)


def _nonneg(v: str) -> float:
    try:
        f = float(v)
    except ValueError:
        raise ValueError(f"must be a number, not {v!r}") from None
    if f < 0:
        raise ValueError(f"must be >= 0, not {v!r}")
    return f


def _time(v: str) -> dt.time:
    try:
        return dt.time.fromisoformat(v)
    except ValueError:
        raise ValueError(f"must be a UTC time HH:MM:SS, not {v!r}") from None


def _choice(*options):
    def check(v: str) -> str:
        if v not in options:
            raise ValueError(f"must be one of {', '.join(options)}, not {v!r}")
        return v
    return check


def _cpus(v: str) -> tuple[int, ...]:
    try:
        cpus = tuple(int(x) for x in v.split(",") if x.strip())
    except ValueError:
        raise ValueError(f"must be a comma-separated list of CPU numbers, not {v!r}") from None
    if not cpus or min(cpus) < 0:
        raise ValueError(f"must be a comma-separated list of CPU numbers, not {v!r}")
    return cpus


def _text(v: str) -> str:
    return v


def _day(v: str) -> int:
    return parse_day(v)


#: key -> (parser, default or REQUIRED). Defaults are what a [SESSION] gets if neither it
#: nor [DEFAULT] sets the key.
REQUIRED = object()
KEYS = {
    # QuickFIX keys
    "ConnectionType": (_choice("acceptor", "initiator"), REQUIRED),
    "BeginString": (_choice("FIX.4.2", "FIX.4.4"), REQUIRED),
    "SenderCompID": (_text, REQUIRED),
    "TargetCompID": (_text, REQUIRED),
    "SocketAcceptAddress": (_text, "127.0.0.1"),
    "SocketAcceptPort": (_port, None),
    "SocketConnectHost": (_text, "127.0.0.1"),
    "SocketConnectPort": (_port, None),
    "HeartBtInt": (_posint, 30),
    "ResetOnLogon": (_yn, False),
    "ResetOnLogout": (_yn, False),
    "ResetOnDisconnect": (_yn, False),
    "RefreshOnLogon": (_yn, False),
    "PersistMessages": (_yn, True),
    "CheckCompID": (_yn, True),
    "CheckLatency": (_yn, True),
    "MaxLatency": (_posint, 120),
    "FileStorePath": (_text, None),
    "FileLogPath": (_text, None),
    "StartTime": (_time, None),
    "EndTime": (_time, None),
    "StartDay": (_day, None),
    "EndDay": (_day, None),
    "TimeZone": (_text, None),
    "UseLocalTime": (_yn, False),
    "ReconnectInterval": (_nonneg, 30.0),
    "LogoutTimeout": (_nonneg, 2.0),
    "LogonTimeout": (_posint, 10),             # seconds to log on before the connection is closed
    "SocketNodelay": (_yn, True),
    "SocketUseSSL": (_yn, False),
    "SSLCertificate": (_text, None),
    "SSLPrivateKey": (_text, None),
    "SSLCACertificate": (_text, None),
    "AllowUnknownMsgFields": (_yn, False),
    "UseDataDictionary": (_yn, True),
    "DataDictionary": (_text, None),
    "TransportDataDictionary": (_text, None),
    "AppDataDictionary": (_text, None),
    "ValidateFieldsOutOfOrder": (_yn, True),
    "ValidateFieldsHaveValues": (_yn, True),
    "ValidateUserDefinedFields": (_yn, True),
    # wirespeed keys
    "AcceptorTemplate": (_yn, False),          # TargetCompID=* : accept any counterparty CompID
    "FsyncPolicy": (_choice("none", "batch", "always"), "batch"),
    "MaxMessageSize": (_posint, 8192),
    "MaxMessagesPerSecond": (_posint, 20000),  # inbound, per connection; above it: Logout
    "MaxLogonsPerMinute": (_posint, 30),       # failed logons per source address; above it: refused
    "Password": (_text, None),                 # acceptor: required in Logon(554); initiator: sent
    "SendingTimeTolerance": (_posint, None),   # seconds; wirespeed's older name of MaxLatency
    "SendingTimeBacklogCredit": (_yn, True),   # a SendingTime late by our own receive backlog is accepted
    "ReconnectIntervalMax": (_nonneg, None),   # initiator: doubles the delay per failure up to this
    "SocketBusyPoll": (_nonneg, 0),            # SO_BUSY_POLL microseconds (0 = off)
    "CPUAffinity": (_cpus, None),              # pin the engine process to these CPUs
    "SpinMicros": (_nonneg, 0),                # event loop polls this long after each read (0 = off)
    # wirespeed bounds against hostile peers (docs/gateway/security.md)
    "MaxPendingLogons": (_posint, 256),        # per acceptor: connections not yet logged on
    "MaxDynamicSessions": (_posint, 1000),     # per acceptor: sessions created from AcceptorTemplate
    "DynamicSessionIdleTimeout": (_posint, 3600),   # seconds a dynamic session may stay disconnected
    "MaxQueuedMessages": (_posint, 10000),     # out-of-order inbound messages held during a gap
    "MaxQueuedBytes": (_posint, 16 << 20),     # ... and their bytes; past either: Logout
    "MaxResendsPerSecond": (_posint, 20000),   # sequence numbers a ResendRequest is served at
}


@dataclass(frozen=True)
class SessionSettings:
    index: int
    values: dict = field(default_factory=dict)

    def __getattr__(self, key: str):
        try:
            return self.values[key]
        except KeyError:
            raise AttributeError(key) from None

    @property
    def label(self) -> str:
        return f"session {self.index} ({self.values.get('SenderCompID')}->{self.values.get('TargetCompID')})"

    @property
    def session_id(self) -> str:
        return f"{self.BeginString}-{self.SenderCompID}-{self.TargetCompID}"

    @property
    def is_acceptor(self) -> bool:
        return self.ConnectionType == "acceptor"

    @property
    def connect_addresses(self) -> list[tuple[str, int]]:
        """SocketConnectHost/Port, then the failover SocketConnectHost<n>/SocketConnectPort<n>."""
        return [(self.SocketConnectHost, self.SocketConnectPort)] + list(self.values.get("_failover", ()))

    @property
    def time_zone(self) -> str | None:
        return self.TimeZone or ("local" if self.UseLocalTime else None)

    def session_config(self, target: str | None = None) -> SessionConfig:
        return SessionConfig(
            sender_comp_id=self.SenderCompID, target_comp_id=target or self.TargetCompID,
            role=self.ConnectionType, begin_string=self.BeginString, heartbeat_s=self.HeartBtInt,
            reset_on_logon=self.ResetOnLogon, sending_time_tolerance_s=self.SendingTimeTolerance or self.MaxLatency,
            logout_timeout_s=self.LogoutTimeout, max_message_bytes=self.MaxMessageSize,
            allow_unknown_fields=self.AllowUnknownMsgFields, password=self.Password,
            # QuickFIX's session settings
            reset_on_logout=self.ResetOnLogout, reset_on_disconnect=self.ResetOnDisconnect,
            refresh_on_logon=self.RefreshOnLogon, check_comp_id=self.CheckCompID, check_latency=self.CheckLatency,
            backlog_credit=self.SendingTimeBacklogCredit,
            validate_user_defined_fields=self.ValidateUserDefinedFields,
            validate_fields_out_of_order=self.ValidateFieldsOutOfOrder,
            validate_fields_have_values=self.ValidateFieldsHaveValues,
            use_data_dictionary=self.UseDataDictionary, data_dictionary=self.DataDictionary,
            start_day=self.StartDay, end_day=self.EndDay, time_zone=self.time_zone,
            max_messages_per_second=self.MaxMessagesPerSecond,
            start_time=self.StartTime, end_time=self.EndTime,
            logon_timeout_s=float(self.LogonTimeout), max_queued_messages=self.MaxQueuedMessages,
            max_queued_bytes=self.MaxQueuedBytes, max_resends_per_second=self.MaxResendsPerSecond)


def _sections(text: str, source: str):
    current, sections, warned = None, [], set()
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#") or line.startswith(";"):
            continue
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1].strip().upper()
            if name not in ("DEFAULT", "SESSION"):
                raise ConfigError(f"{source}:{lineno}: unknown section [{line[1:-1]}] (use [DEFAULT] or [SESSION])")
            current = {}
            sections.append((name, current, lineno))
            continue
        key, eq, value = line.partition("=")
        if not eq:
            raise ConfigError(f"{source}:{lineno}: expected Key=Value, got {line!r}")
        if current is None:
            raise ConfigError(f"{source}:{lineno}: {key.strip()} appears before any [DEFAULT] or [SESSION]")
        key = key.strip()
        if key not in KEYS and not _FAILOVER(key):
            if key not in QUICKFIX_KEYS_NOT_ACTED_ON:
                near = difflib.get_close_matches(key, _KNOWN, n=1, cutoff=0.6)
                hint = f" (did you mean {near[0]}?)" if near else ""
                raise ConfigError(f"{source}:{lineno}: {key}: unknown key{hint} (see docs/gateway/config.md)")
            if key not in warned:
                warned.add(key)
                log.warning("%s:%d: %s: a QuickFIX setting wirespeed does not act on: ignored", source, lineno, key)
            continue
        current[key] = value.strip()
    return sections


_FAILOVER = re.compile(r"SocketConnect(?:Host|Port)[1-9][0-9]*").fullmatch
_KNOWN = sorted(set(KEYS) | QUICKFIX_KEYS_NOT_ACTED_ON)


def parse_cfg(text: str, source: str = "<cfg>") -> list[SessionSettings]:
    sections = _sections(text, source)
    defaults: dict[str, str] = {}
    for name, values, _ in sections:
        if name == "DEFAULT":
            defaults.update(values)
    sessions = []
    for name, values, lineno in sections:
        if name != "SESSION":
            continue
        index = len(sessions) + 1
        raw = {**defaults, **values}
        parsed = {"_set": frozenset(raw)}
        label = f"session {index} ({raw.get('SenderCompID')}->{raw.get('TargetCompID')})"
        for key, (parse, default) in KEYS.items():
            if key in raw:
                try:
                    parsed[key] = parse(raw[key])
                except ValueError as exc:
                    raise ConfigError(f"{source}: {label}: {key}: {exc}") from None
            elif default is REQUIRED:
                raise ConfigError(f"{source}: {label}: {key}: required key is missing")
            else:
                parsed[key] = default
        try:
            parsed["_failover"] = tuple(_failover(raw))
        except ValueError as exc:
            raise ConfigError(f"{source}: {label}: {exc}") from None
        if parsed["DataDictionary"] is not None:
            parsed["DataDictionary"] = _find_dictionary(parsed["DataDictionary"], source)
        s = SessionSettings(index, parsed)
        _check_session(s, source)
        sessions.append(s)
    if not sessions:
        raise ConfigError(f"{source}: no [SESSION] section")
    ids = [s.session_id for s in sessions]
    dup = next((i for i in ids if ids.count(i) > 1), None)
    if dup:
        raise ConfigError(f"{source}: session {dup} is defined more than once")
    return sessions


def _failover(raw: dict):
    """(host, port) of SocketConnectHost<n>/SocketConnectPort<n>, n = 1, 2, ... in order. QuickFIX
    reads them up to the first gap and needs both of a pair: here a gap or half a pair is an error."""
    numbers = sorted({int(re.sub(r"\D", "", k)) for k in raw if _FAILOVER(k)})
    for expected, n in enumerate(numbers, 1):
        if n != expected:
            raise ValueError(f"SocketConnectHost{n}: alternates are numbered 1, 2, ... without a gap "
                             f"(SocketConnectHost{expected} is missing)")
        host, port = raw.get(f"SocketConnectHost{n}"), raw.get(f"SocketConnectPort{n}")
        if host is None or port is None:
            missing = f"SocketConnectHost{n}" if host is None else f"SocketConnectPort{n}"
            raise ValueError(f"{missing}: required with {'SocketConnectPort' if host is None else 'SocketConnectHost'}{n}")
        try:
            yield host, _port(port)
        except ValueError as exc:
            raise ValueError(f"SocketConnectPort{n}: {exc}") from None


def _find_dictionary(value: str, source: str) -> str:
    """A DataDictionary path as QuickFIX reads it (relative to the working directory), else
    relative to the .cfg file; a missing ``FIX42.xml``/``FIX44.xml`` (say ``spec/FIX44.xml`` of a
    QuickFIX install) is the same file wirespeed ships."""
    p = Path(value)
    candidates = [p] if p.is_absolute() else [p, Path(source).parent / p]
    for c in candidates:
        if c.exists():
            return str(c.resolve())
    shipped = {path.name: path for path in BUILTIN.values()}
    if p.name in shipped:
        log.info("%s: DataDictionary %s not found: using the same QuickFIX file wirespeed ships", source, value)
        return str(shipped[p.name])
    return value   # loading it names the file and the problem


def _check_session(s: SessionSettings, source: str) -> None:
    def fail(key, why):
        raise ConfigError(f"{source}: {s.label}: {key}: {why}")
    if s.is_acceptor and s.SocketAcceptPort is None:
        fail("SocketAcceptPort", "required for an acceptor")
    if not s.is_acceptor and s.SocketConnectPort is None:
        fail("SocketConnectPort", "required for an initiator")
    if (s.StartTime is None) != (s.EndTime is None):
        fail("EndTime" if s.EndTime is None else "StartTime", "StartTime and EndTime go together")
    if (s.StartDay is None) != (s.EndDay is None):
        fail("EndDay" if s.EndDay is None else "StartDay", "StartDay and EndDay go together")
    if s.StartDay is not None and s.StartTime is None:
        fail("StartTime", "a weekly session (StartDay/EndDay) needs StartTime and EndTime")
    if s.SendingTimeTolerance is not None and "MaxLatency" in s.values.get("_set", ()) \
            and s.SendingTimeTolerance != s.MaxLatency:
        fail("SendingTimeTolerance", "is wirespeed's older name of MaxLatency: set one of them")
    if s.TargetCompID == "*" and not (s.is_acceptor and s.AcceptorTemplate):
        fail("TargetCompID", "'*' needs ConnectionType=acceptor and AcceptorTemplate=Y")
    if s.SocketUseSSL and s.is_acceptor and not (s.SSLCertificate and s.SSLPrivateKey):
        fail("SSLCertificate", "an SSL acceptor needs SSLCertificate and SSLPrivateKey")
    for key in ("TransportDataDictionary", "AppDataDictionary"):
        if s.values[key] is not None:
            log.warning("%s: %s: %s: applies to FIXT.1.1 sessions only; a %s session uses DataDictionary",
                        source, s.label, key, s.BeginString)
    try:
        s.session_config()
    except ValueError as exc:
        key, _, why = str(exc).partition(": ")
        raise ConfigError(f"{source}: {s.label}: {_CONFIG_KEYS.get(key, key)}: {why}") from None
    if s.UseDataDictionary:
        try:
            SessionConfig.load_dictionary(s.session_config())
        except DictionaryError as exc:
            fail("DataDictionary", str(exc))


#: SessionConfig field -> the .cfg key, for errors found by SessionConfig's own checks.
_CONFIG_KEYS = {"sender_comp_id": "SenderCompID", "target_comp_id": "TargetCompID", "heartbeat_s": "HeartBtInt",
                "max_message_bytes": "MaxMessageSize", "max_messages_per_second": "MaxMessagesPerSecond",
                "time_zone": "TimeZone", "start_day": "StartDay", "start_time": "StartTime"}


def load_cfg(path: str | Path) -> list[SessionSettings]:
    p = Path(path)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found") from None
    return parse_cfg(text, str(p))
