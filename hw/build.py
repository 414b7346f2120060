"""``make hdl``: Verilog for every hardware top into build/hdl/, each linted with Verilator -Wall."""
from __future__ import annotations

import sys
from pathlib import Path

from .axi.risk import AxiRiskPipeline
from .encode.fix import FixEncoder
from .encode.ouch import OuchEncoder
from .eth.order_tx import OrderTx
from .eth.tx import EthTx
from .host.ring import HostRing
from .risk.pipeline import RiskPipeline
from .toolchain import BUILD_DIR, ToolchainError, lint, write_verilog


def tops():
    """(module name, component factory) for every top the project ships."""
    return [("risk_pipeline", lambda: RiskPipeline(depth=64, sessions=8, window=8)),
            ("ouch_encoder", lambda: OuchEncoder(depth=64)),
            ("fix_encoder", lambda: FixEncoder(depth=64)),
            ("host_ring", lambda: HostRing(ring_log2=4, depth=16, sessions=4, window=8)),
            ("axi_risk_pipeline", lambda: AxiRiskPipeline(depth=64, sessions=8, window=8, width=64)),
            ("eth_tx", lambda: EthTx(depth=32)),
            ("ouch_eth_tx", lambda: OrderTx("ouch", depth=64))]


def main(out: str | None = None, synth: bool = False) -> int:
    out_dir = Path(out) if out else BUILD_DIR / "hdl"
    failed = 0
    for name, make in tops():
        path = write_verilog(make(), name, out_dir)
        try:
            lint(path, name)
            print(f"{path}: lint clean (verilator --lint-only -Wall)")
        except ToolchainError as exc:
            failed += 1
            print(exc, file=sys.stderr)
            continue
        if synth:
            from .synth import report
            print(report(path, name), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(synth="--synth" in sys.argv))
