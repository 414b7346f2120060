"""``wirespeed report``: a latency PNG, the percentile spectrum of every hop.

Input: a latency dump — ``{"hops": {name: base64 HdrHistogram}}``, HdrHistogram's own
compressed encoding (any HdrHistogram implementation reads it) — written by the gateway
service at exit and on SIGUSR1 (``latency-YYYYMMDD-HHMMSS.json`` in the audit directory),
or fetched live from the admin interface (``--admin-port``). Output: one line per hop,
latency against percentile on the usual 1/(1-p) axis, so p50, p99, p99.9 and the tail are
equally readable.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from hdrh.histogram import HdrHistogram

from wirespeed.latency import LatencyRecorder

SPECTRUM = (0.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 99.999)


def dump(latency: LatencyRecorder) -> dict:
    return {"hops": {hop: latency.histogram(hop).encode().decode("ascii")
                     for hop in latency.hops if latency.count(hop)}}


def write_dump(latency: LatencyRecorder, directory: str | Path) -> Path:
    path = Path(directory) / time.strftime("latency-%Y%m%d-%H%M%S.json", time.gmtime())
    path.write_text(json.dumps(dump(latency)))
    return path


def load_dump(data: dict) -> dict[str, HdrHistogram]:
    hops = data.get("hops") if isinstance(data, dict) else None
    if not isinstance(hops, dict) or not hops:
        raise ValueError("latency dump: no 'hops' table of encoded histograms")
    out = {}
    for name, encoded in hops.items():
        try:
            out[name] = HdrHistogram.decode(encoded.encode("ascii") if isinstance(encoded, str) else encoded)
        except Exception as exc:   # hdrh raises several kinds for a broken encoding
            raise ValueError(f"latency dump: hop {name!r} is not an encoded HdrHistogram ({exc})") from None
    return out


def plot(hists: dict[str, HdrHistogram], out: str | Path, title: str = "wirespeed gateway latency") -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(9, 5.5))
    xs = [1 / (1 - p / 100) for p in SPECTRUM]
    for name, h in hists.items():
        ax.plot(xs, [h.get_value_at_percentile(p) / 1e3 for p in SPECTRUM], marker="o", label=f"{name} "
                f"(n={h.get_total_count()})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(xs, [f"p{p:g}" for p in SPECTRUM], rotation=45)
    ax.set_ylabel("latency (us)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return Path(out)


def main(input_path: str | None, admin_port: int | None, out: str, host: str = "127.0.0.1") -> int:
    import sys
    if admin_port is not None:
        from .admin import request
        data = request(host, admin_port, "latency")
        data = {"hops": data.get("encoded", {})}
    else:
        try:
            data = json.loads(Path(input_path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            print(f"wirespeed report: {input_path}: {exc}", file=sys.stderr)
            return 2
    try:
        hists = load_dump(data)
    except ValueError as exc:
        print(f"wirespeed report: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {plot(hists, out)} ({len(hists)} hops)")
    return 0
