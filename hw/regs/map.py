"""The risk pipeline's register map, defined once.

The bus decoder in hardware, the register-map document (docs/hw/registers.md) and
the tests all read this module. Byte addresses, 32-bit words. Globals live below
``TABLE_BASE``; each symbol's read-only position state occupies ``TABLE_STRIDE`` bytes from
``TABLE_BASE + index * TABLE_STRIDE`` (the 24-bit address reaches 262,080 symbols).

A limit-table row is not written in place: software writes the ``SHADOW_*`` words (one per
32-bit word of the row, any order) and then the symbol index to ``ROW_COMMIT``, which writes
the whole row in one memory write, so an order sees the old row or the new one, never a mix.
A commit before every shadow word has been written since the last commit is refused (no
row is written) and sets the error flag; so is one to an index beyond the table.
"""
from __future__ import annotations

from dataclasses import dataclass

from wirespeed.layout import SYMBOL_LIMITS

#: "WS", map version 4: the entry counters are 36-bit (modulo 2**36: OPEN_* are formed from them)
#: and max_notional is stored in 42 bits (a commit of any other value than <= 2**42 - 2 or
#: 2**64 - 1 is refused); version 3: 24-bit addresses, rows committed from shadow words
VERSION = 0x57530004
WORD = 4
ADDR_WIDTH = 24
TABLE_BASE = 0x1000
TABLE_STRIDE = 0x40    # 16 words


@dataclass(frozen=True)
class Reg:
    name: str
    offset: int
    access: str          # RO, RW, WO (write-only), W1C (write one to clear)
    width: int           # meaningful bits in the word
    reset: int
    doc: str


GLOBALS = (
    Reg("VERSION", 0x000, "RO", 32, VERSION, "register map version: 4 (low 16 bits) has 36-bit entry counters "
        "(modulo 2**36) and max_notional stored in 42 bits; 3 had neither"),
    Reg("CTRL", 0x004, "RW", 2, 0, "bit 0: kill switch (reject every order); bit 1: reduce-only mode"),
    Reg("STATUS", 0x008, "W1C", 1, 0, "bit 0: bus error (a write to an unmapped or read-only address, a read of "
                                      "an unmapped or write-only one); write 1 to clear"),
    Reg("CREDIT_LIMIT_LO", 0x010, "RW", 32, 0xFFFFFFFF, "gross credit limit, low word (ticks x shares)"),
    Reg("CREDIT_LIMIT_HI", 0x014, "RW", 32, 0xFFFFFFFF, "gross credit limit, high word"),
    Reg("CREDIT_USED_LO", 0x018, "RO", 32, 0, "open + filled notional, low word"),
    Reg("CREDIT_USED_HI", 0x01C, "RO", 32, 0, "open + filled notional, high word"),
    Reg("RATE_INTERVAL", 0x020, "RW", 32, 0, "message-rate throttle (GCRA) emission interval T, in units of now; "
                                             "0 = off; a write sets every session's S_RATE_INTERVAL"),
    Reg("RATE_TOLERANCE", 0x024, "RW", 32, 0, "GCRA tolerance tau (burst = tau / T + 1 orders); a write sets every "
                                              "session's S_RATE_TOLERANCE"),
    Reg("ROW_COMMIT", 0x028, "WO", 24, 0, "write a symbol index: the shadow row becomes that row of the limit table, "
                                          "in one write; refused (error flag, nothing written) unless every SHADOW "
                                          "word was written since the last commit, the index is in the table and "
                                          "max_notional is at most 2**42 - 2 or is 2**64 - 1 (open)"),
    Reg("SHADOW_WRITTEN", 0x02C, "RO", 10, 0, "bit k: SHADOW word k written since the last commit"),
)


@dataclass(frozen=True)
class TableWord:
    word: int
    name: str
    access: str
    doc: str


def _limit_words() -> list[TableWord]:
    """One entry per 32-bit word of a limit-table row, named after the field it holds."""
    out = []
    for w in range(SYMBOL_LIMITS.width // 32):
        names = [f for f, off in SYMBOL_LIMITS.offsets.items()
                 if not f.startswith("_") and off < 32 * (w + 1) and off + SYMBOL_LIMITS.fields[f] > 32 * w]
        part = ""
        for f in names:
            if SYMBOL_LIMITS.fields[f] > 32:
                part = "_LO" if SYMBOL_LIMITS.offsets[f] == 32 * w else "_HI"
        label = "FLAGS" if len(names) > 1 else names[0].upper() + part
        doc = ("bit 0: valid, bit 1: restricted" if label == "FLAGS" else
               f"{names[0]}{' bits ' + str(32 * w - SYMBOL_LIMITS.offsets[names[0]]) + '..' if part else ''}"
               f"{min(SYMBOL_LIMITS.fields[names[0]], 32 * (w + 1) - SYMBOL_LIMITS.offsets[names[0]]) - 1 if part else ''}")
        out.append(TableWord(w, label, "WO", doc))
    return out


LIMIT_WORDS = _limit_words()
SHADOW_BASE = 0x040
#: the shadow row, one write-only word per word of a limit-table row, named after it
SHADOW = tuple(Reg(f"SHADOW_{w.name}", SHADOW_BASE + w.word * WORD, "WO", 32, 0,
                   f"shadow row word {w.word}: {w.doc}") for w in LIMIT_WORDS)
GLOBALS = GLOBALS + SHADOW
assert SHADOW_BASE + len(SHADOW) * WORD <= TABLE_BASE
STATE_FIELDS = ("pos", "open_buy", "open_sell")   # 48-bit signed each, two words apiece
#: words 0..len(LIMIT_WORDS)-1 of a table row are reserved (rows are written through SHADOW)
STATE_BASE_WORD = len(LIMIT_WORDS)
STATE_WORDS = [TableWord(STATE_BASE_WORD + 2 * i + half, f"{f.upper()}_{'HI' if half else 'LO'}", "RO",
                         f"{f} (48-bit two's complement{'' if f == 'pos' else '; the entry used quantity it is formed from is 36-bit'}), "
                         f"{'high 16 bits sign-extended' if half else 'low 32 bits'}")
               for i, f in enumerate(STATE_FIELDS) for half in (0, 1)]
TABLE_WORDS = STATE_WORDS
assert len(TABLE_WORDS) * WORD <= TABLE_STRIDE


def global_by_name(name: str) -> Reg:
    return next(r for r in GLOBALS if r.name == name)


def table_addr(index: int, word: int) -> int:
    return TABLE_BASE + index * TABLE_STRIDE + word * WORD


#: per-session (account) registers: session ``s`` occupies ``SESSION_BASE + s * SESSION_STRIDE``
SESSION_BASE = 0xF00000
SESSION_STRIDE = 0x20
SESSION_WORDS = (
    TableWord(0, "S_CREDIT_LIMIT_LO", "RW", "the session's credit limit on its open + filled notional, low word "
                                            "(reset: all ones)"),
    TableWord(1, "S_CREDIT_LIMIT_HI", "RW", "the session's credit limit, high word"),
    TableWord(2, "S_CREDIT_USED_LO", "RO", "the session's open + filled notional, low word"),
    TableWord(3, "S_CREDIT_USED_HI", "RO", "the session's open + filled notional, high word"),
    TableWord(4, "S_RATE_INTERVAL", "RW", "the session's GCRA emission interval T, in units of now (0: no "
                                          "limit); RATE_INTERVAL writes it too"),
    TableWord(5, "S_RATE_TOLERANCE", "RW", "the session's GCRA tolerance tau (burst = tau / T + 1 orders); "
                                           "RATE_TOLERANCE writes it too"),
)
MAX_DEPTH = (SESSION_BASE - TABLE_BASE) // TABLE_STRIDE      # symbols the table region holds


def session_addr(session: int, word: int) -> int:
    return SESSION_BASE + session * SESSION_STRIDE + word * WORD


def shadow_addr(word: int) -> int:
    return SHADOW_BASE + word * WORD


def row_writes(index: int, row: int) -> list[tuple[int, int]]:
    """The register writes that load one packed ``SYMBOL_LIMITS`` row: every shadow word, then
    the commit of row ``index``."""
    return ([(shadow_addr(w), (row >> (32 * w)) & 0xFFFFFFFF) for w in range(len(LIMIT_WORDS))]
            + [(global_by_name("ROW_COMMIT").offset, index)])
