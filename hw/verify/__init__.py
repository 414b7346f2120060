"""Verification and benchmark support shared by the Amaranth-simulator and cocotb tests.

The testbench logic (drivers, stall generators, event log, scoreboard against the
golden model) is written once against ``Access``, a five-method view of a
simulator; ``AmaranthAccess`` and ``CocotbAccess`` adapt the two simulators.
"""
