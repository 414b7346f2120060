"""wirespeed: a low-latency order gateway.

The core package holds what every layer shares: the order model, reject reasons,
fixed-point prices, the symbol table, the hardware order record layout, clocks,
latency histograms and configuration. It imports nothing from the layers above
it (hw, gateway, control, sim).
"""
__version__ = "0.1.0"
