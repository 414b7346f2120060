"""The live side of control/: parent orders over FIX and the execution context over the gateway's
order path (the other implementation of ``control.context.ExecutionContext``; the backtest one
is ``sim/backtest``)."""
from .context import LiveContext
from .desk import AlgoDesk
from .strategy import StrategyRequest, parse_strategy

__all__ = ["AlgoDesk", "LiveContext", "StrategyRequest", "parse_strategy"]
