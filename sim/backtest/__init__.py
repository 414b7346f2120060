"""The in-process backtest: the execution context control/ defines, implemented on the sim
venues' matching engines in accelerated simulated time, plus the ``wirespeed backtest`` and
``wirespeed sweep`` commands."""
