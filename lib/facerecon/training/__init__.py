"""training: runs on disk (runs: staging, publishing, locks, status, the grid a profile holds),
the Keras trainer of one run (train), the lock-step grid trainer on JAX (grid_trainer, lockstep),
the grid as tasks (schedule: the driver; executors: Ray's workers or this machine's process pool;
cluster: where Ray runs and what a run asks of it; worker: what a task does), what a command will train and whether this device may (plan) and
throughput measurement (bench).

May import: core, axes, experiment, data.
"""
