"""Microstructure measures from market data, and the square-root market-impact model."""
