"""QuickFIX itself (the quickfix-py binding) as a test counterparty, run in its own process: a
crash of the C++ engine cannot take the test run with it.

    python quickfix_peer.py initiator CFG   log on, send an order and an order without Side,
                                            print one JSON line: {"logon", "app", "rejects"}
    python quickfix_peer.py acceptor CFG    print "ready", serve until stdin closes
"""
import json
import sys
import threading

import quickfix as fix


def fields(text: str) -> dict:
    return dict(f.split("=", 1) for f in text.split("\x01") if f)


class App(fix.Application):
    def __init__(self):
        super().__init__()
        self.logged_on, self.got = threading.Event(), threading.Event()
        self.app, self.rejects, self.sid = [], [], None

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
        if msg.getHeader().getField(35) == "3":
            self.rejects.append(fields(msg.toString()))   # (the message lives only during the call)
            self.got.set()

    def fromApp(self, msg, sid):
        self.app.append(fields(msg.toString()))
        self.got.set()


def order(app: App, cl_ord_id: str, side: bool) -> None:
    m = fix.Message()
    m.getHeader().setField(fix.MsgType("D"))
    for f in (fix.ClOrdID(cl_ord_id), fix.Symbol("AAPL"), fix.TransactTime(), fix.OrdType("2"), fix.Price(1.5),
              fix.OrderQty(10)) + ((fix.Side("1"),) if side else ()):
        m.setField(f)
    app.got.clear()
    fix.Session.sendToTarget(m, app.sid)
    app.got.wait(5)


def main(role: str, cfg: str, log_dir: str) -> int:
    # Every object QuickFIX holds a pointer to stays referenced here until it has stopped.
    app = App()
    settings = fix.SessionSettings(cfg)
    store = fix.MemoryStoreFactory()
    logs = fix.FileLogFactory(log_dir)
    if role == "initiator":
        engine = fix.SocketInitiator(app, store, settings, logs)
        engine.start()
        result = {"logon": app.logged_on.wait(10), "app": [], "rejects": []}
        if result["logon"]:
            order(app, "Q1", side=True)
            order(app, "Q2", side=False)
            result["app"], result["rejects"] = app.app, app.rejects
        print(json.dumps(result), flush=True)
    else:
        engine = fix.SocketAcceptor(app, store, settings, logs)
        engine.start()
        print("ready", flush=True)
        sys.stdin.read()
    engine.stop(True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:4]))
