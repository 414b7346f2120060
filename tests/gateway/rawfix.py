"""A scripted FIX counterparty over a real socket: full control of every byte it sends."""
from __future__ import annotations

import asyncio

from wirespeed.clock import fix_timestamp
from wirespeed.gateway.fix.encoder import encode_message
from wirespeed.gateway.fix.parser import FixParser


class RawFix:
    def __init__(self, sender: str, target: str, begin: str = "FIX.4.4"):
        self.sender, self.target, self.begin = sender, target, begin
        self.seq = 1
        self.parser = FixParser(1 << 20)
        self.reader = self.writer = None

    async def connect(self, port: int) -> "RawFix":
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        return self

    def build(self, msg_type: str, fields=(), seq: int | None = None, header_extra=(), sending_time=None) -> bytes:
        if seq is None:
            seq, self.seq = self.seq, self.seq + 1
        return encode_message(self.begin, msg_type, self.sender, self.target, seq, fields,
                              sending_time or fix_timestamp(), header_extra)

    async def send(self, msg_type: str, fields=(), **kw) -> None:
        await self.send_raw(self.build(msg_type, fields, **kw))

    async def send_raw(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def logon(self, heartbeat: int = 30, reset: bool = True):
        fields = [(98, 0), (108, heartbeat)] + ([(141, "Y")] if reset else [])
        await self.send("A", fields)
        return await self.expect("A")

    async def recv(self, timeout: float = 2.0):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            msg = self.parser.poll()
            if msg is not None:
                return msg
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError("no message")
            data = await asyncio.wait_for(self.reader.read(65536), remaining)
            if not data:
                raise ConnectionError("closed by peer")
            self.parser.feed(data)

    async def expect(self, msg_type: str, timeout: float = 2.0):
        msg = await self.recv(timeout)
        assert msg.msg_type == msg_type, f"expected MsgType {msg_type}, got {msg}"
        return msg

    async def closed(self, timeout: float = 2.0) -> bool:
        """True once the peer closes (messages still buffered are drained first)."""
        try:
            while True:
                await self.recv(timeout)
        except ConnectionError:
            return True
        except TimeoutError:
            return False

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
