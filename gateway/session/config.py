"""One session's settings (frozen; validated; errors name the key)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from .schedule import Schedule


@dataclass(frozen=True, slots=True)
class SessionConfig:
    sender_comp_id: str
    target_comp_id: str
    role: Literal["acceptor", "initiator"] = "acceptor"
    begin_string: str = "FIX.4.4"
    heartbeat_s: int = 30
    # None: the role's usual (an initiator asks for a reset, an acceptor follows the Logon's
    # ResetSeqNumFlag). True on an acceptor: both numbers back to 1 at every Logon (QuickFIX's
    # ResetOnLogon=Y), whatever the Logon carries.
    reset_on_logon: bool | None = None
    sending_time_tolerance_s: int = 120
    logout_timeout_s: float = 2.0
    max_message_bytes: int = 8192
    allow_unknown_fields: bool = False   # accept tags the dictionary does not define for a message
    password: str | None = None          # acceptor: Logon must carry it (554); initiator: sends it
    max_messages_per_second: int = 20000 # inbound, per connection; above it the session logs out
    # QuickFIX's session settings (docs/gateway/config.md has each one's meaning)
    reset_on_logout: bool = False         # numbers back to 1 after a Logout exchange
    reset_on_disconnect: bool = False     # numbers back to 1 whenever the connection ends
    refresh_on_logon: bool = False        # re-read the store from disk at Logon (hot standby)
    check_comp_id: bool = True            # inbound SenderCompID/TargetCompID must match
    check_latency: bool = True            # inbound SendingTime within sending_time_tolerance_s (MaxLatency)
    # wirespeed's SendingTimeBacklogCredit: a SendingTime late only by the gateway's own receive
    # backlog (the connection's queue not seen empty since) is accepted back to the time the queue
    # was last empty, minus the tolerance (docs/gateway/session.md). False: QuickFIX's check alone.
    backlog_credit: bool = True
    validate_user_defined_fields: bool = False   # check tags >= 5000 against the dictionary too
    validate_fields_out_of_order: bool = True    # header fields after the body: Reject (14)
    validate_fields_have_values: bool = True     # a tag without a value: Reject (4)
    use_data_dictionary: bool = True      # False: session-level checks only (no shapes either)
    data_dictionary: str | None = None    # a QuickFIX XML dictionary; None: the built-in one
    strategy_parameters: bool = False     # FIX 4.4 built-in + TargetStrategy as text and 957-960 (parent orders)
    start_day: int | None = None          # weekly window: Monday = 0 (with end_day; see Schedule)
    end_day: int | None = None
    time_zone: str | None = None          # of the window: IANA name, "local" (UseLocalTime=Y), None = UTC
    start_time: dt.time | None = None    # session window (see Schedule); None = always
    end_time: dt.time | None = None
    # Bounds against hostile peers; defaults no conforming counterparty reaches (docs/gateway/security.md).
    logon_timeout_s: float = 10.0        # QuickFIX LogonTimeout: a connection not logged on by then is closed
    max_queued_messages: int = 10_000    # out-of-order inbound messages held while a gap is open
    max_queued_bytes: int = 16 << 20     # ... and their bytes; past either bound: Logout
    max_resends_per_second: int = 20_000 # sequence numbers a ResendRequest is served at, per second

    def in_schedule(self, now: dt.datetime | None = None) -> bool:
        if self.start_time is None or self.end_time is None:
            return True
        return self.schedule.contains(now or dt.datetime.now(dt.timezone.utc))

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.start_time, self.end_time, self.start_day, self.end_day, self.time_zone)

    @property
    def resets_on_logon(self) -> bool:
        return self.role == "initiator" if self.reset_on_logon is None else self.reset_on_logon

    def load_dictionary(self):
        """The session's data dictionary (None with use_data_dictionary=False)."""
        if not self.use_data_dictionary:
            return None
        from ..fix.dictionary import dictionary, load_dictionary
        allow_user = not self.validate_user_defined_fields
        if self.data_dictionary is None:
            if self.strategy_parameters and self.begin_string == "FIX.4.4":
                from ..fix.dictionary import strategy_dictionary
                return strategy_dictionary(allow_user, self.allow_unknown_fields)
            return dictionary(self.begin_string, allow_user, self.allow_unknown_fields)
        return load_dictionary(self.data_dictionary, allow_user, self.allow_unknown_fields, self.begin_string)

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
        if not isinstance(self.backlog_credit, bool):
            raise ValueError(f"backlog_credit: must be true or false, not {self.backlog_credit!r}")
        if self.max_message_bytes < 256:
            raise ValueError(f"max_message_bytes: must be at least 256, not {self.max_message_bytes!r}")
        self.schedule.check()

    def reversed(self) -> "SessionConfig":
        """The counterparty's view of this session (CompIDs swapped, role flipped)."""
        from dataclasses import replace
        return replace(self, sender_comp_id=self.target_comp_id, target_comp_id=self.sender_comp_id,
                       role="initiator" if self.role == "acceptor" else "acceptor")
