"""The tape: every parent, child order (one row per venue order), acknowledgement, execution,
end of a child, schedule sample and market print, in time order.

The runner writes it the same way whether the context is a backtest or live; TCA reads only
the tape. ``write_csv`` / ``read_csv`` keep it as one CSV file (a ``kind`` column, then the
record's fields), so a live day can be analysed later with the same code.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Union


class ParentRecord(NamedTuple):
    ts_ns: int              # when the desk handed it over (decision time)
    parent_id: str
    symbol: str
    side: int               # Side value
    qty: int
    start_ns: int
    end_ns: int
    limit: int              # ticks, 0 = none
    algo: str
    decision_mid: float     # consolidated mid at ts_ns


class ChildRecord(NamedTuple):
    ts_ns: int
    order_id: str           # the venue order (a child routed to several venues has one each)
    child_id: str
    parent_id: str
    algo: str
    venue: str
    side: int
    qty: int
    price: int
    tif: int
    reason: str = ""        # why the router sent it there


class AckRecord(NamedTuple):
    ts_ns: int
    order_id: str
    venue: str
    latency_ns: int         # send -> acknowledgement


class ExecRecord(NamedTuple):
    ts_ns: int
    order_id: str
    child_id: str
    parent_id: str
    venue: str
    qty: int
    price: int
    fee: float              # ticks x shares, negative = rebate


class DoneRecord(NamedTuple):
    ts_ns: int
    order_id: str
    venue: str
    unfilled: int
    reason: str
    rejected: bool = False


class ScheduleRecord(NamedTuple):
    ts_ns: int
    parent_id: str
    target: float           # cumulative shares the schedule wanted by ts_ns


class MarketRecord(NamedTuple):
    ts_ns: int
    venue: str
    price: float            # trade price (ticks); for a quote the consolidated mid
    qty: int                # trade size; 0 for a quote


Record = Union[ParentRecord, ChildRecord, AckRecord, ExecRecord, DoneRecord, ScheduleRecord, MarketRecord]
KINDS: dict[str, type] = {"parent": ParentRecord, "child": ChildRecord, "ack": AckRecord, "exec": ExecRecord,
                          "done": DoneRecord, "schedule": ScheduleRecord, "market": MarketRecord}
_KIND_OF = {v: k for k, v in KINDS.items()}
# each record's (field, type name) for read_csv (the annotations are forward references: text)
_FIELD_TYPES = {cls: [(name, getattr(tp, "__forward_arg__", tp)) for name, tp in cls.__annotations__.items()]
                for cls in KINDS.values()}


@dataclass(slots=True)
class Tape:
    records: list = field(default_factory=list)

    def add(self, rec: Record) -> None:
        self.records.append(rec)

    def of(self, cls: type) -> list:
        return [r for r in self.records if type(r) is cls]

    def write_csv(self, path: str | Path) -> None:
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            for r in self.records:
                w.writerow([_KIND_OF[type(r)], *r])

    @classmethod
    def read_csv(cls, path: str | Path) -> "Tape":
        tape = cls()
        with open(path, newline="") as f:
            for lineno, row in enumerate(csv.reader(f), 1):
                if not row:
                    continue
                rec_cls = KINDS.get(row[0])
                if rec_cls is None:
                    raise ValueError(f"{path}:{lineno}: unknown record kind {row[0]!r}")
                fields = rec_cls._fields
                if len(row) - 1 != len(fields):
                    raise ValueError(f"{path}:{lineno}: {row[0]} needs {len(fields)} fields, not {len(row) - 1}")
                vals = []
                for (name, tp), text in zip(_FIELD_TYPES[rec_cls], row[1:]):
                    try:
                        vals.append(_parse(tp, text))
                    except ValueError:
                        raise ValueError(f"{path}:{lineno}: {row[0]}.{name}: cannot read {text!r}") from None
                tape.add(rec_cls(*vals))
        return tape


def _parse(tp: str, text: str):
    if tp == "int":
        return int(text)
    if tp == "float":
        return float(text)
    if tp == "bool":
        if text not in ("True", "False"):
            raise ValueError(text)
        return text == "True"
    return text
