"""The TCP floor for ``make bench``: a bare uvloop echo server (Protocol writes back what it reads).

Usage: python echo_server.py [SPIN_MICROS]. With SPIN_MICROS the loop spin-waits that long after
each read, as the engine does with ``SpinMicros``: the floor to compare a spinning engine with.
"""
import asyncio
import socket
import sys

import uvloop

from wirespeed.gateway.transport.spin import Spinner


class Echo(asyncio.Protocol):
    spinner = None

    def connection_made(self, transport):
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)
        if self.spinner is not None:
            self.spinner.touch()


async def main(spin_us: float) -> None:
    Echo.spinner = Spinner(spin_us) if spin_us else None
    server = await asyncio.get_running_loop().create_server(Echo, "127.0.0.1", 0)
    print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    uvloop.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 0))
