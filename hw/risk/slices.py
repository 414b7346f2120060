"""A state memory as bit slices, each as narrow as one block RAM needs to hold every entry, so
that no read goes through a block select (issue 14 item 6: the 16k-entry pipeline's critical path).

yosys builds a memory deeper than one block's shape from several blocks and a select after their
outputs: ``opened`` at 16,384 x 36 was 32 DP16KD of 512 x 36 and a 32-way mux, on the path from
the block's clock-to-out (4.26 ns, no output register) to the read's register (the routed
critical path at 16k entries: 89.47 MHz). As 36 memories of 16,384 x 1 it is 36 blocks in the x1
mode, each bit one block's output straight into its register. ``slice_width`` picks, for a
memory's depth, the widest DP16KD shape (``budget.DP16KD_SHAPES``) that holds every entry in one
block; a memory that fits the 36-bit shape is not sliced (the small tops' LUT-RAM and the
depth-64 pipeline are unchanged). The slices are one memory for the logic around them: the
same ports (one address, enable and data a port), the same read-first reads and writes, so the
design is the same function cycle for cycle at any depth. Only the ECP5 place-and-route flow
slices (``state_memory``); tests/hw/test_risk_slices.py simulates a sliced pipeline.
"""
from amaranth import Cat, Module, Signal
from amaranth.hdl import Elaboratable

from ..ecp5 import is_ecp5
from .budget import DP16KD_SHAPES


def slice_width(width: int, depth: int) -> int:
    """The bits a slice of a ``width`` x ``depth`` memory: the widest DP16KD data width whose
    depth holds ``depth`` entries, or ``width`` (no slicing) if that is all of it or if no
    shape holds them (deeper than 16,384: a select either way), or if the widest shape does
    (512 entries or fewer: the blocks side by side, no select)."""
    fits = [w for d, w in DP16KD_SHAPES if d >= depth]
    if not fits or max(fits) == max(w for _, w in DP16KD_SHAPES):
        return width        # blocks side by side (or a select whatever the slices): no slicing
    return min(width, max(fits))


class _Port:
    """A port of all the slices at once: the address and enable go to each slice's port, the data
    is their concatenation (read) or split over them (write)."""

    def __init__(self, width: int, depth: int, ports, read: bool):
        self.addr = Signal(range(depth), name="addr")
        self.data = Signal(width, name="data")
        self.en = Signal(init=1 if read else 0, name="en")
        self.ports, self.read = ports, read


class SlicedMemory(Elaboratable):
    """``width`` x ``depth`` as slices of ``slice_width`` bits, each a ``memory(shape=..., depth=...,
    init=[], attrs=attrs)``; ``read_port()`` (synchronous, read-first) and ``write_port()`` as
    ``amaranth.lib.memory.Memory``'s, for the ports the pipeline uses (address, enable, data)."""

    def __init__(self, memory, width: int, depth: int, slice_bits: int, attrs=None):
        if not 1 <= slice_bits < width:
            self._MustUse__silence = True   # never elaborated: no "created but never used" warning
            raise ValueError(f"slice_bits: {slice_bits!r} must be in [1, {width}) for a {width}-bit memory")
        self.shape, self.depth, self.attrs = width, depth, dict(attrs or {})
        self.slice_bits = slice_bits
        self.slices = [memory(shape=min(slice_bits, width - at), depth=depth, init=[], attrs=attrs)
                       for at in range(0, width, slice_bits)]
        self.read_ports, self.write_ports = [], []

    def read_port(self):
        port = _Port(self.shape, self.depth, [s.read_port() for s in self.slices], read=True)
        self.read_ports.append(port)
        return port

    def write_port(self):
        port = _Port(self.shape, self.depth, [s.write_port() for s in self.slices], read=False)
        self.write_ports.append(port)
        return port

    def elaborate(self, platform):
        m = Module()
        for k, s in enumerate(self.slices):
            m.submodules[f"bits{k * self.slice_bits}"] = s
        for port in (*self.read_ports, *self.write_ports):
            m.d.comb += [p.addr.eq(port.addr) for p in port.ports] + [p.en.eq(port.en) for p in port.ports]
            data = Cat(*(p.data for p in port.ports))
            m.d.comb += port.data.eq(data) if port.read else data.eq(port.data)
        return m


#: slice under every platform, not only the ECP5 flow's (tests: the sliced design simulated)
EVERY_PLATFORM = False


def state_memory(memory, width: int, depth: int, platform, attrs=None):
    """A ``width`` x ``depth`` state memory: under the ECP5 flow's platform (hw/ecp5.py), a
    ``SlicedMemory`` of ``slice_width`` bits a slice unless one block shape holds it whole; else
    ``memory(...)`` itself. Only the ECP5 flow slices: the Verilated harness and the simulators
    keep one memory each (96 memories at 16k entries, each with its 16,384 initial words, would
    be what Verilator compiles and steps). ``memory`` is the caller's ``Memory`` class (the
    formal flow's probes replace the pipeline's: hw/verify/formal.py)."""
    bits = slice_width(width, depth) if EVERY_PLATFORM or is_ecp5(platform) else width
    if bits >= width:
        return memory(shape=width, depth=depth, init=[], attrs=attrs)
    return SlicedMemory(memory, width, depth, bits, attrs)
