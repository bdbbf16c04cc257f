"""core: what every layer leans on and that knows nothing of the study: one-line checks of
values (checks), the registry shape of every axis (registry), atomic verified files and the
checkout's root (io), statistics (stats), what produced a number (runtime) and Keras imported
without its start-up noise (quiet_keras).

May import: nothing of the project.
"""
