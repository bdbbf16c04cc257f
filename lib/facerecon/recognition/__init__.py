"""recognition: face recognition on original, obfuscated and reconstructed faces. protocol
draws probes and gallery (no gallery image was seen by any network) and holds the recogniser;
recognise scores every condition and run, cached by its configuration. Its tables, figure and
text are reporting's (reporting/recognition_report.py).

May import: core, axes, experiment, data, training.
"""
