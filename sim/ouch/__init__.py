"""OUCH 5.0 as a venue speaks it: the messages (``messages``) and SoupBinTCP 4.0 (``soup``)."""
