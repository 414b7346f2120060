"""The memory-mapped register interface: the map (map.py), the bus (bus.py), the doc (doc.py)."""
