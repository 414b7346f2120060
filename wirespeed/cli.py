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
    demo = importlib.import_module("wirespeed.sim.demo")
    return demo.main(demo.options(args))


def _venue(args) -> int:
    return importlib.import_module("wirespeed.sim.cli").venue_main(args.config, args.run_for)


def _relay(args) -> int:
    return importlib.import_module("wirespeed.sim.cli").relay_main(args.port, args.seed, args.run_for, args.sched,
                                                                       spin=args.spin, cpu=args.cpu)


def _hdl(args) -> int:
    return importlib.import_module("wirespeed.hw.build").main(args.out, synth=not args.no_synth)


def _fix_acceptor(args) -> int:
    return importlib.import_module("wirespeed.gateway.cli").acceptor_main(args.config, args.app)


def _fix_initiator(args) -> int:
    return importlib.import_module("wirespeed.gateway.cli").initiator_main(
        args.config, args.orders, args.symbol, args.price, args.timeout)


def _backtest(args) -> int:
    return importlib.import_module("wirespeed.sim.backtest.cli").backtest_main(args)


def _sweep(args) -> int:
    return importlib.import_module("wirespeed.sim.backtest.cli").sweep_main(args)


def _gateway(args) -> int:
    return importlib.import_module("wirespeed.gateway.service").main(args.config)


def _control(args) -> int:
    return importlib.import_module("wirespeed.control.service").main(args.config)


def _admin(args) -> int:
    import json
    admin = importlib.import_module("wirespeed.gateway.admin")
    body = {"reduce_only": args.reduce_only} if args.command_name == "kill" else None
    try:
        reply = admin.request(args.host, args.port, args.command_name, body, args.timeout)
    except OSError as exc:
        print(f"wirespeed admin: cannot reach {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    if args.command_name == "latency" and "table" in reply:
        print(reply["table"])
    else:
        print(json.dumps(reply, indent=2))
    return 1 if "error" in reply else 0


def _algo(args) -> int:
    if args.algo_command == "history":     # built from recorded days: sim/market's readers
        return importlib.import_module("wirespeed.sim.market.history").main(args)
    return importlib.import_module("wirespeed.control.live.algo_cli").main(args)


def _report(args) -> int:
    return importlib.import_module("wirespeed.gateway.report").main(args.input, args.admin_port, args.out, args.host)


def _algo_arguments(sub) -> None:
    """``wirespeed algo``'s arguments (control/live/algo_cli.py runs them)."""
    actions = sub.add_subparsers(dest="algo_command", required=True)

    def common(p):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, required=True, help="the gateway's client (FIX acceptor) port")
        p.add_argument("--sender", default="CLIENT1", help="this client's SenderCompID")
        p.add_argument("--target", default="WIRESPEED", help="the gateway's CompID")
        p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for each answer")

    def params(p):
        p.add_argument("--start", help="StartTime, UTCTimestamp on the desk's clock")
        p.add_argument("--end", help="EndTime, UTCTimestamp on the desk's clock")
        p.add_argument("--duration", help="DurationSecs: EndTime as seconds after the start (or now)")
        p.add_argument("--max-pct-volume", help="MaxPctVolume, a fraction (0.1) or percent (10)")
        p.add_argument("--urgency", help="passive | mid | cross")
        p.add_argument("--display-qty", help="DisplayQty (iceberg)")
        p.add_argument("--min-child", help="MinChild, shares")
        p.add_argument("--decision-secs", help="DecisionSecs, seconds between decisions")
        p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="any other strategy parameter (958=NAME, 960=VALUE); repeatable")

    hi = actions.add_parser("history", help="write the desk's [algo.history] files (volume, profile, sigma, "
                                            "half spread per symbol) from recorded days")
    hi.add_argument("--from", dest="sources", action="append", required=True, metavar="lobster:PATH",
                    help="a day's LOBSTER message file (its _orderbook_ file beside it gives the spread) or "
                         "csv:PATH; repeatable, the days averaged")
    hi.add_argument("--out", required=True, help="folder for SYMBOL.toml")
    hi.add_argument("--symbol", help="the symbol of a LOBSTER file (default: the ticker of its name)")
    hi.add_argument("--tick", type=float, default=0.01, help="the symbol's tick, dollars")
    hi.add_argument("--open-s", type=int, default=34_200, help="session open, seconds after midnight")
    hi.add_argument("--close-s", type=int, default=57_600, help="session close, seconds after midnight")
    hi.add_argument("--bin-s", type=int, default=1800, help="profile bin, seconds")
    s = actions.add_parser("submit", help="send a parent order; prints its New or its reject")
    s.add_argument("cl_ord_id")
    s.add_argument("--symbol", required=True)
    s.add_argument("--side", required=True, choices=("buy", "sell"))
    s.add_argument("--qty", type=int, required=True)
    s.add_argument("--strategy", required=True, help="twap | vwap | pov | is | iceberg | adaptive")
    s.add_argument("--limit", help="the parent's limit price (none: no limit)")
    common(s)
    params(s)
    st = actions.add_parser("status", help="filled / working / avg px / state of parents (none given: all of "
                                           "this client's)")
    st.add_argument("cl_ord_id", nargs="*")
    common(st)
    c = actions.add_parser("cancel", help="cancel a parent; waits until every child is out of the market")
    c.add_argument("cl_ord_id")
    c.add_argument("--no-wait", action="store_true", help="return at PendingCancel")
    common(c)
    r = actions.add_parser("replace", help="amend a running parent (quantity, limit, strategy parameters)")
    r.add_argument("cl_ord_id")
    r.add_argument("new_cl_ord_id")
    r.add_argument("--qty", type=int, help="the new total quantity")
    r.add_argument("--limit", help="the new limit price")
    common(r)
    params(r)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wirespeed", description="low-latency order gateway")
    p.add_argument("-v", "--verbose", action="store_true", help="log at INFO")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="the main job: a parent order over FIX worked live across three simulated "
                                    "venues in accelerated time; prints TCA, path events, latency")
    d.add_argument("--config", help="TOML config file (defaults built in)")
    d.add_argument("--algo", choices=("twap", "vwap", "pov", "is", "iceberg", "adaptive"), help="default vwap")
    d.add_argument("--qty", type=int, help="parent quantity, shares (default 50,000)")
    d.add_argument("--minutes", type=float, help="the parent's horizon in simulated minutes (default 60)")
    d.add_argument("--speed", type=float, help="simulated seconds per real second (default 150)")
    d.add_argument("--seed", type=int, help="seed of the market flow")
    d.add_argument("--hw", choices=("model", "amaranth", "verilator"), help="risk backend (default model)")
    d.add_argument("--out", help="folder for the plots (default demo-out)")
    d.add_argument("--no-plots", action="store_true")
    d.set_defaults(func=_demo)
    a = sub.add_parser("fix-acceptor", help="run the acceptor sessions of a QuickFIX-style .cfg")
    a.add_argument("--config", required=True, help=".cfg file ([DEFAULT] / [SESSION] sections)")
    a.add_argument("--app", choices=["echo", "ack"], default="echo",
                   help="echo: connectivity-test echo; ack: one filled ExecutionReport per order")
    a.set_defaults(func=_fix_acceptor)
    i = sub.add_parser("fix-initiator", help="log on every initiator session of a .cfg and probe it")
    i.add_argument("--config", required=True, help=".cfg file")
    i.add_argument("--orders", type=int, default=0, help="NewOrderSingles to send per session (round trips)")
    i.add_argument("--symbol", default="AAPL")
    i.add_argument("--price", default="100.00")
    i.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for each answer")
    i.set_defaults(func=_fix_initiator)
    g = sub.add_parser("gateway", help="run the order gateway as a service from one TOML config")
    g.add_argument("--config", required=True, help="service TOML (docs/gateway/service.md)")
    g.set_defaults(func=_gateway)
    cs = sub.add_parser("control", help="run the desk service (gateway + algo desk + venue managers) from one TOML "
                                        "config; `wirespeed algo` talks to it")
    cs.add_argument("--config", required=True, help="desk service TOML (docs/control/live.md, 'The desk service')")
    cs.set_defaults(func=_control)
    ad = sub.add_parser("admin", help="query or control a running gateway over its admin interface")
    ad.add_argument("command_name", choices=["status", "sessions", "orders", "limits", "latency", "kill", "resume"])
    ad.add_argument("--host", default="127.0.0.1")
    ad.add_argument("--port", type=int, required=True, help="the admin port the gateway logged")
    ad.add_argument("--reduce-only", action="store_true", help="kill: reduce-only instead of blocking all orders")
    ad.add_argument("--timeout", type=float, default=5.0)
    ad.set_defaults(func=_admin)
    v = sub.add_parser("venue", help="start the simulated venues of a TOML file; prints where each listens")
    v.add_argument("--config", required=True, help="TOML file with one [[venue]] table per venue")
    v.add_argument("--run-for", type=float, default=None, help="seconds to run, then stop (default: until Ctrl-C)")
    v.set_defaults(func=_venue)
    r = sub.add_parser("relay", help="network-path relays with a toxiproxy-compatible HTTP API on loopback")
    r.add_argument("--port", type=int, default=8474, help="API port (toxiproxy's default 8474; 0: any free one)")
    r.add_argument("--seed", type=int, default=0, help="seed of every jitter, loss and toxicity draw")
    r.add_argument("--run-for", type=float, default=None, help="seconds to run, then stop (default: until Ctrl-C)")
    r.add_argument("--sched", choices=("normal", "slice", "realtime"), default=None,
                   help="how the relay's thread is scheduled for precise delays (docs/sim/net.md; "
                        "default slice, with --spin realtime)")
    r.add_argument("--spin", action="store_true",
                   help="busy-poll near each deadline instead of sleeping: microsecond tails, costs a CPU")
    r.add_argument("--cpu", type=int, default=None, help="pin the relay's thread to this CPU")
    r.set_defaults(func=_relay)
    r = sub.add_parser("report", help="latency PNG (percentile spectrum per hop) from a gateway's latency dump")
    src = r.add_mutually_exclusive_group(required=True)
    src.add_argument("--input", help="latency-*.json the gateway service wrote (in its audit directory)")
    src.add_argument("--admin-port", type=int, help="fetch the histograms live from a running gateway")
    r.add_argument("--host", default="127.0.0.1")
    r.add_argument("--out", default="latency.png")
    r.set_defaults(func=_report)
    h = sub.add_parser("hdl", help="generate Verilog for every hardware top and lint it")
    h.add_argument("--out", default=None, help="output folder (default build/hdl)")
    h.add_argument("--no-synth", action="store_true", help="skip the yosys synthesis report")
    h.set_defaults(func=_hdl)
    b = sub.add_parser("backtest", help="one parent order through an algorithm on a simulated day, "
                                         "beside the naive baselines; TCA report and plots")
    b.add_argument("--algo", default="vwap", help="twap, vwap, pov, is, iceberg, adaptive, naive-immediate, naive-twap")
    b.add_argument("--side", choices=["buy", "sell"], default="buy")
    b.add_argument("--qty", type=int, help="shares (default: --pct-volume of the horizon's expected volume)")
    b.add_argument("--pct-volume", type=float, default=0.05)
    b.add_argument("--start", type=float, default=30.0, help="minutes after the open")
    b.add_argument("--minutes", type=float, default=60.0)
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--limit", help="parent limit price (decimal)")
    b.add_argument("--day", default="synthetic", help="synthetic (sim/market, three venues), stylised (small, fast), lobster:PATH or csv:PATH (replayed; lobster:sample)")
    b.add_argument("--param", action="append", help="algorithm setting key=value (repeatable)")
    b.add_argument("--no-baselines", action="store_true")
    b.add_argument("--out", default="build/backtest", help="folder for the plots and the tape")
    b.set_defaults(func=_backtest)
    w = sub.add_parser("sweep", help="many backtests (algorithms x seeds x parameters x days) on Dask")
    w.add_argument("--spec", help="sweep spec TOML ([sweep] algorithms, seeds, days, minutes, ...; [params.ALGO])")
    w.add_argument("--algorithms", default="twap,vwap,pov,is,iceberg,adaptive")
    w.add_argument("--seeds", type=int, default=4, help="seeds 1..N (without --spec)")
    w.add_argument("--scheduler", help="Dask scheduler address (default: a LocalCluster)")
    w.add_argument("--workers", type=int, default=2, help="LocalCluster workers")
    w.add_argument("--serial", action="store_true", help="run in this process, no Dask")
    w.add_argument("--out", default="build/sweep", help="folder for results.csv (and .parquet when pyarrow is there)")
    w.set_defaults(func=_sweep)
    al = sub.add_parser("algo", help="parent orders to a running gateway + control plane over FIX: "
                                     "submit | status | cancel | replace")
    _algo_arguments(al)
    al.set_defaults(func=_algo)
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
