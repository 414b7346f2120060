"""The control plane: execution algorithms, smart order routing, network-path selection, venue sessions, TCA.

Imports core, hw and gateway; never sim.
"""
