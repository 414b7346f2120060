"""The gateway's per-order and per-venue records (the order path's state, see orders.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

from wirespeed.enums import OrdStatus
from wirespeed.order import Order

from . import order_state as fsm
from .controls import TokenBucket
from .session import Session

S = OrdStatus

@dataclass(slots=True)
class OrderState:
    order: Order                 # the record risk holds a reservation against (the client's ClOrdID)
    client: Session
    venue: str
    status: OrdStatus = OrdStatus.PENDING_NEW
    qty: int = 0                 # the order's total quantity (OrderQty)
    cum_qty: int = 0
    avg_px_num: int = 0
    reserved: int = 0            # quantity still reserved in risk against ``order``
    venue_cl: str = ""           # the ClOrdID the venue knows the order by now
    requests: int = 0            # cancels / replaces / status requests sent (the ``.n`` suffix)
    prior: OrdStatus = OrdStatus.NEW     # status before a pending cancel / replace
    pending_cl: str = ""         # the client's ClOrdID of its pending cancel / replace ("" gateway's own)
    pending: Order | None = None          # a pending replace's record (reserved in full)
    pending_qty: int = 0                  # a pending replace's new OrderQty
    pending_venue_cl: str = ""            # the venue ClOrdID a pending replace asked for
    exec_ids: set = field(default_factory=set)
    ouch_refs: list = field(default_factory=list)   # the OUCH UserRefNums this order has had
    sent_ns: int = 0
    acked: bool = False
    # The client's CompID, read once: the booking after every report reads it several times (a
    # property through client.config was ~0.3 us a read under make bench-load).
    client_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.client_id = self.client.config.target_comp_id

    @property
    def leaves(self) -> int:
        if self.status in fsm.TERMINAL or self.status is S.DONE_FOR_DAY:
            return 0
        return self.qty - self.cum_qty


@dataclass(slots=True)
class VenueLink:
    """One venue session and whether new flow may go to it."""

    name: str
    session: Session
    state: str = "down"          # down | reconciling | up
    awaiting: set = field(default_factory=set)   # order ids whose status the venue still owes
    reconcile_started: float = 0.0
    throttle: TokenBucket | None = None
    credit_limit: int = 0        # open notional allowed at this venue, ticks x shares (0: no limit)
    open_notional: int = 0
    ouch: bool = False           # an OUCH 5.0 session (ouch_venue.py), else FIX
    templates: dict = field(default_factory=dict)   # FIX: NewOrderSingle templates (limit? -> Template)
    fix_encoder: object = None   # FIX: NewOrderSingle frames from the Verilated encoder (gateway/hw_encoder.py)
