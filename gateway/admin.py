"""The admin interface: JSON over HTTP on loopback, for people and for ``wirespeed admin``.

GET  /status     counts, kill switch, venue link states, audit records
GET  /sessions   every client and venue session: logged on or not, messages in/out
GET  /orders     working orders (client, ClOrdID, OrderID, venue, status, qty, cum, leaves)
GET  /limits     the risk table rows and the backend
GET  /latency    per-hop percentiles (ns) and the same table as text
POST /kill       body ``{"reduce_only": false}``: the kill switch; answers with its timing
POST /resume     lift the kill switch

Small on purpose: one request per connection, a request line and headers of at most
8 KiB, a body of at most 1 KiB, 2 s to send it, at most 16 connections at once. It
binds loopback unless told otherwise; it has no authentication, so it must not face
a network anyone else reaches.
"""
from __future__ import annotations

import asyncio
import json
import logging

log = logging.getLogger("wirespeed.admin")

MAX_HEAD, MAX_BODY, MAX_CONNECTIONS, READ_TIMEOUT = 8192, 1024, 16, 2.0


def snapshot(gateway, what: str) -> dict:
    """The admin view ``what`` of a running Gateway (also used by the metrics and tests)."""
    orders = gateway.orders
    if what == "status":
        return {"counts": dict(orders.counts), "rejects_by_reason": dict(orders.rejects_by_reason),
                "killed": orders.killed, "kill": dict(orders.kill_stats), "risk_backend": orders.risk.name,
                "working": len(orders.working()), "venues": {n: v.state for n, v in orders.venues.items()},
                "audit_records": orders.audit.records, "port": gateway.port}
    if what == "sessions":
        clients = [{"comp_id": c, "logged_on": s.active, "messages_in": s.messages_in,
                    "messages_out": s.messages_out} for c, s in gateway.acceptor.sessions.items()]
        venues = [{"name": n, "protocol": "ouch" if v.ouch else "fix",
                   "comp_id": v.session.config.target_comp_id if not v.ouch else "", "logged_on": v.session.active,
                   "state": v.state, "messages_in": v.session.messages_in, "messages_out": v.session.messages_out}
                  for n, v in orders.venues.items()]
        return {"clients": clients, "venues": venues}
    if what == "orders":
        rows = []
        for s in orders.working():
            sym = orders.symbols.by_index(s.order.symbol)
            rows.append({"client": s.client_id, "cl_ord_id": s.order.cl_ord_id, "order_id": s.order.order_id,
                         "venue": s.venue, "status": s.status.name, "symbol": sym.name,
                         "side": s.order.side.name if hasattr(s.order.side, "name") else s.order.side,
                         "qty": s.qty, "cum_qty": s.cum_qty, "leaves": s.leaves,
                         "price": sym.tick.format(s.order.price)})
        return {"orders": rows}
    if what == "limits":
        rows = {}
        for sym in orders.symbols:
            e = orders.risk.row(sym.index)
            if e is not None:
                rows[sym.name] = {"max_qty": e.max_qty, "price_lo": sym.tick.format(e.price_lo),
                                  "price_hi": sym.tick.format(e.price_hi), "restricted": e.restricted,
                                  "max_notional": e.max_notional, "long_limit": e.long_limit,
                                  "short_limit": e.short_limit}
        return {"backend": orders.risk.name, "register_writes": orders.risk.writes, "symbols": rows}
    if what == "latency":
        from .report import dump
        lat = orders.drain_latency()
        return {"hops": {h: lat.percentiles(h) for h in lat.hops if lat.count(h)}, "table": lat.table("us"),
                "encoded": dump(lat)["hops"]}
    raise KeyError(what)


class AdminServer:
    def __init__(self, gateway, host: str = "127.0.0.1", port: int = 0):
        self.gateway, self.host, self.port = gateway, host, port
        self._server: asyncio.AbstractServer | None = None
        self._open = 0

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=MAX_HEAD)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("admin interface on http://%s:%d", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._open += 1
        try:
            if self._open > MAX_CONNECTIONS:
                await self._reply(writer, 503, {"error": "too many admin connections"})
                return
            try:
                status, body = await asyncio.wait_for(self._handle(reader), READ_TIMEOUT)
            except asyncio.TimeoutError:
                status, body = 408, {"error": f"request not complete within {READ_TIMEOUT:g}s"}
            except (asyncio.LimitOverrunError, asyncio.IncompleteReadError, ValueError) as exc:
                status, body = 400, {"error": f"bad request: {exc}"}
            await self._reply(writer, status, body)
        except ConnectionError:
            pass
        finally:
            self._open -= 1
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader) -> tuple[int, dict]:
        head = await reader.readuntil(b"\r\n\r\n")     # the stream's limit bounds it to MAX_HEAD
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split()
        if len(parts) != 3:
            return 400, {"error": f"bad request line {lines[0]!r}"}
        method, path, _ = parts
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                if not value.strip().isdigit():
                    return 400, {"error": f"bad Content-Length {value.strip()!r}"}
                length = int(value)
        if length > MAX_BODY:
            return 413, {"error": f"body over {MAX_BODY} bytes"}
        body = await reader.readexactly(length) if length else b""
        path = path.split("?", 1)[0].rstrip("/") or "/"
        if method == "GET" and path.lstrip("/") in ("status", "sessions", "orders", "limits", "latency"):
            return 200, snapshot(self.gateway, path.lstrip("/"))
        if method == "POST" and path == "/kill":
            try:
                args = json.loads(body or b"{}")
            except json.JSONDecodeError as exc:
                return 400, {"error": f"body is not JSON: {exc}"}
            reduce_only = args.get("reduce_only", False) if isinstance(args, dict) else None
            if not isinstance(reduce_only, bool):
                return 400, {"error": f"reduce_only: must be true or false, not {reduce_only!r}"}
            return 200, self.gateway.orders.kill(reduce_only=reduce_only)
        if method == "POST" and path == "/resume":
            self.gateway.orders.resume()
            return 200, {"killed": False}
        if path in ("/status", "/sessions", "/orders", "/limits", "/latency", "/kill", "/resume"):
            return 405, {"error": f"{method} not allowed on {path}"}
        return 404, {"error": f"no admin endpoint {path!r} (status, sessions, orders, limits, latency, kill, resume)"}

    async def _reply(self, writer: asyncio.StreamWriter, status: int, body: dict) -> None:
        data = json.dumps(body, default=str).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 408: "Timeout",
                  413: "Too Large", 503: "Busy"}.get(status, "")
        writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}"
                     f"\r\nConnection: close\r\n\r\n".encode() + data)
        await writer.drain()


def request(host: str, port: int, command: str, body: dict | None = None, timeout: float = 5.0) -> dict:
    """One admin call from another process (``wirespeed admin``)."""
    import urllib.error
    import urllib.request
    method = "POST" if command in ("kill", "resume") else "GET"
    data = json.dumps(body or {}).encode() if method == "POST" else None
    req = urllib.request.Request(f"http://{host}:{port}/{command}", data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return {"error": json.loads(exc.read() or b"{}").get("error", str(exc)), "status": exc.code}
