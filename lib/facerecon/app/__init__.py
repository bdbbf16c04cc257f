"""app: the entry points. cli (python -m facerecon: parsing) with commands (what each command
does) and supervisor (the parent that speaks when Ray ends a command), pipeline (the notebooks'
steps and ./run_all.sh's order) with execution (papermill's runs of them), notebook (what
notebook cells do) with views (what they show), prepare (data, calibration, baselines),
reconstruct (faces you bring), models (the weights in models/ a researcher can try without
training) and job (a self-contained GPU job: built and published here) with job_train (its part
there: train, pack).

May import: every layer.
"""
