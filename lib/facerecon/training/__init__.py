"""training: runs on disk (runs: staging, publishing, locks, status, the grid a profile holds),
the Keras trainer of one run (train), the lock-step grid trainer on JAX (grid_trainer, lockstep),
the GPU scheduler (schedule), what a command will train and whether this device may (plan)
and throughput measurement (bench).

May import: core, axes, experiment, data.
"""
