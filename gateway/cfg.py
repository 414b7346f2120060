"""QuickFIX-style session settings: ``[DEFAULT]`` and ``[SESSION]`` sections of ``Key=Value``.

Every ``[SESSION]`` inherits ``[DEFAULT]``. Keys are documented in docs/gateway/config.md;
an unknown key, a missing required key or a bad value is a ``ConfigError`` naming the
session and the key: ``session 2 (CLIENT1->GW): SocketAcceptPort: must be a TCP port ...``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from wirespeed.config import ConfigError

from .session.config import SessionConfig
from wirespeed.ascii import digits


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
    "FileStorePath": (_text, None),
    "StartTime": (_time, None),
    "EndTime": (_time, None),
    "ReconnectInterval": (_nonneg, 1.0),
    "LogoutTimeout": (_nonneg, 2.0),
    "LogonTimeout": (_posint, 10),             # seconds to log on before the connection is closed
    "SocketNodelay": (_yn, True),
    "SocketUseSSL": (_yn, False),
    "SSLCertificate": (_text, None),
    "SSLPrivateKey": (_text, None),
    "SSLCACertificate": (_text, None),
    "AllowUnknownMsgFields": (_yn, False),
    # wirespeed keys
    "AcceptorTemplate": (_yn, False),          # TargetCompID=* : accept any counterparty CompID
    "FsyncPolicy": (_choice("none", "batch", "always"), "batch"),
    "MaxMessageSize": (_posint, 8192),
    "MaxMessagesPerSecond": (_posint, 20000),  # inbound, per connection; above it: Logout
    "MaxLogonsPerMinute": (_posint, 30),       # failed logons per source address; above it: refused
    "Password": (_text, None),                 # acceptor: required in Logon(554); initiator: sent
    "SendingTimeTolerance": (_posint, 120),    # seconds
    "ReconnectIntervalMax": (_nonneg, 30.0),
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

    def session_config(self, target: str | None = None) -> SessionConfig:
        return SessionConfig(
            sender_comp_id=self.SenderCompID, target_comp_id=target or self.TargetCompID,
            role=self.ConnectionType, begin_string=self.BeginString, heartbeat_s=self.HeartBtInt,
            reset_on_logon=self.ResetOnLogon, sending_time_tolerance_s=self.SendingTimeTolerance,
            logout_timeout_s=self.LogoutTimeout, max_message_bytes=self.MaxMessageSize,
            allow_unknown_fields=self.AllowUnknownMsgFields, password=self.Password,
            max_messages_per_second=self.MaxMessagesPerSecond,
            start_time=self.StartTime, end_time=self.EndTime,
            logon_timeout_s=float(self.LogonTimeout), max_queued_messages=self.MaxQueuedMessages,
            max_queued_bytes=self.MaxQueuedBytes, max_resends_per_second=self.MaxResendsPerSecond)


def _sections(text: str, source: str):
    current, sections = None, []
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
        if key not in KEYS:
            raise ConfigError(f"{source}:{lineno}: {key}: unknown key (see docs/gateway/config.md)")
        current[key] = value.strip()
    return sections


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
        parsed = {}
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


def _check_session(s: SessionSettings, source: str) -> None:
    def fail(key, why):
        raise ConfigError(f"{source}: {s.label}: {key}: {why}")
    if s.is_acceptor and s.SocketAcceptPort is None:
        fail("SocketAcceptPort", "required for an acceptor")
    if not s.is_acceptor and s.SocketConnectPort is None:
        fail("SocketConnectPort", "required for an initiator")
    if (s.StartTime is None) != (s.EndTime is None):
        fail("EndTime" if s.EndTime is None else "StartTime", "StartTime and EndTime go together")
    if s.TargetCompID == "*" and not (s.is_acceptor and s.AcceptorTemplate):
        fail("TargetCompID", "'*' needs ConnectionType=acceptor and AcceptorTemplate=Y")
    if s.SocketUseSSL and s.is_acceptor and not (s.SSLCertificate and s.SSLPrivateKey):
        fail("SSLCertificate", "an SSL acceptor needs SSLCertificate and SSLPrivateKey")
    try:
        s.session_config()
    except ValueError as exc:
        raise ConfigError(f"{source}: {s.label}: {exc}") from None


def load_cfg(path: str | Path) -> list[SessionSettings]:
    p = Path(path)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found") from None
    return parse_cfg(text, str(p))
