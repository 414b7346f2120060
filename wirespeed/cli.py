"""The ``wirespeed`` command.

Subcommands name their implementation by module path and are imported only when
run: the core package stays free of imports from the layers above it (the
import direction in DESIGN.md), while one entry point serves them all.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

from .config import ConfigError


def _demo(args) -> int:
    return importlib.import_module("wirespeed.sim.demo").main(args.config, args.orders)


def _hdl(args) -> int:
    return importlib.import_module("wirespeed.hw.build").main(args.out)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wirespeed", description="low-latency order gateway")
    p.add_argument("-v", "--verbose", action="store_true", help="log at INFO")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="venue + gateway + client on loopback; prints fills, rejects, latency")
    d.add_argument("--config", help="TOML config file (defaults built in)")
    d.add_argument("--orders", type=int, help="number of orders (overrides demo.orders)")
    d.set_defaults(func=_demo)
    h = sub.add_parser("hdl", help="generate Verilog for every hardware top and lint it")
    h.add_argument("--out", default=None, help="output folder (default build/hdl)")
    h.set_defaults(func=_hdl)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"wirespeed: config error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
