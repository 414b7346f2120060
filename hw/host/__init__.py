"""The host order ring: a model of the PCIe path between the trading host and the card."""
