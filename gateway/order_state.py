"""The order state machine: one table of legal OrdStatus transitions, nothing else.

Every change of an order's status in the gateway goes through ``advance``; a venue
report that would make an illegal move (a fill after Canceled, a New after Filled)
raises ``IllegalTransition`` and is logged and dropped by the caller, so a confused
venue cannot walk an order backwards or release its risk twice.

Pending states keep taking fills (FIX: an order stays PendingCancel / PendingReplace
while partial fills arrive), which is why they may move to themselves. A venue's
answer to a refused cancel or replace returns the order to the status it had
(New or PartiallyFilled). Replaced is the brief state between the venue's
confirmation and the order's new live status (New, PartiallyFilled or Filled).
"""
from __future__ import annotations

from wirespeed.enums import OrdStatus as S


class IllegalTransition(ValueError):
    def __init__(self, current: S, new: S):
        super().__init__(f"illegal order transition {current.name} -> {new.name}")
        self.current, self.new = current, new


_LIVE_EXITS = frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.DONE_FOR_DAY})

TRANSITIONS: dict[S, frozenset[S]] = {
    S.PENDING_NEW: frozenset({S.NEW, S.REJECTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED,
                              S.PENDING_CANCEL}),
    S.NEW: _LIVE_EXITS | {S.PENDING_CANCEL, S.PENDING_REPLACE},
    S.PARTIALLY_FILLED: _LIVE_EXITS | {S.PENDING_CANCEL, S.PENDING_REPLACE},
    S.PENDING_CANCEL: frozenset({S.PENDING_CANCEL, S.CANCELED, S.FILLED, S.EXPIRED, S.DONE_FOR_DAY, S.NEW,
                                 S.PARTIALLY_FILLED}),
    S.PENDING_REPLACE: frozenset({S.PENDING_REPLACE, S.REPLACED, S.FILLED, S.CANCELED, S.EXPIRED,
                                  S.DONE_FOR_DAY, S.NEW, S.PARTIALLY_FILLED}),
    S.REPLACED: frozenset({S.NEW, S.PARTIALLY_FILLED, S.FILLED}),
    # A day order done for the day only ends; it is not working any more.
    S.DONE_FOR_DAY: frozenset({S.CANCELED, S.EXPIRED}),
    S.FILLED: frozenset(),
    S.CANCELED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
}

TERMINAL = frozenset(s for s, exits in TRANSITIONS.items() if not exits)
#: Statuses in which an order rests at a venue and can still trade.
WORKING = frozenset({S.PENDING_NEW, S.NEW, S.PARTIALLY_FILLED, S.PENDING_CANCEL, S.PENDING_REPLACE, S.REPLACED})
#: Statuses from which a client may cancel or replace (a pending request must be answered first).
AMENDABLE = frozenset({S.NEW, S.PARTIALLY_FILLED})

assert set(TRANSITIONS) == set(S), "every OrdStatus has a row"


def allowed(current: S, new: S) -> bool:
    return new in TRANSITIONS[current]


def advance(current: S, new: S) -> S:
    """``new`` if the table allows ``current -> new``; raises IllegalTransition otherwise."""
    if new not in TRANSITIONS[current]:
        raise IllegalTransition(current, new)
    return new


# FIX CxlRejReason (102): 0 too late to cancel, 1 unknown order, 3 already pending cancel or replace.
CXL_TOO_LATE, CXL_UNKNOWN, CXL_BROKER, CXL_PENDING = 0, 1, 2, 3


def cancel_reject_reason(current: S | None) -> tuple[int, str]:
    """Why a cancel or replace of an order in ``current`` (None: unknown) is refused."""
    if current is None:
        return CXL_UNKNOWN, "unknown order"
    if current in TERMINAL or current is S.DONE_FOR_DAY:
        return CXL_TOO_LATE, f"order is {current.name.lower()}"
    if current in (S.PENDING_CANCEL, S.PENDING_REPLACE, S.REPLACED):
        return CXL_PENDING, f"order is {current.name.lower()}: a cancel or replace is already pending"
    if current is S.PENDING_NEW:
        return CXL_BROKER, "order not yet acknowledged by the venue"
    return CXL_BROKER, "refused"
