"""``wirespeed algo submit|status|cancel|replace``: ``AlgoClient`` behind a command line.

Each run logs on as the client session ``--sender`` to the gateway at ``--host:--port``, does one
thing, prints one line per parent and exits: 0 when every request was taken, 1 when one was
refused (the line says why), 2 when the gateway could not be reached or did not answer in time.
"""
from __future__ import annotations

import sys

from .algo_client import AlgoClient, run

# flag -> the strategy parameter (958) it sets (the flags are defined in wirespeed/cli.py, which
# imports nothing of control/ until a command runs)
PARAM_FLAGS = {"start": "StartTime", "end": "EndTime", "duration": "DurationSecs", "max_pct_volume": "MaxPctVolume",
               "urgency": "Urgency", "display_qty": "DisplayQty", "min_child": "MinChild",
               "decision_secs": "DecisionSecs"}


def strategy_params(args) -> dict[str, str]:
    out = {name: str(getattr(args, flag)) for flag, name in PARAM_FLAGS.items() if getattr(args, flag, None)}
    for item in getattr(args, "param", []):
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--param {item!r}: expected NAME=VALUE")
        out[name] = value
    return out


def main(args) -> int:
    try:
        params = strategy_params(args)
    except ValueError as exc:
        print(f"wirespeed algo: {exc}", file=sys.stderr)
        return 2
    cmd = args.algo_command

    async def act(c: AlgoClient):
        if cmd == "submit":
            return [await c.submit(args.cl_ord_id, args.symbol, args.side, args.qty, args.strategy, params,
                                   args.limit)]
        if cmd == "status":
            if not args.cl_ord_id:
                found = await c.status_all()
                if not found:
                    print(f"no parent orders of {args.sender}")
                return found
            return [await c.status(cl) for cl in args.cl_ord_id]
        if cmd == "cancel":
            return [await c.cancel(args.cl_ord_id, wait_done=not args.no_wait)]
        return [await c.replace(args.cl_ord_id, args.new_cl_ord_id, args.qty, args.limit, params)]

    try:
        results = run(act, args.host, args.port, args.sender, args.target, args.timeout)
    except (ConnectionError, OSError, TimeoutError) as exc:
        print(f"wirespeed algo {cmd}: {exc or type(exc).__name__}", file=sys.stderr)
        return 2
    for r in results:
        print(r.line())
    return 0 if all(r.ok for r in results) else 1
