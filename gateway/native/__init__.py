"""The order path's native (C) parts, built by ``make setup`` (setup.py ``ext_modules``).

- ``_risk.RiskCore``: the risk golden model's decision (hw/risk/model.py) in C, behind the
  ``native`` risk backend (gateway/risk.py).
- ``_fix``: the FIX frame check (BodyLength, CheckSum) and the template encoder of the hot
  messages (sequence number, SendingTime, BodyLength, CheckSum into one buffer).

Each is optional at run time: where an extension is not built the Python path (the reference)
runs, and ``AVAILABLE`` says which are there. docs/gateway/native.md describes the split.
"""
from __future__ import annotations

try:
    from . import _risk
except ImportError as exc:        # not built (a source checkout without ``make setup``)
    _risk = None
    RISK_ERROR = str(exc)
else:
    RISK_ERROR = ""

__all__ = ["_risk", "RISK_ERROR"]
