"""One session's settings (frozen; validated; errors name the key)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class SessionConfig:
    sender_comp_id: str
    target_comp_id: str
    role: Literal["acceptor", "initiator"] = "acceptor"
    begin_string: str = "FIX.4.4"
    heartbeat_s: int = 30
    reset_on_logon: bool = True
    sending_time_tolerance_s: int = 120
    logout_timeout_s: float = 2.0
    max_message_bytes: int = 8192
    allow_unknown_fields: bool = False   # accept tags the dictionary does not define for a message
    password: str | None = None          # acceptor: Logon must carry it (554); initiator: sends it
    max_messages_per_second: int = 20000 # inbound, per connection; above it the session logs out
    start_time: dt.time | None = None    # daily UTC session window; None = always
    end_time: dt.time | None = None
    # Bounds against hostile peers; defaults no conforming counterparty reaches (docs/gateway/security.md).
    logon_timeout_s: float = 10.0        # QuickFIX LogonTimeout: a connection not logged on by then is closed
    max_queued_messages: int = 10_000    # out-of-order inbound messages held while a gap is open
    max_queued_bytes: int = 16 << 20     # ... and their bytes; past either bound: Logout
    max_resends_per_second: int = 20_000 # sequence numbers a ResendRequest is served at, per second

    def in_schedule(self, now: dt.datetime | None = None) -> bool:
        if self.start_time is None or self.end_time is None:
            return True
        t = (now or dt.datetime.now(dt.timezone.utc)).time()
        if self.start_time <= self.end_time:
            return self.start_time <= t < self.end_time
        return t >= self.start_time or t < self.end_time   # window crosses midnight

    def __post_init__(self) -> None:
        for key in ("sender_comp_id", "target_comp_id"):
            v = getattr(self, key)
            if not isinstance(v, str) or not v or "\x01" in v or "=" in v:
                raise ValueError(f"{key}: must be a non-empty CompID without SOH or '=', not {v!r}")
        if self.begin_string not in ("FIX.4.2", "FIX.4.4"):
            raise ValueError(f"begin_string: must be FIX.4.2 or FIX.4.4, not {self.begin_string!r}")
        if self.role not in ("acceptor", "initiator"):
            raise ValueError(f"role: must be acceptor or initiator, not {self.role!r}")
        if not isinstance(self.heartbeat_s, int) or self.heartbeat_s <= 0:
            raise ValueError(f"heartbeat_s: must be a positive integer, not {self.heartbeat_s!r}")
        if not isinstance(self.max_messages_per_second, int) or self.max_messages_per_second <= 0:
            raise ValueError(f"max_messages_per_second: must be a positive integer, not {self.max_messages_per_second!r}")
        if not self.logon_timeout_s > 0:
            raise ValueError(f"logon_timeout_s: must be > 0, not {self.logon_timeout_s!r}")
        for key in ("max_queued_messages", "max_queued_bytes", "max_resends_per_second"):
            v = getattr(self, key)
            if not isinstance(v, int) or v <= 0:
                raise ValueError(f"{key}: must be a positive integer, not {v!r}")
        if self.max_message_bytes < 256:
            raise ValueError(f"max_message_bytes: must be at least 256, not {self.max_message_bytes!r}")

    def reversed(self) -> "SessionConfig":
        """The counterparty's view of this session (CompIDs swapped, role flipped)."""
        from dataclasses import replace
        return replace(self, sender_comp_id=self.target_comp_id, target_comp_id=self.sender_comp_id,
                       role="initiator" if self.role == "acceptor" else "acceptor")
