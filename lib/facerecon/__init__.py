"""facerecon: reconstructing obfuscated (blurred or pixelated) LFW faces with CNNs, and which loss
serves restoration best.

The package is cut into layers, listed here from the bottom up. A layer imports only the layers
below it (tests/test_layers.py fails on an import cycle or on an import upwards); each layer's
__init__.py says what it owns.

    core         checking values, registries, atomic files, statistics, provenance, quiet Keras
    axes         the study's axes: obfuscations, losses, architectures (and their networks), metrics
    experiment   profiles (params/*.yaml), one run's configuration and fingerprint, the run store
    data         LFW, the splits and the prepared dataset, calibration, non-learned baselines
    training     the trainer, the lock-step grid trainer, the GPU scheduler, bench
    recognition  face recognition on original, obfuscated and reconstructed faces
    reporting    evidence, tables, figures, text and LaTeX of a profile's report, the README block
    app          entry points: the command line, the pipeline of notebooks, notebook helpers,
                 reconstructing faces you bring
"""

LAYERS = ("core", "axes", "experiment", "data", "training", "recognition", "reporting", "app")
