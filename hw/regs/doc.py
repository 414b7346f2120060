"""Generate docs/hw/registers.md from the register map (``python -m wirespeed.hw.regs.doc``)."""
from __future__ import annotations

import sys
from pathlib import Path

from wirespeed.layout import SYMBOL_LIMITS

from . import map as regmap
from .bus import READ_LATENCY, WRITE_LATENCY

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "hw" / "registers.md"


def _table(header: list[str], rows) -> list[str]:
    """A markdown table: the header, its rule, one line per row."""
    return (["| " + " | ".join(header) + " |", "|" + "|".join("-" * (len(h) + 2) for h in header) + "|"]
            + ["| " + " | ".join(row) + " |" for row in rows])


def render() -> str:
    lines = [
        "# Risk pipeline register map",
        "",
        "Generated from `hw/regs/map.py` by `python -m wirespeed.hw.regs.doc`; a test fails if this",
        "file is stale. Byte addresses, 32-bit words, "
        f"{regmap.ADDR_WIDTH}-bit address bus.",
        "",
        "Bus: the host drives `addr`, `wdata`, `we`, `re`. Every access is first registered with its",
        "address decoded: a write takes effect on the clock edge after the one that samples `we`",
        f"(`WRITE_LATENCY` = {WRITE_LATENCY} edges, counting that one); a read returns `rdata` with",
        f"`rvalid` `READ_LATENCY` = {READ_LATENCY} cycles after `re`, and a read may start every cycle. A bad access",
        "(unmapped or misaligned address, a write to a read-only register, a read of a write-only",
        "one) changes nothing and sets STATUS bit 0, which the `err` output mirrors until software",
        "writes 1 to it.",
        "",
        "## Global registers",
        "",
    ]
    lines += _table(["offset", "name", "access", "bits", "reset", "description"],
                    ([f"`0x{r.offset:04X}`", r.name, r.access, str(r.width), f"`0x{r.reset:X}`", r.doc]
                     for r in regmap.GLOBALS))
    lines += [
        "",
        "## Limit rows: shadow words and an atomic commit",
        "",
        "A limit-table row is never written in place. Software writes the `SHADOW_*` words (one per",
        "32-bit word of the row, in any order), then the symbol index to `ROW_COMMIT`: the register",
        "file writes the whole 320-bit row into the block RAM in one write, so every order is decided",
        "against the old row or the new one, never a mix (the hazard scenarios `regs/commit-*` check",
        "it). A commit is refused, writing nothing and setting STATUS bit 0, unless every shadow",
        "word has been written since the last commit (`SHADOW_WRITTEN` shows which), the index",
        "is in the table and the row's max_notional is one the table stores: the block RAM keeps it",
        "in 42 bits, so at most 2**42 - 2 (4.4e12 ticks x shares) or 2**64 - 1 (open; any other value",
        f"is refused). The limit RAM is not cleared by reset: software writes every row at",
        "start-up (a row with FLAGS.valid = 0 rejects its symbol as unknown).",
        "",
        "## Per-symbol state (read-only)",
        "",
        f"Symbol index `n` occupies `0x{regmap.TABLE_BASE:04X} + n * 0x{regmap.TABLE_STRIDE:X}`"
        f" (up to {regmap.MAX_DEPTH:,} symbols); words 0..{regmap.STATE_BASE_WORD - 1} of a row are reserved"
        " (an access sets the error flag).",
        "",
        "The pipeline keeps each (symbol, side) entry's cumulative opened and released quantities",
        "modulo 2**36 and the position modulo 2**48: POS is the position's 48 bits; OPEN_BUY is the buy",
        "entry's used quantity (opened - released as 36-bit two's complement, sign-extended) less the",
        "position, OPEN_SELL the sell entry's plus it. In every consistent state (no fill or cancel",
        "releasing more than is open) these are the exact values (|used| < 2**32: hw/risk/checks.py).",
        "",
    ]
    lines += _table(["word", "offset", "name", "access", "description"],
                    ([str(w.word), f"`+0x{w.word * regmap.WORD:02X}`", w.name, w.access, w.doc]
                     for w in regmap.TABLE_WORDS))
    lines += [
        "",
        "## Per-session (account) registers",
        "",
        f"Session `s` occupies `0x{regmap.SESSION_BASE:06X} + s * 0x{regmap.SESSION_STRIDE:X}`. Each session has a",
        "credit limit of its own on its open + filled notional, checked besides the gross limit",
        "(either rejects with credit_limit); its fills and cancels carry its session (`FILL.session`).",
        "",
    ]
    lines += _table(["word", "offset", "name", "access", "description"],
                    ([str(w.word), f"`+0x{w.word * regmap.WORD:02X}`", w.name, w.access, w.doc]
                     for w in regmap.SESSION_WORDS))
    lines += [
        "",
        f"The limit words are the `SYMBOL_LIMITS` record ({SYMBOL_LIMITS.width} bits, word k = bits 32k..32k+31):",
        "",
    ]
    lines += _table(["field", "bits"],
                    ([name, f"{SYMBOL_LIMITS.offsets[name]}..{SYMBOL_LIMITS.offsets[name] + width - 1}"]
                     for name, width in SYMBOL_LIMITS.fields.items() if not name.startswith("_")))
    return "\n".join(lines) + "\n"


def main() -> int:
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(render())
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
