"""Random order batches for the Verilated harness (hw/vsim), vectorised with numpy, and their
check against the golden model.

The orders follow ``OrderStimulus``'s distribution (boundary values, bad codes, unknown
symbols, repeated ClOrdIDs); fills and cancels are drawn from the orders the pipeline accepted
in earlier sub-batches (never more than an order has open), interleaved one per order slot.
The model replays orders and fills in the harness's order: fill k, taken with order k, is
seen from order k + 1 on. Decisions are compared bit for bit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.layout import FILL, ORDER, RISK_OUT
from wirespeed.reasons import primary

from ..regs import map as regmap
from ..risk.model import Fill, LimitEntry, RiskModel
from ..vsim import records
from .pipeline_bench import PipelineConfig

U64 = np.uint64
TOP32 = (1 << 32) - 1


def configure(vr, cfg: PipelineConfig) -> None:
    """Reset the harness and write cfg's globals and every table row (as the control plane does)."""
    vr.reset()
    vr.set_globals(kill=cfg.kill, reduce_only=cfg.reduce_only, credit_limit=cfg.credit_limit,
                   rate_interval=cfg.rate_interval, rate_tolerance=cfg.rate_tolerance)
    for session in range(cfg.sessions):
        vr.set_session_credit(session, cfg.session_credit.get(session, (1 << 64) - 1))
    for session, (interval, tolerance) in sorted(cfg.session_rate.items()):
        vr.write(regmap.session_addr(session, 4), interval)
        vr.write(regmap.session_addr(session, 5), tolerance)
    blank = LimitEntry(0, 0, 0, valid=False, max_notional=0, long_limit=0, short_limit=0, ref_deadline=0)
    for index in range(cfg.depth):
        vr.set_limits(index, cfg.table.get(index, blank))


def _near(rng, v, width):
    d = rng.choice(np.array([-1, 0, 1, 7]), size=len(v))
    d = np.where(d == 7, rng.integers(-50, 51, size=len(v)), d)
    return np.clip(v.astype(np.int64) + d, 0, (1 << width) - 1).astype(U64)


def random_orders(rng: np.random.Generator, cfg: PipelineConfig, n: int, first_id: int = 0) -> dict[str, np.ndarray]:
    depth, S = cfg.depth, cfg.sessions
    tab = np.zeros((depth, 6), dtype=np.int64)            # has, max_qty, lo, hi, max_notional//1, min(long, short)
    max_n = np.zeros(depth, dtype=object)
    for k, e in cfg.table.items():
        tab[k] = (1, e.max_qty, e.price_lo, e.price_hi, 0, min(e.long_limit, e.short_limit, 5_000))
        max_n[k] = e.max_notional
    pick = rng.integers(0, 14, size=n)
    symbol = np.where(pick < 12, rng.integers(0, depth, size=n), np.where(pick == 12, depth, (1 << 16) - 1))
    in_t = symbol < depth
    row = tab[np.where(in_t, symbol, 0)]
    has = in_t & (row[:, 0] == 1)
    side = np.where(rng.random(n) > 0.03, rng.choice([int(s) for s in Side], size=n), 0)
    ord_type = np.where(rng.random(n) > 0.03, rng.choice([int(t) for t in OrdType], size=n), 3)
    tif = np.where(rng.random(n) > 0.03, rng.choice([int(t) for t in TimeInForce], size=n), rng.choice([2, 5, 6, 7], size=n))
    session = np.where(rng.random(n) > 0.03, rng.integers(0, S, size=n), rng.integers(S, 256, size=n))
    base = np.choose(rng.integers(0, 3, size=n), [row[:, 2], row[:, 3], (row[:, 2] + row[:, 3]) // 2])
    price_in = _near(rng, base, 32)
    notional_cap = _vec_cap(max_n, symbol, in_t, has, price_in)
    q = rng.random(n)
    qty_in = np.where(q < 0.3, _near(rng, row[:, 1], 32),
             np.where(q < 0.5, _near(rng, notional_cap, 32),
             np.where(q < 0.8, _near(rng, row[:, 5] // rng.choice([1, 2, 4, 8], size=n), 32),
                      rng.integers(1, 301, size=n).astype(U64))))
    use_row = has & (rng.random(n) < 0.85)
    qty_out = np.choose(rng.integers(0, 4, size=n), [np.zeros(n, np.int64), np.ones(n, np.int64),
                                                     rng.integers(1, 1 << 20, size=n), np.full(n, TOP32)]).astype(U64)
    price_out = np.choose(rng.integers(0, 4, size=n), [np.zeros(n, np.int64), np.ones(n, np.int64),
                                                       rng.integers(1, 1 << 24, size=n), np.full(n, TOP32)]).astype(U64)
    qty = np.where(use_row, qty_in, qty_out)
    price = np.where(use_row, price_in, price_out)
    qty = np.where(rng.random(n) < 0.03, U64(0), qty)
    price = np.where(rng.random(n) < 0.03, U64(0), price)
    key = rng.integers(0, 1 << 63, size=n, dtype=np.int64).astype(U64) << U64(1) | rng.integers(0, 2, size=n).astype(U64)
    rep = np.flatnonzero(rng.random(n) < 0.08)
    back = rng.integers(1, 13, size=len(rep))
    ok = rep - back >= 0
    key[rep[ok]] = key[rep[ok] - back[ok]]
    return {"order_id": np.arange(first_id, first_id + n, dtype=U64) & U64(TOP32), "cl_ord_key": key,
            "session": session.astype(U64), "symbol": symbol.astype(U64), "side": side.astype(U64),
            "ord_type": ord_type.astype(U64), "tif": tif.astype(U64), "qty": qty, "price": price}


def _vec_cap(max_n, symbol, in_t, has, price):
    """min(max_notional // price, 2^32 - 1): the quantity that just reaches the notional limit."""
    mx = np.array([min(int(v), (1 << 63) - 1) for v in max_n], dtype=np.int64)[np.where(in_t, symbol, 0)]
    p = np.maximum(price.astype(np.int64), 1)
    return np.where(has & (price > 0), np.minimum(mx // p, TOP32), 0)


class FillPool:
    """Open quantity of accepted orders, from which fills and cancels are drawn (the newest
    ``LIMIT``: a partly filled order left open does not grow the pool without bound)."""

    LIMIT = 50_000

    def __init__(self):
        self.sym = np.zeros(0, np.int64)
        self.side = np.zeros(0, np.int64)
        self.rem = np.zeros(0, np.int64)
        self.price = np.zeros(0, np.int64)
        self.session = np.zeros(0, np.int64)

    def add(self, decisions: dict[str, np.ndarray]) -> None:
        acc = decisions["accept"] == 1
        self.sym = np.concatenate([self.sym, decisions["o_symbol"][acc].astype(np.int64)])
        self.side = np.concatenate([self.side, decisions["o_side"][acc].astype(np.int64)])
        self.rem = np.concatenate([self.rem, decisions["o_qty"][acc].astype(np.int64)])
        self.price = np.concatenate([self.price, decisions["o_price"][acc].astype(np.int64)])
        self.session = np.concatenate([self.session, decisions["o_session"][acc].astype(np.int64)])
        if len(self.rem) > self.LIMIT:
            self.sym, self.side, self.rem, self.price, self.session = (
                a[-self.LIMIT:] for a in (self.sym, self.side, self.rem, self.price, self.session))

    def draw(self, rng: np.random.Generator, slots: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
        """(fills (slots, words), valid (slots,)): about ``rate`` of the slots carry a fill."""
        k = min(rng.binomial(slots, rate), len(self.rem))
        valid = np.zeros(slots, np.uint8)
        fills = np.zeros((slots, records.words(FILL)), np.uint32)
        if k == 0:
            return fills, valid
        who = rng.choice(len(self.rem), size=k, replace=False)
        cancel = rng.random(k) < 0.25
        full = cancel | (rng.random(k) < 0.5)
        rem = self.rem[who]
        qty = np.where(full, rem, 1 + (rng.random(k) * rem).astype(np.int64).clip(0, rem - 1))
        self.rem[who] -= qty
        at = rng.choice(slots, size=k, replace=False)
        fills[at] = records.pack(FILL, {"symbol": self.sym[who], "side": self.side[who], "cancel": cancel,
                                        "qty": qty, "notional": qty * self.price[who],
                                        "session": self.session[who]}, k)
        valid[at] = 1
        keep = self.rem > 0
        self.sym, self.side, self.rem, self.price, self.session = (
            a[keep] for a in (self.sym, self.side, self.rem, self.price, self.session))
        return fills, valid


@dataclass
class Batch:
    orders: np.ndarray
    now: np.ndarray
    fills: np.ndarray
    fill_valid: np.ndarray
    decisions: np.ndarray


def run_random(vr, cfg: PipelineConfig, n: int, *, seed: int = 1, sub: int = 8192, fill_rate: float = 0.3,
               now0: int = 1_000, now_step: int = 1, configure_first: bool = True, first_id: int = 0) -> Batch:
    """``n`` random orders through the harness (reset and configured from cfg first, unless
    ``configure_first`` is off), in sub-batches whose fills come from the orders accepted before."""
    rng = np.random.default_rng(seed)
    if configure_first:
        configure(vr, cfg)
    pool = FillPool()
    parts = []
    for start in range(0, n, sub):
        m = min(sub, n - start)
        orders = records.pack(ORDER, random_orders(rng, cfg, m, first_id=first_id + start), m)
        now = (now0 + now_step * np.arange(start, start + m)).astype(U64)
        fills, valid = pool.draw(rng, m, fill_rate)
        dec = vr.run(orders, now, fills, valid)
        pool.add(records.unpack(RISK_OUT, dec))
        parts.append((orders, now, fills, valid, dec))
    return Batch(*(np.concatenate([p[k] for p in parts]) for k in range(5)))


def model_mismatches(cfg: PipelineConfig, b: Batch, count: int | None = None, limit: int = 5,
                     model: RiskModel | None = None) -> tuple[int, list[str]]:
    """Replay the first ``count`` orders (and their fills) through the model (a fresh one from
    cfg, or ``model`` as it stands, with cfg's control registers); (orders compared, the first
    mismatches)."""
    count, bad, _ = _replay(cfg, b, count, limit, model)
    return count, bad


def replay(cfg: PipelineConfig, b: Batch, count: int | None = None, limit: int = 5) -> tuple[RiskModel, list[str]]:
    """As ``model_mismatches``; (the model after the replay, the first mismatches)."""
    _, bad, model = _replay(cfg, b, count, limit, None)
    return model, bad


def _replay(cfg, b, count, limit, model):
    if model is None:
        model = cfg.model()
    else:
        model.kill, model.reduce_only, model.credit_limit = cfg.kill, cfg.reduce_only, cfg.credit_limit
        cfg.apply_rates(model)
    count = len(b.orders) if count is None else min(count, len(b.orders))
    cols = records.unpack(ORDER, b.orders[:count])
    names = list(cols)
    rows = zip(*(cols[f].tolist() for f in names))
    fcols = records.unpack(FILL, b.fills[:count])
    fill_rows = list(zip(*(fcols[f].tolist() for f in ("symbol", "side", "qty", "notional", "cancel", "session"))))
    valid = b.fill_valid[:count].tolist()
    now = b.now[:count].tolist()
    bad = []
    for k, values in enumerate(rows):
        want = model.result(dict(zip(names, values)), now[k])
        got = records.to_int(b.decisions[k])
        if got != want and len(bad) < limit:
            g, w = RISK_OUT.unpack(got), RISK_OUT.unpack(want)
            bad.append(f"order {k}: got != expected {({f: (g[f], w[f]) for f in g if g[f] != w[f]})}")
        if valid[k]:
            s, side, q, notional, cancel, session = fill_rows[k]
            model.fill(Fill(s, side, q, notional, bool(cancel), session))
    return count, bad, model


def invariants(b: Batch) -> list[str]:
    """What every decision must satisfy, checked vectorised over the whole batch: the order
    echoed field for field, in order; accept exactly when the mask is clear; the reason the
    mask's primary."""
    d = records.unpack(RISK_OUT, b.decisions)
    o = records.unpack(ORDER, b.orders)
    out = []
    for f in ORDER.fields:
        got = d["order_id"] if f == "order_id" else d[f"o_{f}"]
        if not np.array_equal(got, o[f]):
            out.append(f"{f} not echoed at order {int(np.argmax(got != o[f]))}")
    if not np.array_equal(d["accept"] == 1, d["mask"] == 0):
        out.append(f"accept != (mask == 0) at order {int(np.argmax((d['accept'] == 1) != (d['mask'] == 0)))}")
    masks, inv = np.unique(d["mask"], return_inverse=True)
    prim = np.array([int(primary(int(m))) for m in masks], dtype=U64)[inv]
    if not np.array_equal(prim, d["reason"]):
        out.append(f"reason is not the mask's primary at order {int(np.argmax(prim != d['reason']))}")
    return out
