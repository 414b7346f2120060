"""The FIX engine (codec, session, transports) and the order path between clients and venues."""
