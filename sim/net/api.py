"""The relay's HTTP control API: toxiproxy's endpoints and JSON, so its clients work unchanged.

==========================================  ======  =====================================
path                                        method  does
==========================================  ======  =====================================
/proxies                                    GET     every proxy, by name
/proxies                                    POST    create {name, listen, upstream, enabled}
/populate                                   POST    create or replace a list of proxies
/proxies/{proxy}                            GET     one proxy
/proxies/{proxy}                            POST    update enabled / upstream
/proxies/{proxy}                            DELETE  remove it (drops its connections)
/proxies/{proxy}/toxics                     GET     its toxics
/proxies/{proxy}/toxics                     POST    add {name, type, stream, toxicity, attributes}
/proxies/{proxy}/toxics/{toxic}             GET     one toxic
/proxies/{proxy}/toxics/{toxic}             POST    update toxicity / attributes
/proxies/{proxy}/toxics/{toxic}             DELETE  remove it
/proxies/{proxy}/stats                      GET     wirespeed: injected delay and its error (ns)
/reset                                      POST    enable all proxies, remove all toxics
/version                                    GET     the toxiproxy API version it speaks
==========================================  ======  =====================================

Errors are toxiproxy's ``{"error": text, "status": code}``: 400 for a bad body, toxic
name or value (the text names the field), 404 for an unknown proxy or toxic, 409 for a
name that exists. The HTTP reader is bounded (request line and headers 16 KiB, body
64 KiB, 64 connections) so a client cannot grow the relay's memory.
"""
from __future__ import annotations

import asyncio
import json
import logging

from .proxy import ProxyError, Relay, parse_address
from .toxics import ToxicError, ToxicSpec

log = logging.getLogger("wirespeed.net.api")
VERSION = "2.9.0"
MAX_HEAD, MAX_BODY, MAX_CLIENTS = 16 * 1024, 64 * 1024, 64
_REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 404: "Not Found",
            405: "Method Not Allowed", 409: "Conflict", 413: "Payload Too Large", 500: "Internal Server Error"}


class HttpError(Exception):
    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status, self.text = status, text


def _error_of(exc: Exception) -> HttpError:
    if isinstance(exc, HttpError):
        return exc
    if isinstance(exc, ProxyError):
        return HttpError(409 if exc.exists else 404 if exc.missing else 400, str(exc))
    if isinstance(exc, ToxicError):
        return HttpError(409 if "already exists" in str(exc) else 400, str(exc))
    raise exc


class ControlApi:
    """Serves a ``Relay`` over HTTP/1.1 on loopback (keep-alive, Content-Length bodies)."""

    def __init__(self, relay: Relay, host: str = "127.0.0.1", port: int = 0):
        self.relay, self.host, self.port = relay, host, port
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.Task] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=MAX_HEAD)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._clients):
            task.cancel()
        self._server = None

    # -- HTTP ------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if len(self._clients) >= MAX_CLIENTS:
            writer.close()
            return
        self._clients.add(task)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                except asyncio.LimitOverrunError:
                    await self._respond(writer, 413, {"error": "request head over 16 KiB", "status": 413}, False)
                    return
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                keep = headers.get("connection", "").lower() != "close"
                if len(parts) != 3:
                    await self._respond(writer, 400, {"error": "malformed request line", "status": 400}, False)
                    return
                length = headers.get("content-length", "0")
                if not length.isdigit() or int(length) > MAX_BODY:
                    await self._respond(writer, 413, {"error": "body over 64 KiB or bad Content-Length",
                                                      "status": 413}, False)
                    return
                body = await reader.readexactly(int(length)) if int(length) else b""
                status, payload = await self.handle(parts[0], parts[1].split("?", 1)[0], body)
                await self._respond(writer, status, payload, keep)
                if not keep:
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._clients.discard(task)
            writer.close()

    async def _respond(self, writer: asyncio.StreamWriter, status: int, payload, keep: bool) -> None:
        if status == 204:
            body, ctype = b"", "text/plain"
        elif isinstance(payload, str):
            body, ctype = payload.encode(), "text/plain"
        else:
            body, ctype = json.dumps(payload).encode(), "application/json"
        writer.write(f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\nContent-Type: {ctype}\r\n"
                     f"Content-Length: {len(body)}\r\nConnection: {'keep-alive' if keep else 'close'}\r\n\r\n"
                     .encode() + body)
        await writer.drain()

    # -- routes ----------------------------------------------------------------
    async def handle(self, method: str, path: str, body: bytes) -> tuple[int, object]:
        """One request -> (status, JSON-able payload or text). Never raises for bad input."""
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError as exc:
            return 400, {"error": f"body: not JSON: {exc}", "status": 400}
        parts = [p for p in path.split("/") if p]
        try:
            return await self._route(method, parts, data)
        except (HttpError, ProxyError, ToxicError) as exc:
            err = _error_of(exc)
            return err.status, {"error": err.text, "status": err.status}

    async def _route(self, method: str, parts: list[str], data) -> tuple[int, object]:
        relay = self.relay
        if parts == ["version"] and method == "GET":
            return 200, VERSION
        if parts == ["reset"] and method == "POST":
            await relay.reset()
            return 204, None
        if parts == ["populate"] and method == "POST":
            return 201, {"proxies": [p.to_json() for p in await self._populate(data)]}
        if not parts or parts[0] != "proxies":
            raise HttpError(404, f"no such endpoint /{'/'.join(parts)}")
        if len(parts) == 1:
            if method == "GET":
                return 200, {name: p.to_json() for name, p in relay.proxies.items()}
            if method == "POST":
                return 201, (await self._create(data)).to_json()
        elif len(parts) == 2:
            proxy = relay.get(parts[1])
            if method == "GET":
                return 200, proxy.to_json()
            if method == "POST":
                return 200, (await self._update(proxy, data)).to_json()
            if method == "DELETE":
                await relay.delete(proxy.name)
                return 204, None
        elif len(parts) == 3 and parts[2] == "stats" and method == "GET":
            return 200, relay.get(parts[1]).stats()
        elif len(parts) == 3 and parts[2] == "toxics":
            proxy = relay.get(parts[1])
            if method == "GET":
                return 200, [t.to_json() for t in proxy.toxics.values()]
            if method == "POST":
                return 200, proxy.add_toxic(ToxicSpec.from_json(data)).to_json()
        elif len(parts) == 4 and parts[2] == "toxics":
            proxy = relay.get(parts[1])
            if method == "GET":
                return 200, proxy.toxic(parts[3]).to_json()
            if method == "POST":
                return 200, proxy.update_toxic(parts[3], data).to_json()
            if method == "DELETE":
                proxy.remove_toxic(parts[3])
                return 204, None
        else:
            raise HttpError(404, f"no such endpoint /{'/'.join(parts)}")
        raise HttpError(405, f"{method} not allowed on /{'/'.join(parts)}")

    @staticmethod
    def _fields(data, allowed: set[str]) -> dict:
        if not isinstance(data, dict):
            raise HttpError(400, f"body: must be a JSON object, not {data!r}")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise HttpError(400, f"{unknown[0]}: unknown proxy field (known: {', '.join(sorted(allowed))})")
        return data

    async def _create(self, data):
        data = self._fields(data, {"name", "listen", "upstream", "enabled"})
        for key in ("name", "upstream"):
            if not data.get(key):
                raise HttpError(400, f"{key}: missing")
        enabled = data.get("enabled", True)
        if not isinstance(enabled, bool):
            raise HttpError(400, f"enabled: must be true or false, not {enabled!r}")
        return await self.relay.create(data["name"], data["upstream"], data.get("listen") or "127.0.0.1:0",
                                       enabled=enabled)

    async def _update(self, proxy, data):
        data = self._fields(data, {"name", "listen", "upstream", "enabled"})
        if "upstream" in data:
            proxy.upstream_addr = parse_address("upstream", data["upstream"], loopback=False)
            proxy.upstream = data["upstream"]
        if "enabled" in data:
            if not isinstance(data["enabled"], bool):
                raise HttpError(400, f"enabled: must be true or false, not {data['enabled']!r}")
            await (proxy.enable() if data["enabled"] else proxy.disable())
        return proxy

    async def _populate(self, data):
        if not isinstance(data, list):
            raise HttpError(400, "body: must be a JSON array of proxies")
        out = []
        for i, item in enumerate(data):
            item = self._fields(item, {"name", "listen", "upstream", "enabled"})
            old = self.relay.proxies.get(item.get("name"))
            if old is not None:
                await self.relay.delete(old.name)
            try:
                out.append(await self._create(item))
            except (HttpError, ProxyError) as exc:
                raise HttpError(400, f"[{i}] {exc}") from None
        return out
