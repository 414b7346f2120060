"""Which Python runs per order in a running gateway: a bounded call counter (Python 3.11 has no
perf frames, so ``perf`` cannot name the interpreter's functions).

Put this directory on PYTHONPATH and name an output with WS_PROF_OUT; every Python process started
so (the load bench's gateway among them) then counts, between two SIGUSR2 it is sent, every Python
frame entered (file, first line, name) and every C function called from Python (the caller's name,
the function), and writes the 150 commonest to ``$WS_PROF_OUT.<pid>`` at the second signal:

    PYTHONPATH=gateway/bench/pycalls WS_PROF_OUT=/tmp/calls \\
        python -m wirespeed.gateway.bench.load --sessions 20 --rate 1000 --seconds 20 --backend native &
    kill -USR2 <the gateway's pid>; sleep 3; kill -USR2 <the gateway's pid>

Divided by the orders of the window it gives the frames an order (docs/gateway/order_path.md,
"Measured"). Without WS_PROF_OUT it does nothing. The counter slows the process it counts (~1.5x),
so its window's rates are not the bench's."""
import collections
import os
import signal
import sys
import time

if os.environ.get("WS_PROF_OUT"):
    _counts: collections.Counter = collections.Counter()
    _state = {"on": False, "t": 0.0}

    def _prof(frame, event, arg):
        if event == "call":
            c = frame.f_code
            _counts[(c.co_filename.rsplit("/", 2)[-1], c.co_firstlineno, c.co_name)] += 1
        elif event == "c_call":
            _counts[("C", frame.f_code.co_name, getattr(arg, "__qualname__", repr(arg)))] += 1

    def _toggle(sig, frm):
        if not _state["on"]:
            _state["on"], _state["t"] = True, time.monotonic()
            sys.setprofile(_prof)
            return
        sys.setprofile(None)
        _state["on"] = False
        with open(os.environ["WS_PROF_OUT"] + f".{os.getpid()}", "w") as f:
            f.write(f"window {time.monotonic() - _state['t']:.3f} s\n")
            for k, v in _counts.most_common(150):
                f.write(f"{v}\t{k}\n")
        _counts.clear()

    signal.signal(signal.SIGUSR2, _toggle)
