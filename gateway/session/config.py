"""One session's settings (frozen; validated; errors name the key)."""
from __future__ import annotations

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
        if self.max_message_bytes < 256:
            raise ValueError(f"max_message_bytes: must be at least 256, not {self.max_message_bytes!r}")

    def reversed(self) -> "SessionConfig":
        """The counterparty's view of this session (CompIDs swapped, role flipped)."""
        from dataclasses import replace
        return replace(self, sender_comp_id=self.target_comp_id, target_comp_id=self.sender_comp_id,
                       role="initiator" if self.role == "acceptor" else "acceptor")
