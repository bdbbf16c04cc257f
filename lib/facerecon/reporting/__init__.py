"""reporting: a profile's report from its results only (it never trains). evidence gathers runs,
baselines and per-image scores; tables, split_comparison, strengths, reproduction (with the
study's numbers, study_reference, and its conclusions as checks, conclusions) and
recognition_report make the tables (recognition_text words recognition's); findings answers the
study's question from them, first: leaders makes its cells, completeness says what they stand
on, finishing what finishing the study takes; formatting and latex print them, document sets
the report, front opens it; plots (style and layout) with its figure families face_plots,
result_plots and identity_plots draw, figures writes them; build writes the whole report; readme
writes each profile's results page and the README's headline.

May import: core, axes, experiment, data, recognition (its protocol and recorded ranks, never
recognise's scoring nor training: tests/test_layers.py).
"""
