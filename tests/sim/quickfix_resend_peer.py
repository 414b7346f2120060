"""QuickFIX itself (quickfix-py) as the sim venue's counterparty for sequence recovery, in its own
process:

    python quickfix_resend_peer.py CFG LOGDIR PRICE

logs on (ResetOnLogon=N, a FileStore: the numbers outlive the engine), sends a buy of 50 at
PRICE, prints "acked" once the venue acknowledged it, logs out and prints "away"; on a line on
stdin starts a second engine on the same store, logs on again and prints one JSON line: the
ExecutionReports QuickFIX handed its application after that Logon (resent ones carry 43=Y).
"""
import json
import sys
import threading
import time

import quickfix as fix


def fields(text: str) -> dict:
    return dict(f.split("=", 1) for f in text.split("\x01") if f)


class App(fix.Application):
    def __init__(self):
        super().__init__()
        self.logged_on, self.got = threading.Event(), threading.Event()
        self.reports, self.sid = [], None

    def onCreate(self, sid):
        self.sid = sid

    def onLogon(self, sid):
        self.logged_on.set()

    def onLogout(self, sid):
        pass

    def toAdmin(self, msg, sid):
        pass

    def toApp(self, msg, sid):
        pass

    def fromAdmin(self, msg, sid):
        pass

    def fromApp(self, msg, sid):
        self.reports.append(fields(msg.toString()))      # (the message lives only during the call)
        self.got.set()


def engine(app, settings, log_dir):
    e = fix.SocketInitiator(app, fix.FileStoreFactory(settings), settings, fix.FileLogFactory(log_dir))
    e.start()
    return e


def main(cfg: str, log_dir: str, price: str) -> int:
    settings = fix.SessionSettings(cfg)
    app = App()
    first = engine(app, settings, log_dir)
    if not app.logged_on.wait(10):
        print(json.dumps({"error": "no logon"}), flush=True)
        return 1
    m = fix.Message()
    m.getHeader().setField(fix.MsgType("D"))
    for f in (fix.ClOrdID("Q1"), fix.Symbol("AAPL"), fix.Side("1"), fix.TransactTime(), fix.OrdType("2"),
              fix.Price(float(price)), fix.OrderQty(50)):
        m.setField(f)
    fix.Session.sendToTarget(m, app.sid)
    app.got.wait(5)
    print("acked" if app.reports and app.reports[0].get("150") == "0" else json.dumps(app.reports), flush=True)
    first.stop(True)
    print("away", flush=True)
    sys.stdin.readline()
    app2 = App()
    second = engine(app2, settings, log_dir)
    ok = app2.logged_on.wait(10)
    deadline = time.monotonic() + 10
    while ok and time.monotonic() < deadline and sum(r.get("150") == "F" for r in app2.reports) < 2:
        time.sleep(0.02)
    print(json.dumps({"logon": ok, "reports": app2.reports}), flush=True)
    second.stop(True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:4]))
