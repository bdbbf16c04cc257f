"""app: the entry points. cli (python -m facerecon), pipeline (papermill runs of the notebooks,
./run_all.sh), notebook (the helpers notebook cells call), prepare (data, calibration,
baselines), reconstruct (faces you bring), models (the weights in models/ a researcher can
try without training) and job (a self-contained GPU job: built here, trained there, published
here).

May import: every layer.
"""
