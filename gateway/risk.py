"""Risk backends behind one interface, configured through the pipeline's register map.

``check(order)`` decides an order (and, when it passes, reserves its quantity and
notional); ``release(...)`` feeds fills and cancels back; ``write_register(addr,
word)`` is the only way limits and controls get in. Limits from the config become a
list of register writes (``limit_writes``) that every backend is given, word for
word, so the hardware gets exactly what the model gets; the control plane changes
them at run time through the same call (``set_limits``, ``set_controls``).

Backends: ``model`` (the golden model, ``wirespeed.hw.risk.RiskModel``, default), ``native``
(the same model's decision in C, gateway/native/risk.c: one C call an order),
``amaranth`` (the Amaranth simulator running ``hw/risk``'s pipeline: risk_amaranth.py,
for verification, milliseconds an order) and ``verilator`` (the Verilated pipeline
through hw/vsim's C++ harness: risk_verilator.py, microseconds an order, built on first use).

Time: every backend is given ``now`` from one clock, in nanoseconds since the backend
started (the pipeline's ``now`` is 48 bits: 78 hours), so the GCRA throttle and the
stale-reference check see the same numbers in software and hardware.
"""
from __future__ import annotations

import dataclasses
import time
from contextlib import contextmanager
from typing import Callable, Protocol

from wirespeed.config import ConfigError, RiskConfig
from wirespeed.enums import Side
from wirespeed.hw.regs import map as regmap
from wirespeed.hw.risk import LimitEntry, RiskModel, collar_bounds
from wirespeed.hw.risk.checks import PRICE_MAX
from wirespeed.hw.risk.checks import NOTIONAL_LIMIT_MAX, notional_fits
from wirespeed.hw.risk.model import DEADLINE_MAX, Fill
from wirespeed.layout import SYMBOL_LIMITS
from wirespeed.order import Order
from wirespeed.symbols import SymbolTable

NOW_MASK = (1 << 48) - 1
_G = {r.name: r.offset for r in regmap.GLOBALS}
_LIMIT_WORDS = SYMBOL_LIMITS.width // 32
_WRITE_ONLY = {r.offset for r in regmap.SHADOW}


class RiskBackend(Protocol):
    name: str
    depth: int
    sessions: int

    def check(self, order: Order) -> int: ...
    def release(self, order: Order, qty: int, filled: bool) -> None: ...
    def write_register(self, addr: int, word: int) -> None: ...
    def protection_price(self, symbol_index: int, side: Side) -> int: ...
    def set_limits(self, symbol_index: int, entry: LimitEntry) -> None: ...
    def set_controls(self, kill: bool, reduce_only: bool) -> None: ...
    def restoring(self): ...


def entry_writes(index: int, entry: LimitEntry) -> list[tuple[int, int]]:
    """The register writes that load one limit-table row: its shadow words, then the commit."""
    return regmap.row_writes(index, entry.pack())


def control_writes(kill: bool, reduce_only: bool) -> list[tuple[int, int]]:
    return [(_G["CTRL"], int(kill) | int(reduce_only) << 1)]


class _Registers:
    """Shared by the backends: the limit rows as written (for market orders' protection
    price and the admin view), and the helpers that turn intent into register writes."""

    name = "?"
    depth = sessions = 0

    def _init_registers(self, clock: Callable[[], int] | None) -> None:
        self._rows: dict[int, list[int]] = {}
        self._shadow, self._shadow_written = [0] * _LIMIT_WORDS, set()
        self._t0 = time.monotonic_ns()
        self.clock = clock or (lambda: (time.monotonic_ns() - self._t0) & NOW_MASK)
        self.writes = 0
        self._protection: dict[int, LimitEntry] | None = None   # the rows as they were, while ``restoring``
        # the last word written to each rate register, in the order of their last writes: a
        # global RATE_* write sets every session, so writing them again in this order is the
        # state they set (``restoring``)
        self._rate_words: dict[int, int] = {}

    def _note_rate(self, addr: int, word: int) -> None:
        session = _session_word(addr, self.sessions)
        if addr in (_G["RATE_INTERVAL"], _G["RATE_TOLERANCE"]) or (session is not None and session[1] in (4, 5)):
            self._rate_words.pop(addr, None)
            self._rate_words[addr] = word

    @contextmanager
    def restoring(self):
        """Inside it, ``check`` is only the checks that do not depend on time: no rate throttle
        (every session's interval 0, so each check leaves its GCRA at ``now``: fresh), no stale
        reference and no price collar (each valid row widened). For reservations taken again from
        the audit trail (order_recovery.py): the run that accepted them has already made the
        time-dependent checks, with its clock and its references. Everything is written through the
        registers, the same for every backend, and written back as it was on the way out."""
        rows, rates = dict(self._rows), dict(self._rate_words)
        valid = {i: self.row(i) for i in rows}
        valid = {i: e for i, e in valid.items() if e is not None and e.valid}
        self._protection = valid
        try:
            for addr in (_G["RATE_INTERVAL"], _G["RATE_TOLERANCE"]):
                self.write_register(addr, 0)
            for addr in rates:
                self.write_register(addr, 0)
            for i, e in valid.items():
                self.set_limits(i, dataclasses.replace(e, price_lo=0, price_hi=PRICE_MAX, ref_deadline=DEADLINE_MAX))
            yield self
        finally:
            self._protection = None
            for i, e in valid.items():
                self.set_limits(i, e)
            for addr, word in rates.items():
                self.write_register(addr, word)
            self._rate_words = rates

    def _note_write(self, addr: int, word: int) -> int | None:
        """Follow the shadow row as the register file does; returns the row index a commit
        writes (None for any other write). A write the hardware refuses raises ValueError."""
        self.writes += 1
        self._note_rate(addr, word)
        if regmap.TABLE_BASE <= addr < regmap.SESSION_BASE:
            raise ValueError(f"register write to {addr:#06x}: limit rows are written through the SHADOW "
                             f"words and ROW_COMMIT, not in place")
        shadow = (addr - regmap.SHADOW_BASE) // regmap.WORD
        if 0 <= shadow < _LIMIT_WORDS and addr % regmap.WORD == 0:
            self._shadow[shadow] = word & 0xFFFFFFFF
            self._shadow_written.add(shadow)
            return None
        if addr != _G["ROW_COMMIT"]:
            return None
        missing = sorted(set(range(_LIMIT_WORDS)) - self._shadow_written)
        if missing:
            raise ValueError(f"ROW_COMMIT of row {word}: shadow words {missing} not written since the last commit")
        if not 0 <= word < self.depth:
            raise ValueError(f"ROW_COMMIT of row {word}: outside the limit table (depth {self.depth})")
        notional = SYMBOL_LIMITS.unpack(sum(w << (32 * k) for k, w in enumerate(self._shadow)))["max_notional"]
        if not notional_fits(notional):
            raise ValueError(f"ROW_COMMIT of row {word}: max_notional {notional} does not fit the limit table "
                             f"(at most {NOTIONAL_LIMIT_MAX}, or {(1 << 64) - 1}: open)")
        self._rows[word] = list(self._shadow)
        self._shadow_written = set()
        return word

    def row(self, index: int) -> LimitEntry | None:
        words = self._rows.get(index)
        if words is None:
            return None
        f = SYMBOL_LIMITS.unpack(sum(w << (32 * k) for k, w in enumerate(words)))
        return LimitEntry(f["max_qty"], f["price_lo"], f["price_hi"], bool(f["valid"]), bool(f["restricted"]),
                          f["max_notional"], f["long_limit"], f["short_limit"], f["ref_deadline"])

    def set_limits(self, symbol_index: int, entry: LimitEntry) -> None:
        for addr, word in entry_writes(symbol_index, entry):
            self.write_register(addr, word)

    def set_controls(self, kill: bool, reduce_only: bool) -> None:
        for addr, word in control_writes(kill, reduce_only):
            self.write_register(addr, word)

    def protection_price(self, symbol_index: int, side: Side) -> int:
        """The price a market order is checked at: the far edge of the collar band."""
        entry = (self._protection or {}).get(symbol_index) or self.row(symbol_index)
        if entry is None:
            return 0
        return entry.price_hi if side == Side.BUY else entry.price_lo


class ModelRiskBackend(_Registers):
    """The golden model. Register writes are decoded as the hardware's register file does."""

    name = "model"

    def __init__(self, depth: int = 256, sessions: int = 256, window: int = 8, clock=None):
        self.model = self._model(depth, sessions, window)
        self.depth, self.sessions = depth, sessions
        self._init_registers(clock)

    @staticmethod
    def _model(depth: int, sessions: int, window: int):
        return RiskModel(depth, sessions, window)

    def check(self, order: Order) -> int:
        return self.model.order(order, now=self.clock())

    def _set_session(self, session: int, credit: int, interval: int, tolerance: int) -> None:
        m = self.model
        m.session_credit_limit[session] = credit
        m.session_rate_interval[session], m.session_rate_tolerance[session] = interval, tolerance

    def release(self, order: Order, qty: int, filled: bool) -> None:
        """``qty`` of an accepted order filled (position moves) or was canceled."""
        self.model.fill(Fill(order.symbol, int(order.side), qty, qty * order.price, cancel=not filled,
                 session=order.session))

    def write_register(self, addr: int, word: int) -> None:
        m = self.model
        index = self._note_write(addr, word)
        if index is not None:
            m.write(index, self.row(index))
        elif addr in _WRITE_ONLY:
            pass                            # a shadow word: it takes effect with the commit
        elif addr == _G["CTRL"]:
            m.kill, m.reduce_only = bool(word & 1), bool(word & 2)
        elif addr == _G["CREDIT_LIMIT_LO"]:
            m.credit_limit = (m.credit_limit & ~0xFFFFFFFF) | (word & 0xFFFFFFFF)
        elif addr == _G["CREDIT_LIMIT_HI"]:
            m.credit_limit = (m.credit_limit & 0xFFFFFFFF) | ((word & 0xFFFFFFFF) << 32)
        elif addr == _G["RATE_INTERVAL"]:
            m.rate_interval = word & 0xFFFFFFFF
        elif addr == _G["RATE_TOLERANCE"]:
            m.rate_tolerance = word & 0xFFFFFFFF
        elif _session_word(addr, self.sessions) is not None:
            session, w = _session_word(addr, self.sessions)
            word &= 0xFFFFFFFF
            credit = m.session_credit_limit[session]
            interval, tolerance = m.session_rate_interval[session], m.session_rate_tolerance[session]
            if w in (0, 1):          # the session's credit limit, low / high word
                shift = 32 * w
                credit = credit & ~(0xFFFFFFFF << shift) | word << shift
            elif w == 4:             # its rate: S_RATE_INTERVAL
                interval = word
            else:                    # S_RATE_TOLERANCE
                tolerance = word
            self._set_session(session, credit, interval, tolerance)
        else:
            raise ValueError(f"register write to {addr:#06x}: not a writable register")


class NativeRiskBackend(ModelRiskBackend):
    """The golden model's decision in C (``gateway/native/risk.c``: ``RiskCore``, the same state,
    masks and primary reasons as ``RiskModel``, proven on seeded streams by
    tests/gateway/test_native_risk.py). Register writes are decoded by the model backend's code,
    unchanged; only the per-order calls differ: one C call each, no field dict, no Fill record."""

    name = "native"

    @staticmethod
    def _model(depth: int, sessions: int, window: int):
        from .native import RISK_ERROR, _risk
        if _risk is None:
            raise ConfigError(f"risk.backend: 'native' needs the C extension built by make setup ({RISK_ERROR})")
        return _risk.RiskCore(depth, sessions, window)

    def check(self, order: Order) -> int:
        return self.model.order(order, self.clock())

    def _set_session(self, session: int, credit: int, interval: int, tolerance: int) -> None:
        self.model.set_session(session, credit, interval, tolerance)   # its lists read back as copies

    def release(self, order: Order, qty: int, filled: bool) -> None:
        self.model.release(order.symbol, order.side, qty, qty * order.price, not filled, order.session)


def _session_word(addr: int, sessions: int) -> tuple[int, int] | None:
    """(session, word) of a writable per-session register (registers.md), else None."""
    session, offset = divmod(addr - regmap.SESSION_BASE, regmap.SESSION_STRIDE)
    if addr < regmap.SESSION_BASE or session >= sessions or offset % regmap.WORD:
        return None
    w = offset // regmap.WORD
    return (session, w) if w in (0, 1, 4, 5) else None


def limit_writes(config: RiskConfig, symbols: SymbolTable, depth: int) -> list[tuple[int, int]]:
    """Every register write that loads ``config``: globals, then one row per symbol, then an
    invalid row for every other index (RAM is not cleared by reset). Raises ConfigError
    naming the key of a limit set that cannot be loaded."""
    names = {s.name for s in symbols}
    for name in config.symbols:
        if name not in names:
            raise ConfigError(f"risk.symbols.{name}: limits for a symbol that is not configured "
                              f"(symbols: {', '.join(sorted(names))})")
    if len(symbols) > depth:
        raise ConfigError(f"symbols: {len(symbols)} symbols do not fit the risk table of {depth} rows")
    interval = round(1e9 / config.session_rate) if config.session_rate else 0
    writes = [(_G["CTRL"], 0), (_G["CREDIT_LIMIT_LO"], config.credit_limit & 0xFFFFFFFF),
              (_G["CREDIT_LIMIT_HI"], config.credit_limit >> 32), (_G["RATE_INTERVAL"], interval),
              (_G["RATE_TOLERANCE"], (config.session_burst - 1) * interval)]
    used = set()
    for sym in symbols:
        key = f"risk.symbols.{sym.name}" if sym.name in config.symbols else "risk.default"
        lim = config.limits_for(sym.name)
        lo, hi = collar_bounds(sym.reference_ticks, lim.collar_ticks)
        try:
            entry = LimitEntry(lim.max_qty, lo, hi, restricted=lim.restricted, max_notional=lim.max_notional,
                               long_limit=lim.long_limit, short_limit=lim.short_limit)
            writes += entry_writes(sym.index, entry)
        except ValueError as exc:
            raise ConfigError(f"{key}: cannot be loaded into the risk table for {sym.name}: {exc}") from None
        used.add(sym.index)
    for index in range(depth):
        if index not in used:
            writes += entry_writes(index, LimitEntry(0, 0, 0, valid=False))
    return writes


def _pow2(n: int) -> int:
    return 1 << max(1, (max(n, 2) - 1).bit_length())


#: The smallest limit table and session count the hardware backends are built with: one build
#: serves every small setup (a Verilated build takes most of a minute).
MIN_HW_DEPTH, MIN_HW_SESSIONS = 16, 4


def _hw_max_sessions() -> int:
    from wirespeed.hw.risk.pipeline import MAX_SESSIONS
    return MAX_SESSIONS


def make_backend(config: RiskConfig, symbols: SymbolTable, sessions: int = 256, clock=None) -> RiskBackend:
    """The configured backend with every limit loaded through its registers. The hardware
    backends get a table of max(16, symbols) rows and max(4, ``sessions``) throttle slots, each
    a power of two."""
    depth, slots = max(MIN_HW_DEPTH, _pow2(len(symbols))), max(MIN_HW_SESSIONS, _pow2(sessions))
    if config.backend == "model":
        backend: RiskBackend = ModelRiskBackend(256, 256, clock=clock)
    elif config.backend == "native":
        backend = NativeRiskBackend(256, 256, clock=clock)
    elif slots > _hw_max_sessions():
        raise ConfigError(f"risk.backend: {config.backend!r} serves at most {_hw_max_sessions()} client sessions "
                          f"(the pipeline's session rooms), not {sessions}: use 'model' or 'native'")
    elif config.backend == "amaranth":
        from .risk_amaranth import AmaranthRiskBackend
        backend = AmaranthRiskBackend(depth, slots, clock=clock)
    else:
        from wirespeed.hw.toolchain import ToolchainError

        from .risk_verilator import VerilatorRiskBackend
        try:
            backend = VerilatorRiskBackend(depth, slots, clock=clock)
        except (ToolchainError, OSError) as exc:
            raise ConfigError(f"risk.backend: 'verilator' cannot build or load the Verilated pipeline: {exc}") \
                from None
    for addr, word in limit_writes(config, symbols, backend.depth):
        backend.write_register(addr, word)
    return backend

