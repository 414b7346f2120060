"""The order path's native (C) parts, built by ``make setup`` (setup.py ``ext_modules``).

- ``_risk.RiskCore``: the risk golden model's decision (hw/risk/model.py) in C, behind the
  ``native`` risk backend (gateway/risk.py).
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

#: The native FIX codec is used where built, unless WIRESPEED_NATIVE=0 (read once, at import).
ENABLED = os.environ.get("WIRESPEED_NATIVE", "1") != "0"


def native_fix():
    """The ``_fix`` extension if it is built and enabled, else None (the Python codec runs)."""
    return _fix if ENABLED else None


__all__ = ["ENABLED", "RISK_ERROR", "_fix", "_risk", "native_fix"]
