"""app: the entry points. cli (python -m facerecon), pipeline (papermill runs of the notebooks,
./run_all.sh), notebook (the helpers notebook cells call), prepare (data, calibration,
baselines) and reconstruct (faces you bring).

May import: every layer.
"""
