"""``loadfix``: the sustained-load bench's FIX load generator and ack venue in C (loadfix.c),
built with gcc on first use into a cache directory keyed by a hash of the source and the flags
(``$WIRESPEED_BUILD/loadfix/``, ``build/`` by default, as the Verilator harness), reused after.

The bench needs them lean: in Python the generator (~4 us an order) and the two ack venues
(``fix-acceptor --app ack``, ~30 us an order each) took most of the 2 cores the gateway was
being measured on. In C each is a few hundred ns of CPU an order."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "loadfix.c"
FLAGS = ["-O2", "-Wall", "-Wno-format-truncation"]
BUILD_DIR = Path(os.environ.get("WIRESPEED_BUILD", Path(__file__).resolve().parents[2] / "build"))


class BuildError(RuntimeError):
    pass


def binary() -> Path:
    """The loadfix executable, built if this source and these flags have not been built before."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise BuildError("the C load generator needs gcc (or cc) on PATH; `--generator python` runs without it")
    key = hashlib.sha256("\0".join([SOURCE.read_text(), " ".join(FLAGS), gcc]).encode()).hexdigest()[:16]
    out = BUILD_DIR / "loadfix" / key / "loadfix"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"loadfix.tmp{os.getpid()}")
    proc = subprocess.run([gcc, *FLAGS, "-o", str(tmp), str(SOURCE)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"building {SOURCE.name} failed ({gcc} {' '.join(FLAGS)}):\n{proc.stderr[-3000:]}")
    os.replace(tmp, out)          # atomic: a concurrent build of the same key loses cleanly
    return out


def venue_cmd(name: str) -> list[str]:
    """An ack venue named ``name`` (its SenderCompID) on a free loopback port, printed at start
    as ``listening NAME 127.0.0.1:PORT``."""
    return [str(binary()), "venue", name]


def client_cmd(port: int, rate: float, seconds: float, tick_us: int, drain_s: float, max_drain_s: float,
               venues: list[str], rtt_file: str, names: list[str]) -> list[str]:
    """Sessions ``names`` to the gateway on ``port``: ``rate`` orders a second each for ``seconds``,
    then the answers waited for while they come (``drain_s`` without one ends it, ``max_drain_s``
    at most). Prints one JSON line; the round trips (uint64 ns) go to ``rtt_file``."""
    return [str(binary()), "client", str(port), f"{rate:g}", f"{seconds:g}", str(tick_us), f"{drain_s:g}",
            f"{max_drain_s:g}", ",".join(venues), rtt_file, *names]
