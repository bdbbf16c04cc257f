"""experiment: what a profile and a run are, and where a run's records live. config reads
params/*.yaml into a Profile (checked against the axes' registries, one-line errors naming file,
key and what is valid) and defines a RunConfig; study says which runs a profile holds (its grid
and its strength sweep) and picks rows from frames of runs; fingerprint says what makes two runs
the same run (a run's own settings only) and reads every stored record's layout; runs is the run
store (staging, publishing, locks, status), which training writes and reporting reads;
convergence says how a finished run ended (stopped early, or at the epoch cap still gaining).

May import: core, axes (their Keras-free registries).
"""
