"""Book events: defined once in the gateway's feed handler (``wirespeed.gateway.feed.events``),
where the ITCH decoder and the books a subscriber rebuilds need them; the venues' engines here
emit them. Re-exported so ``sim.events`` names stay."""
from wirespeed.gateway.feed.events import (END_OF_MARKET_HOURS, END_OF_MESSAGES, END_OF_SYSTEM_HOURS,  # noqa: F401
                                           START_OF_MARKET_HOURS, START_OF_MESSAGES, START_OF_SYSTEM_HOURS,
                                           AddOrder, BookEvent, CrossTrade, EventSink, NonDisplayedTrade,
                                           OrderCancel, OrderDelete, OrderExecuted, OrderReplace, SystemEvent)
