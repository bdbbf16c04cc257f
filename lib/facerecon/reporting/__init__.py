"""reporting: a profile's report from its results only (it never trains). evidence gathers runs,
baselines and per-image scores; tables, split_comparison, strengths, reproduction and
recognition_report make the tables and their text; findings answers the study's question from
them, first, and finishing says what finishing the study takes; formatting and latex print
them, front opens the report; plots (style and layout) with its figure families face_plots and
result_plots draw, figures writes them; build writes the whole report; readme writes each profile's results
page and the README's headline.

May import: core, axes, experiment, data, training, recognition.
"""
