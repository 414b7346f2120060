"""The order path's native (C) parts, built by ``make setup`` (setup.py ``ext_modules``).

- ``_risk.RiskCore``: the risk golden model's decision (hw/risk/model.py) in C, behind the
  ``native`` risk backend (gateway/risk.py).
- ``_order``: the ``Order`` record and its ClOrdID key (BLAKE2b) built in one call.
- ``_report``: the client ExecutionReport's fields (fix/orders.py ``report_fields``) built in one call.
- ``_path``: a client session's NewOrderSingle common case in one C call per read
  (gateway/order_fast.py books what it did).
- ``_fix``: the FIX template encoder of every hot message (sequence number, SendingTime,
  BodyLength and CheckSum rendered into one buffer) and the frame check of the parser's fast
  path (BodyLength, CheckSum).

Each is optional: where an extension is not built, or ``WIRESPEED_NATIVE=0`` is in the
environment (the benches' "before" gateway, a bisect), the Python code runs, which stays the
reference the tests compare the native path with byte for byte. docs/gateway/native.md.
"""
from __future__ import annotations

import os

try:
    from . import _risk
except ImportError as exc:        # not built (a source checkout without ``make setup``)
    _risk = None
    RISK_ERROR = str(exc)
else:
    RISK_ERROR = ""

try:
    from . import _fix
except ImportError:
    _fix = None

try:
    from . import _order
except ImportError:
    _order = None

try:
    from . import _report
except ImportError:
    _report = None

try:
    from . import _path
except ImportError:
    _path = None

#: The native FIX codec is used where built, unless WIRESPEED_NATIVE=0 (read once, at import).
ENABLED = os.environ.get("WIRESPEED_NATIVE", "1") != "0"


def native_fix():
    """The ``_fix`` extension if it is built and enabled, else None (the Python codec runs)."""
    return _fix if ENABLED else None


def native_path():
    """The ``_path`` extension (the client NewOrderSingle fast path) if built and enabled, else None."""
    return _path if ENABLED else None


#: Order's fields, in the order OrderMaker sets them (a changed record turns the maker off).
ORDER_FIELDS = ("order_id", "cl_ord_id", "session", "symbol", "side", "ord_type", "tif", "qty", "price", "cl_ord_key")


def order_maker():
    """A C callable ``(order_id, cl_ord_id, session, symbol, side, ord_type, tif, qty, price) -> Order``
    with the cl_ord_key ``Order.__post_init__`` computes, or None (not built, not enabled, or
    ``Order`` no longer has the fields it sets)."""
    if _order is None or not ENABLED:
        return None
    import dataclasses

    from wirespeed.order import Order
    if tuple(f.name for f in dataclasses.fields(Order)) != ORDER_FIELDS or Order.__post_init__.__module__ != Order.__module__:
        return None
    return _order.OrderMaker(Order, tuple(Order.__dict__[name] for name in ORDER_FIELDS))


def report_maker():
    """A C callable building ``report_fields``' list (``_report.ReportFields``), or None (not built
    or not enabled: the Python runs)."""
    if _report is None or not ENABLED:
        return None
    from wirespeed.enums import ExecType, OrdStatus, OrdType, Side
    return _report.ReportFields({m: m.fix for m in ExecType}, {m: m.fix for m in OrdStatus}, {m: m.fix for m in Side},
                                {m: m.fix for m in OrdType}, ExecType.TRADE, ExecType.REJECTED)


__all__ = ["ENABLED", "ORDER_FIELDS", "RISK_ERROR", "_fix", "_order", "_path", "_report", "_risk", "native_fix",
           "native_path", "order_maker", "report_maker"]
