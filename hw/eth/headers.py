"""The Ethernet II + IPv4 + TCP headers the transmit path writes, defined once: the connection
the host hands over (``TcpConnection``), the register map it is written through, and the
golden model of a whole packet (``packet``), which hw/eth/tx.py implements bit for bit.

Layout on the wire (54 header bytes, then the payload, then zero padding to the 60-byte
Ethernet minimum; the MAC appends the FCS):

    0   destination MAC (6), source MAC (6), EtherType 0x0800
    14  IPv4: 0x45, DSCP/ECN 0, total length, identification, 0x4000 (DF), TTL, protocol 6,
        header checksum, source IP, destination IP
    34  TCP: source port, destination port, sequence, acknowledgement, data offset 5 (0x50),
        flags PSH|ACK (0x18), window, checksum (over the pseudo-header), urgent pointer 0

The sequence number advances by the payload length after each packet; the identification by
one. The host keeps retransmission: it reads back the sequence number and reloads it.
"""
from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

HEADER_BYTES = 14 + 20 + 20
MIN_FRAME = 60              # Ethernet minimum without the FCS
ETHERTYPE_IPV4 = 0x0800
IP_FLAGS = 0x4000           # don't fragment
TCP_FLAGS = 0x18            # PSH | ACK
PROTO_TCP = 6

#: 32-bit registers of the connection, by word address (hw/eth/tx.py ``regs`` port)
REGS = {"dst_mac_hi": 0, "dst_mac_lo": 1, "src_mac_hi": 2, "src_mac_lo": 3, "src_ip": 4, "dst_ip": 5,
        "ports": 6, "seq": 7, "ack": 8, "window": 9, "ttl": 10, "ip_id": 11}


def _mac(name: str, value) -> bytes:
    if isinstance(value, str):
        parts = value.replace("-", ":").split(":")
        try:
            value = bytes(int(p, 16) for p in parts) if len(parts) == 6 and all(len(p) == 2 for p in parts) else None
        except ValueError:
            value = None
        if value is None:
            raise ValueError(f"{name}: a MAC address is six hex pairs like 02:00:00:00:00:01")
    if not isinstance(value, (bytes, bytearray)) or len(value) != 6:
        raise ValueError(f"{name}: a MAC address is 6 bytes, not {value!r}")
    return bytes(value)


def _ip(name: str, value) -> int:
    try:
        return int(ipaddress.IPv4Address(value))
    except (ipaddress.AddressValueError, ValueError, TypeError):
        raise ValueError(f"{name}: not an IPv4 address: {value!r}") from None


def _uint(name: str, value, bits: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < (1 << bits):
        raise ValueError(f"{name}: must be an integer in 0..{(1 << bits) - 1}, not {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class TcpConnection:
    """A TCP connection the host has established, as the transmit path needs it. MACs as
    "02:00:00:00:00:01" or 6 bytes, IPs as dotted quads; ``seq`` is the next byte to send."""
    src_mac: object
    dst_mac: object
    src_ip: object
    dst_ip: object
    src_port: int
    dst_port: int
    seq: int = 0
    ack: int = 0
    window: int = 65535
    ttl: int = 64
    ip_id: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "src_mac", _mac("src_mac", self.src_mac))
        object.__setattr__(self, "dst_mac", _mac("dst_mac", self.dst_mac))
        _ip("src_ip", self.src_ip)
        _ip("dst_ip", self.dst_ip)
        for name in ("src_port", "dst_port", "window", "ip_id"):
            _uint(name, getattr(self, name), 16)
        for name in ("seq", "ack"):
            _uint(name, getattr(self, name), 32)
        _uint("ttl", self.ttl, 8)
        if self.src_port == 0 or self.dst_port == 0:
            raise ValueError("src_port/dst_port: port 0 is not a connection's port")

    def register_writes(self) -> list[tuple[int, int]]:
        """(word address, value) pairs that load this connection into the transmit path."""
        mac = lambda b: (int.from_bytes(b[:2], "big"), int.from_bytes(b[2:], "big"))  # noqa: E731
        (dh, dl), (sh, sl) = mac(self.dst_mac), mac(self.src_mac)
        values = {"dst_mac_hi": dh, "dst_mac_lo": dl, "src_mac_hi": sh, "src_mac_lo": sl,
                  "src_ip": _ip("src_ip", self.src_ip), "dst_ip": _ip("dst_ip", self.dst_ip),
                  "ports": self.src_port << 16 | self.dst_port, "seq": self.seq, "ack": self.ack,
                  "window": self.window, "ttl": self.ttl, "ip_id": self.ip_id}
        return [(REGS[name], value) for name, value in values.items()]


def ones_sum(data: bytes) -> int:
    """The 16-bit ones' complement sum of ``data`` as big-endian words (odd length: zero-padded)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def packet(conn: TcpConnection, payload: bytes, seq: int | None = None, ip_id: int | None = None) -> bytes:
    """The frame the transmit path sends for ``payload`` (without the FCS, padded to 60 bytes)."""
    seq = conn.seq if seq is None else seq
    ip_id = conn.ip_id if ip_id is None else ip_id
    src, dst = _ip("src_ip", conn.src_ip).to_bytes(4, "big"), _ip("dst_ip", conn.dst_ip).to_bytes(4, "big")
    eth = conn.dst_mac + conn.src_mac + struct.pack("!H", ETHERTYPE_IPV4)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), ip_id, IP_FLAGS, conn.ttl, PROTO_TCP, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", 0xFFFF ^ ones_sum(ip)) + ip[12:]
    tcp = struct.pack("!HHIIBBHHH", conn.src_port, conn.dst_port, seq, conn.ack, 0x50, TCP_FLAGS, conn.window, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, PROTO_TCP, 20 + len(payload))
    tcp = tcp[:16] + struct.pack("!H", 0xFFFF ^ ones_sum(pseudo + tcp + payload)) + tcp[18:]
    frame = eth + ip + tcp + payload
    return frame + bytes(max(0, MIN_FRAME - len(frame)))
