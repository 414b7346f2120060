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


def test_a_batch_s_lines_are_each_record_s_line():
    """``_lines`` (one orjson call a settle's batch, spliced) writes the bytes ``_line`` writes for
    each record, also where it must fall back: a nested sentinel, empty or clashing fields, a NaN,
    an int past 64 bits, a float time, a non-dict."""
    odd = [
        ("control", {"x": ["\x00", {"t": 1}], "y": [1, "\x00", 2]}),      # the sentinel inside a record
        ("control", {"s": '},"\\u0000",{ "\x00",'}),                         # its bytes inside a string
        ("control", {}), ("control", {"t": 5, "z": 1}), ("control", {"rec": 1}), ("x%d%s", {"kind": "k"}),
        ("control", {"nan": float("nan")}), ("control", {"big": 1 << 70}), ("control", {"x": None}),
        ("in", {"fields": {"8": "FIX.4.4", "58": "a\nb\"c\\"}}),
    ]
    batch = [(n, 1_764_640_000_000_000_000 + n, kind, fields) for n, (kind, fields) in enumerate(RECORDS + odd, 1)]
    batch.append((len(batch) + 1, 1.5, "control", {"float_t": 1}))
    assert audit._lines(batch) == [audit._line(*r) for r in batch]
    for i in range(len(batch)):      # each record alone and with its neighbours
        assert audit._lines(batch[i:i + 2]) == [audit._line(*r) for r in batch[i:i + 2]]
    assert audit._lines([]) == []


def test_a_plain_batch_takes_no_record_by_record_line(monkeypatch):
    batch = [(n, 1_764_640_000_000_000_000 + n, kind, fields) for n, (kind, fields) in enumerate(RECORDS, 1)]
    want = [audit._line(*r) for r in batch]
    calls = []
    line = audit._line
    monkeypatch.setattr(audit, "_line", lambda *a: calls.append(a) or line(*a))
    assert audit._lines(batch) == want and calls == []
