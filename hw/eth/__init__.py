"""Ethernet/IPv4/TCP transmit path: encoded orders onto a MAC-facing AXI4-Stream."""
