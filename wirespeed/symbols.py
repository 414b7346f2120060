"""The symbol table: symbol string <-> index, tick size, reference price.

The index is what the order record and the hardware limit tables carry; the
string is what FIX and OUCH carry.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Iterator

from .prices import TickSize


@dataclass(frozen=True, slots=True)
class Symbol:
    index: int
    name: str
    tick: TickSize
    reference_ticks: int = 0   # reference price (last / close) in ticks; 0 = none

    def __post_init__(self) -> None:
        if not self.name or not self.name.isascii() or len(self.name) > 8 or not self.name.isprintable():
            raise ValueError(f"symbol must be 1-8 printable ASCII characters, not {self.name!r}")
        if not isinstance(self.index, int) or self.index < 0:
            raise ValueError(f"symbol index must be a non-negative integer, not {self.index!r}")

    def price(self, ticks: int) -> Decimal:
        return self.tick.to_decimal(ticks)


@dataclass(slots=True)
class SymbolTable:
    _by_name: dict[str, Symbol] = field(default_factory=dict)
    _by_index: dict[int, Symbol] = field(default_factory=dict)

    @classmethod
    def of(cls, entries: Iterable[tuple[str, str, str]]) -> "SymbolTable":
        """Build from (name, tick size, reference price) triples, indexed in order from 1.

        Index 0 is kept free: an all-zero order record then names no symbol.
        """
        table = cls()
        for i, (name, tick, ref) in enumerate(entries, start=1):
            t = TickSize.parse(tick)
            table.add(Symbol(i, name, t, t.to_ticks(ref)))
        return table

    def add(self, sym: Symbol) -> None:
        if sym.name in self._by_name:
            raise ValueError(f"duplicate symbol {sym.name!r}")
        if sym.index in self._by_index:
            raise ValueError(f"duplicate symbol index {sym.index}")
        self._by_name[sym.name] = sym
        self._by_index[sym.index] = sym

    def by_name(self, name: str) -> Symbol | None:
        return self._by_name.get(name)

    def by_index(self, index: int) -> Symbol | None:
        return self._by_index.get(index)

    def set_reference(self, name: str, ticks: int) -> Symbol:
        old = self._by_name[name]
        new = Symbol(old.index, old.name, old.tick, ticks)
        self._by_name[name] = self._by_index[old.index] = new
        return new

    def __iter__(self) -> Iterator[Symbol]:
        return iter(sorted(self._by_index.values(), key=lambda s: s.index))

    def __len__(self) -> int:
        return len(self._by_index)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name


def table_from_config(entries) -> SymbolTable:
    """A SymbolTable from ``SymbolConfig`` entries (name, tick, reference), indexed from 1."""
    try:
        return SymbolTable.of((e.name, e.tick, e.reference) for e in entries)
    except ValueError as exc:
        raise ValueError(f"symbols: {exc}") from None
