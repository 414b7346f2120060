"""Every transmitted frame parsed by dpkt (a packet decoder wirespeed did not write): addresses,
ports, seq/ack/window, flags, payload, and both checksums recomputed by dpkt itself."""
from __future__ import annotations

import ipaddress

import dpkt

from wirespeed.hw.eth.headers import MIN_FRAME, TcpConnection


def check_packet(frame: bytes, conn: TcpConnection, seq: int, ip_id: int, payload: bytes) -> None:
    assert len(frame) == max(MIN_FRAME, 54 + len(payload)), f"frame length {len(frame)} for a {len(payload)}-byte payload"
    eth = dpkt.ethernet.Ethernet(frame)
    assert (eth.dst, eth.src, eth.type) == (conn.dst_mac, conn.src_mac, dpkt.ethernet.ETH_TYPE_IP)
    ip = eth.data
    assert isinstance(ip, dpkt.ip.IP), f"not IPv4: {ip!r}"
    assert (ip.v, ip.hl, ip.len, ip.id, ip.df, ip.ttl, ip.p) == (4, 5, 40 + len(payload), ip_id, 1, conn.ttl, 6)
    assert (ipaddress.IPv4Address(ip.src), ipaddress.IPv4Address(ip.dst)) == \
        (ipaddress.IPv4Address(conn.src_ip), ipaddress.IPv4Address(conn.dst_ip))
    tcp = ip.data
    assert isinstance(tcp, dpkt.tcp.TCP), f"not TCP: {tcp!r}"
    assert (tcp.sport, tcp.dport, tcp.seq, tcp.ack, tcp.win, tcp.off, tcp.flags) == \
        (conn.src_port, conn.dst_port, seq, conn.ack, conn.window, 5, dpkt.tcp.TH_PUSH | dpkt.tcp.TH_ACK)
    assert bytes(tcp.data) == payload
    # dpkt recomputes a checksum left at 0 when it serialises: both must come out as sent
    sent = (ip.sum, tcp.sum)
    ip.sum, tcp.sum = 0, 0
    again = dpkt.ip.IP(bytes(ip))
    assert (again.sum, again.data.sum) == sent, f"checksums sent {sent}, dpkt computes {(again.sum, again.data.sum)}"
