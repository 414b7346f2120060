"""The audit trail's JSON lines (gateway/audit.py ``_line``, orjson) read back as the ``json``
module's lines of the same records read (``_json_line``, the reference), for every kind of value a
record holds; what orjson writes differently (an int past 64 bits, a NaN) is ``json``'s line."""
import dataclasses
import datetime
import enum
import json

from wirespeed.gateway import audit


class Side(enum.IntEnum):
    BUY = 1


class Status(str, enum.Enum):
    NEW = "0"


@dataclasses.dataclass
class Point:
    x: int


RECORDS = [
    ("in", {"client": "C1", "msg": "D", "cl_ord_id": "A1", "fields": {11: "A1", 38: "100", 44: "190.25"}}),
    ("out", {"venue": "V", "msg": "D", "fields": [(11, "V1"), (54, Side.BUY), (39, Status.NEW)]}),
    ("risk", {"decision": "reject", "mask": 5, "reasons": ["max_qty", "collar"], "text": "risk: max_qty",
              "hops": {"recv": 1_764_640_000_123_456_789, "decoded": 2}}),
    ("control", {"action": "kill", "orig": None, "ok": True, "ratio": 0.25, "when": datetime.datetime(2026, 12, 2, 3),
                 "at": Point(3), "set": {1}, "bytes": b"\x01"}),
    ("in", {"venue": "V", "msg": "8", "fields": {58: "caf\u00e9 \u00fcber \u20ac"}}),
]


def test_orjson_lines_read_back_as_the_json_module_s_lines():
    for n, (kind, fields) in enumerate(RECORDS, 1):
        line = audit._line(n, 1_764_640_000_000_000_000, kind, fields)
        want = audit._json_line(n, 1_764_640_000_000_000_000, kind, fields)
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert json.loads(line) == json.loads(want), (line, want)


def test_what_orjson_would_write_differently_is_the_json_module_s_line():
    for fields in ({"big": 1 << 70}, {"nan": float("nan"), "x": None}, {"deep": [{"inf": float("inf")}]}):
        assert audit._line(7, 1, "control", fields) == audit._json_line(7, 1, "control", fields)
    plain = audit._line(8, 1, "control", {"x": None, "y": 1.5})      # a null that is not a NaN: orjson's
    assert json.loads(plain) == {"t": 1, "kind": "control", "x": None, "y": 1.5, "rec": 8}
