"""Where a venue manager connects: one ``PathEndpoint`` per network path (a gateway venue
session each) and the venue's ``FeedEndpoint`` (its ITCH 5.0 / MoldUDP64 feed).

Frozen and validated up front, each error naming its key (``paths[1].port: must be a TCP port
0..65535, not -1``), so a desk's config fails at start, not in a reconnect loop.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from wirespeed.config import _comp_id, _host, _port
from wirespeed.gateway.server import VenueEndpoint
from wirespeed.gateway.session.schedule import Schedule, parse_day

from .announce import tcp_address


def _seconds(name: str, v, zero: bool = False) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not (v >= 0 if zero else v > 0) \
            or v == float("inf"):
        raise ValueError(f"{name}: must be a {'non-negative' if zero else 'positive'} number of seconds, not {v!r}")


@dataclass(frozen=True, slots=True)
class PathEndpoint:
    """name: the gateway venue session (the ExDestination the router and the path selector use,
    e.g. ``BRAVO-A``); host/port: where it connects (the venue, or a relay in front of it);
    comp_id: the venue's CompID (default: the venue's name); sender_comp_id: ours on this
    session (default: the gateway's; two paths to one FIX venue are two sessions, so two
    CompIDs); protocol ``fix`` or ``ouch`` (then username/password: the SoupBinTCP login);
    reset_on_logon (fix): every Logon asks for a sequence reset, QuickFIX's ResetOnLogon=Y; by
    default none does, and a lost connection is recovered by ResendRequest / gap fill (the venue
    manager resets only when one side's numbers are below what the other expects: it lost its
    store). store_path (fix): a folder for the session's numbers and sent messages, QuickFIX's
    FileStorePath (one subfolder ``BeginString-Sender-Target``, the gateway's ``FileStore``): a desk
    restarted mid-day resumes its numbers, and what the venue sent while it was down comes by
    ResendRequest (PossDupFlag=Y) instead of a reset; "" keeps them in memory. start_time /
    end_time (fix; ``HH:MM:SS``, in ``time_zone``, an IANA name or "local", default UTC):
    QuickFIX's StartTime / EndTime: outside the window the session logs out, and a new session
    day (from one StartTime to the next) starts from sequence number 1 with the stored messages
    cleared, so a store a desk keeps for days holds one day's (docs/gateway/session.md, Schedule);
    a window may cross midnight (start_time after end_time). start_day / end_day (``Monday``, or
    its first letters): QuickFIX's StartDay / EndDay, a weekly window from start_day start_time
    to end_day end_time (it may wrap over the weekend), one session period a week. Out of its
    window the manager does not connect the path: it waits for the next start (``window.py``)."""
    name: str
    port: int
    host: str = "127.0.0.1"
    comp_id: str = ""
    sender_comp_id: str = ""
    protocol: str = "fix"
    username: str = ""
    password: str = ""
    reset_on_logon: bool = False
    store_path: str = ""
    start_time: str = ""
    end_time: str = ""
    time_zone: str = ""
    start_day: str = ""
    end_day: str = ""

    def __post_init__(self) -> None:
        self.window()
        if not isinstance(self.store_path, str) or "\x00" in self.store_path:
            raise ValueError(f"store_path: must be a folder path, not {self.store_path!r}")
        if self.store_path and self.protocol == "ouch":
            raise ValueError("store_path: an OUCH path keeps no FIX store (its venue replays by sequence number)")
        if not isinstance(self.reset_on_logon, bool):
            raise ValueError(f"reset_on_logon: must be true or false, not {self.reset_on_logon!r}")
        if not isinstance(self.name, str) or not self.name or not self.name.replace("-", "").isalnum() \
                or not self.name.isascii():
            raise ValueError(f"name: must be ASCII letters, digits and '-' (the ExDestination), not {self.name!r}")
        _port("port", self.port)
        _host("host", self.host)
        for key in ("comp_id", "sender_comp_id"):
            if getattr(self, key):
                _comp_id(key, getattr(self, key))
        if self.protocol not in ("fix", "ouch"):
            raise ValueError(f"protocol: must be 'fix' or 'ouch', not {self.protocol!r}")
        if self.protocol == "ouch" and not 1 <= len(self.username) <= 6:
            raise ValueError(f"username: an OUCH path needs a SoupBinTCP username of 1..6 characters, "
                             f"not {self.username!r}")
        if len(self.password) > 10:
            raise ValueError("password: SoupBinTCP passwords are at most 10 characters")

    def window(self):
        """The session's ``Schedule`` (None without start_time / end_time); a bad key is named."""
        days = []
        for key, other in (("start_day", "end_day"), ("end_day", "start_day")):
            text = getattr(self, key)
            if not isinstance(text, str):
                raise ValueError(f"{key}: must be a day of the week (Monday..Sunday), not {text!r}")
            if bool(text) != bool(getattr(self, other)):
                raise ValueError(f"{other if text else key}: a weekly window needs start_day and end_day "
                                 "(QuickFIX's StartDay / EndDay)")
            try:
                days.append(parse_day(text) if text else None)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        if not self.start_time and not self.end_time:
            if self.time_zone:
                raise ValueError("time_zone: only with start_time and end_time")
            if days[0] is not None:
                raise ValueError("start_day: a weekly window needs start_time and end_time too")
            return None
        times = []
        for key in ("start_time", "end_time"):
            text = getattr(self, key)
            try:
                if not isinstance(text, str) or len(text) != 8:
                    raise ValueError
                times.append(dt.time.fromisoformat(text))
            except ValueError:
                raise ValueError(f"{key}: must be a time of day HH:MM:SS (QuickFIX's {key.title().replace('_', '')}),"
                                 f" not {text!r}") from None
        if self.protocol == "ouch":
            raise ValueError("start_time: an OUCH path has no FIX session window")
        schedule = Schedule(times[0], times[1], days[0], days[1], self.time_zone or None)
        schedule.check()              # (its errors name time_zone)
        return schedule

    def endpoint(self, venue: str) -> VenueEndpoint:
        return VenueEndpoint(self.name, self.host, self.port, self.comp_id or venue, protocol=self.protocol,
                             username=self.username, password=self.password, sender_comp_id=self.sender_comp_id,
                             reset_on_logon=self.reset_on_logon)


@dataclass(frozen=True, slots=True)
class FeedEndpoint:
    """The venue's market-data feed: request_port is its MoldUDP64 request server (the
    subscriber joins the live stream there and asks for gaps; 0: no feed); snapshot_port (0: none) its
    snapshot server for a late join; session: the MoldUDP64 session (default: the venue's name,
    at most 10 characters); retry_s / retries: the gap-recovery requests; max_held: the messages
    held while a gap is recovered; announce: the venue's announcement, a file or
    ``tcp://HOST:PORT`` (``announce.py``):
    its ports win over these, and it is read again when the venue restarts, so a venue back
    with its feed on other ports is found (request_port may then be 0)."""
    request_port: int = 0
    host: str = "127.0.0.1"
    snapshot_port: int = 0
    session: str = ""
    retry_s: float = 0.05
    retries: int = 5
    max_held: int = 50_000
    announce: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.announce, str) or "\x00" in self.announce:
            raise ValueError(f"announce: must be a file path or tcp://HOST:PORT, not {self.announce!r}")
        tcp_address(self.announce)
        _port("request_port", self.request_port)
        _port("snapshot_port", self.snapshot_port)
        _host("host", self.host)
        if self.session and (len(self.session) > 10 or not self.session.isascii()):
            raise ValueError(f"session: a MoldUDP64 session is 1..10 ASCII characters, not {self.session!r}")
        _seconds("retry_s", self.retry_s)
        for key in ("retries", "max_held"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{key}: must be a positive integer, not {v!r}")

    @property
    def enabled(self) -> bool:
        """A feed to join: a request server configured, or announced by the venue."""
        return bool(self.request_port or self.announce)
