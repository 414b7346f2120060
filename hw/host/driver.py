"""The host side of the order ring: descriptors into memory, doorbell, completions out."""
from __future__ import annotations

from wirespeed.layout import COMPLETION, DESCRIPTOR


class HostRingDriver:
    """Owns a block of host memory (``self.memory``) holding the two rings."""

    def __init__(self, ring_log2: int = 4, ring_base: int = 0x1000, cpl_base: int = 0x8000, size: int = 1 << 16):
        self.entries = 1 << ring_log2
        self.ring_base, self.cpl_base = ring_base, cpl_base
        if max(ring_base, cpl_base) + 32 * self.entries > size:
            raise ValueError("rings do not fit in host memory")
        self.memory = bytearray(size)
        self.producer = 0       # next descriptor slot (free-running)
        self.completed = 0      # next completion to read (free-running)

    # memory as the card sees it
    def read64(self, addr: int) -> int:
        return int.from_bytes(self.memory[addr:addr + 8], "little")

    def write64(self, addr: int, value: int) -> None:
        self.memory[addr:addr + 8] = value.to_bytes(8, "little")

    def free(self) -> int:
        return self.entries - (self.producer - self.completed)

    def post(self, order_fields: dict) -> int:
        """Write one descriptor; returns the producer index to write to the doorbell."""
        if self.free() <= 0:
            raise BufferError("order ring full: wait for completions")
        addr = self.ring_base + (self.producer % self.entries) * 32
        self.memory[addr:addr + 32] = DESCRIPTOR.pack({**order_fields, "_pad": 0}).to_bytes(32, "little")
        self.producer += 1
        return self.producer

    def poll(self) -> list[dict]:
        """Completions written since the last poll, in order (by phase bit)."""
        out = []
        while True:
            addr = self.cpl_base + (self.completed % self.entries) * 32
            record = COMPLETION.unpack(int.from_bytes(self.memory[addr:addr + 32], "little"))
            expected_phase = 1 - (self.completed // self.entries) % 2
            if record["phase"] != expected_phase:
                return out
            out.append(record)
            self.completed += 1
