"""Transaction-cost analysis from one tape of child orders and executions (backtest and live
write the same tape): metrics, a text report, PNG plots."""
