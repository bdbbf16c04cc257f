"""data: the faces. lfw loads LFW through scikit-learn; dataset draws the splits (random and
identity-disjoint), resizes, scales and caches them and scores reconstructions; faces keeps the
recogniser's view of a face; calibration places candidate strengths against the study's
examples; baselines are the non-learned restorations beside every network.

May import: core, axes, experiment.
"""
