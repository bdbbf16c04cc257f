"""experiment: what a profile and a run are. config reads params/*.yaml into a Profile (checked
against the axes' registries, one-line errors naming file, key and what is valid) and defines a
RunConfig; fingerprint says what makes two runs the same run (a run's own settings only) and
reads every stored record's layout.

May import: core, axes (their Keras-free registries).
"""
