"""Simulated venues, market data, network paths and hardware co-simulation, all on one machine."""
