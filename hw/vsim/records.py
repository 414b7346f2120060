"""Records (``wirespeed.layout`` formats) as numpy arrays of 32-bit words, the way the
harness moves them: row k of an (n, words) uint32 array is record k, bit b of the record in
bit b % 32 of word b // 32 (the Verilated port's layout). Fields are at most 64 bits wide."""
from __future__ import annotations

import numpy as np

from wirespeed.layout import RecordFormat

M32 = np.uint64(0xFFFFFFFF)


def words(fmt: RecordFormat) -> int:
    return (fmt.width + 31) // 32


def pack(fmt: RecordFormat, columns: dict[str, np.ndarray], n: int | None = None) -> np.ndarray:
    """(n, words) uint32 from one array (or scalar) per field; a missing field is zero."""
    n = n if n is not None else len(next(iter(columns.values())))
    out = np.zeros((n, words(fmt)), dtype=np.uint64)
    for name, width in fmt.fields.items():
        if name not in columns:
            continue
        v = np.broadcast_to(np.asarray(columns[name], dtype=np.uint64), (n,))
        if width < 64 and np.any(v >> np.uint64(width)):
            bad = int(v[np.argmax(v >> np.uint64(width) != 0)])
            raise ValueError(f"{fmt.name}.{name}={bad} does not fit in {width} bits")
        off = fmt.offsets[name]
        for j in range(off // 32, (off + width - 1) // 32 + 1):
            shift = off - 32 * j
            part = (v << np.uint64(shift)) if shift >= 0 else (v >> np.uint64(-shift))
            out[:, j] |= part & M32
    return out.astype(np.uint32)


def unpack(fmt: RecordFormat, rows: np.ndarray) -> dict[str, np.ndarray]:
    """One uint64 array per field from (n, words) uint32 rows."""
    w = rows.astype(np.uint64)
    out = {}
    for name, width in fmt.fields.items():
        off = fmt.offsets[name]
        v = np.zeros(len(rows), dtype=np.uint64)
        for j in range(off // 32, (off + width - 1) // 32 + 1):
            shift = off - 32 * j
            v |= (w[:, j] >> np.uint64(shift)) if shift >= 0 else (w[:, j] << np.uint64(-shift))
        out[name] = v & np.uint64((1 << width) - 1) if width < 64 else v
    return out


def to_int(row: np.ndarray) -> int:
    """One record row as the integer ``RecordFormat.pack`` gives."""
    return int.from_bytes(np.ascontiguousarray(row, dtype="<u4").tobytes(), "little")


def from_int(fmt: RecordFormat, word: int) -> np.ndarray:
    return np.frombuffer(word.to_bytes(4 * words(fmt), "little"), dtype="<u4").copy()
