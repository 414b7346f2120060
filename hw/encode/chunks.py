"""A frame as a fixed sequence of chunks of up to 8 bytes, packed into 8-byte beats.

The chunks of one frame are loaded at once into a shift register of slots; the head slot goes
into the byte packer and every slot moves up one when the head is taken. Each slot's input is
its load value or the slot behind it, so no slot has more than one LUT level in front of it,
and the packer's selects (the fill ``cnt``, and whether the head chunk completes a beat) are
registers, computed one chunk ahead; slot 0 holds the head already rotated into the byte lanes
it will fill. Every path is at most 3 LUT levels.

Chunks whose bytes are not known at load time (``late``) are loaded empty and written when the
frame has moved ``k`` chunks on, ``k`` being one less than the first late chunk's position, so
they arrive one slot behind the head: a marker bit loaded ``k - 1`` slots up says when.

Before the frame's chunks, a constant ``prefix`` of 8 bytes (known when the frame starts, while
the rest is still being worked out) goes out as the first beat.
"""
from dataclasses import dataclass

from amaranth import Array, Cat, Const, Mux, Signal, Value

from ..logic import kept
from ..skid import skid_output
from .decimal import mux16


@dataclass
class Chunk:
    data: Value             # 64 bits, byte j in bits 8j..8j+7, 0 past ``length``: a register
    length: object          # int, or a register (0..8)
    late: bool = False      # ``data`` is settled only by the time the chunk is written


def fixed_chunks(items) -> list:
    """Consecutive fixed-width bytes (ints, or ``(8-bit value, late)`` pairs) packed into chunks
    of 8; a chunk with a late byte is late."""
    out, cur = [], []

    def flush():
        if cur:
            data = Cat(*(Const(b, 8) if isinstance(b, int) else b[0] for b in cur), Const(0, 64 - 8 * len(cur)))
            out.append(Chunk(data, len(cur), late=any(not isinstance(b, int) and b[1] for b in cur)))
            cur.clear()

    for b in items:
        cur.append(b)
        if len(cur) == 8:
            flush()
    flush()
    return out


def stream_chunks(m, o, chunks: list, prefix: bytes, start, due, name: str = "slot"):
    """Drive the BEAT stream ``o``: on ``start`` the ``prefix`` beat, then, once ``due`` is high,
    ``chunks`` packed into beats, ``last`` on the final one. Returns the signal that is high in
    the cycle the frame's final beat is registered."""
    n = len(chunks)
    assert len(prefix) == 8 and chunks[0].length == 8, "the prefix and the first chunk fill whole beats"
    last_len = chunks[-1].length
    assert isinstance(last_len, int), "the last chunk has a fixed length"
    late = [q for q, c in enumerate(chunks) if c.late]
    k = min(late) - 1 if late else None
    assert k is None or k >= 1, "a late chunk cannot be the first or second"

    data = [Signal(64, name=f"{name}{i}") for i in range(n)]
    # slot 0's length is not kept: it was used while the chunk sat in slot 1 (ncnt, over below)
    length = [None] + [Signal(4, name=f"{name}{i}_len") for i in range(1, n)]
    valid, mark, final_mark = Signal(n, name=f"{name}_valid"), Signal(n, name=f"{name}_mark"), Signal(n, name=f"{name}_last")
    loaded = Signal(init=1, name=f"{name}_loaded")
    room = Signal(init=1, name=f"{name}_room")   # a beat pushed now has a place (a register)
    advance = kept(m, valid[0] & room, f"{name}_advance")                # the head chunk is taken
    load = kept(m, due & ~loaded & ~valid[0], f"{name}_load")
    with m.If(start):
        m.d.sync += loaded.eq(0)
    with m.Elif(load):
        m.d.sync += loaded.eq(1)

    # ---- the packer: ``cnt`` bytes wait in ``acc`` (bytes 0..cnt-1); the head chunk goes in
    # behind them. Slot 0 holds the head already rotated by ``cnt`` (its byte j in lane
    # (j + cnt) % 8), so each lane only chooses between ``acc`` and the head. The selects are
    # registers, worked out one chunk ahead: ``ncnt`` is ``cnt`` for the chunk in slot 1.
    cnt, ncnt = Signal(3, name=f"{name}_cnt"), Signal(3, name=f"{name}_ncnt")
    low = Signal(8, name=f"{name}_low")        # lane p < cnt: taken by a waiting byte (cnt as a mask)
    over = Signal(name=f"{name}_over")          # cnt + the head's length >= 8: a beat goes out
    acc = Signal(64, name=f"{name}_acc")
    ahead = ncnt + length[1]
    with m.If(start):
        m.d.sync += [cnt.eq(0), ncnt.eq(0), low.eq(0), over.eq(1)]
    with m.Elif(load):
        m.d.sync += over.eq(1)                  # chunk 0 is 8 bytes, at cnt 0
    with m.Elif(advance):
        m.d.sync += [cnt.eq(ncnt), low.eq(Cat(*(ncnt > p for p in range(7)))), ncnt.eq(ahead[:3]),
                     over.eq(ahead[3])]

    # ---- the slots --------------------------------------------------------------------------
    for i in range(n):
        nxt_data = data[i + 1] if i + 1 < n else Const(0, 64)
        nxt_len = length[i + 1] if i + 1 < n else Const(0, 4)
        lengths = [length[i].eq(chunks[i].length)] if i else []
        shifts = [length[i].eq(nxt_len)] if i else []
        arriving = chunks[i + k] if k is not None and i >= 1 and i + k in late else None
        if i == 0:
            lanes = [nxt_data[8 * j:8 * j + 8] for j in range(8)]
            nxt_data = Cat(*(mux16(m, [lanes[(p - c) % 8] for c in range(8)], ncnt, f"{name}_rot{p}")
                             for p in range(8)))
            with m.If(start):
                m.d.sync += data[0].eq(int.from_bytes(prefix, "little"))
        with m.If(load):
            m.d.sync += [data[i].eq(0 if chunks[i].late else chunks[i].data), *lengths]
        with m.Elif(advance):
            m.d.sync += [data[i].eq(Mux(mark[0], arriving.data, nxt_data) if arriving else nxt_data), *shifts]
    with m.If(start):
        m.d.sync += [valid.eq(1), mark.eq(0), final_mark.eq(0)]
    with m.Elif(load):
        m.d.sync += [valid.eq((1 << n) - 1), mark.eq(1 << (k - 1) if k else 0), final_mark.eq(1 << (n - 1))]
    with m.Elif(advance):
        m.d.sync += [valid.eq(valid >> 1), mark.eq(mark >> 1), final_mark.eq(final_mark >> 1)]

    beat = []
    for p in range(8):
        w, h = acc[8 * p:8 * p + 8], data[0][8 * p:8 * p + 8]
        beat.append(Mux(low[p], w, h))
        with m.If(advance):
            m.d.sync += acc[8 * p:8 * p + 8].eq(Mux(over, Mux(low[p], h, 0), Mux(low[p], w, h)))

    # ---- out: a beat when the head completes one, and at the end whatever is left ---------------
    is_last = final_mark[0]
    exact = cnt == (8 - last_len) % 8           # the last chunk ends on a beat boundary
    flush = Signal(name=f"{name}_flush")
    push = kept(m, room & ((valid[0] & (over | is_last)) | flush), f"{name}_push")     # a beat goes out
    # set when the last chunk leaves bytes for one more beat, cleared when that beat goes
    splits = kept(m, is_last & over & ~exact, f"{name}_splits")
    m.d.sync += flush.eq(~start & ((advance & splits) | (flush & ~room)))
    tail_keep = Array([Const((1 << min(c + last_len, 8)) - 1, 8) for c in range(8)])[cnt]
    beat_out = Signal.like(o.payload)
    m.d.comb += [beat_out.data.eq(Cat(*beat)),
                 beat_out.keep.eq(kept(m, Mux(flush, low, Mux(is_last & ~over, tail_keep, 0xFF)),
                                       f"{name}_keep")),
                 beat_out.last.eq(kept(m, flush | (is_last & (~over | exact)), f"{name}_final"))]
    main = skid_output(m, o, beat_out.as_value(), push, room)
    m.d.comb += o.payload.eq(main)
    return push & beat_out.last
