"""One interface to a running simulation: set and read ports by name, settle, step a clock.

Port names are the component's flattened paths: ``i.valid``, ``i.payload``, ``bus.addr``.
"""
from __future__ import annotations


class AmaranthAccess:
    """Inside an Amaranth ``add_testbench`` coroutine: reads see settled values."""

    def __init__(self, ctx, dut):
        self.ctx, self.dut = ctx, dut
        self._cache: dict[str, object] = {}

    def _sig(self, path: str):
        sig = self._cache.get(path)
        if sig is None:
            obj = self.dut
            for part in path.split("."):
                obj = getattr(obj, part)
            sig = self._cache[path] = obj.as_value() if hasattr(obj, "as_value") else obj
        return sig

    def set(self, path: str, value: int) -> None:
        self.ctx.set(self._sig(path), value)

    def get(self, path: str) -> int:
        return self.ctx.get(self._sig(path))

    async def settle(self) -> None:
        pass

    async def step(self) -> None:
        await self.ctx.tick()


class CocotbAccess:
    """Inside a cocotb test on the Verilated design (ports named ``i__payload`` ...).
    Inputs are written after the falling edge; ``settle`` waits for ReadOnly."""

    def __init__(self, dut):
        self.dut = dut
        self._cache: dict[str, object] = {}
        from cocotb.triggers import FallingEdge, ReadOnly
        self._falling, self._readonly = FallingEdge, ReadOnly

    def _h(self, path: str):
        h = self._cache.get(path)
        if h is None:
            h = self._cache[path] = getattr(self.dut, path.replace(".", "__"))
        return h

    def set(self, path: str, value: int) -> None:
        self._h(path).value = value

    def get(self, path: str) -> int:
        return int(self._h(path).value)

    async def settle(self) -> None:
        await self._readonly()

    async def step(self) -> None:
        await self._falling(self.dut.clk)
