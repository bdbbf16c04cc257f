"""training: the Keras trainer of one run (train), the lock-step grid trainer on JAX
(grid_trainer, lockstep), the grid as tasks (schedule: the driver; executors: Ray's workers or
this machine's process pool; cluster: where Ray runs and what a run asks of it; worker: what a
task does; priority: the order it trains in), what a command will train and whether this
device may (plan), throughput measurement (bench) and the scores a finished run gains from its
weights (rescore). A run's records are written through experiment.runs.

May import: core, axes, experiment, data.
"""
