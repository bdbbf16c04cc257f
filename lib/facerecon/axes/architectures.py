"""The architectures under comparison: name -> what the rest of the study needs of each (its
label, colour and marker in every figure, the settings a profile gives it, the output range of
its last layer, and the name of its builder in networks.py). Importable without Keras: only
networks.py builds a network. The registry's order is the order of every table and figure.

A new architecture is its builder (networks.py), its entry here, its sizes in params/*.yaml
(`architectures:`) and its notebook.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core.registry import Registry


@dataclass(frozen=True)
class Architecture:
    label: str
    colour: str   # Okabe-Ito, colour-blind safe
    marker: str
    settings: dict  # setting -> its kind (core.checks.KINDS): what params/*.yaml must give
    builder: str  # the function of networks.py that builds it
    output_range: tuple[float, float] = (0.0, 1.0)


ARCHITECTURES = Registry("architecture", {
    "simple_cnn": Architecture("Simple CNN", "#E69F00", "o",
                               {"filters": "count", "middle_layers": "count"}, "build_simple_cnn"),
    "srresnet": Architecture("SRResNet", "#0072B2", "s", {"filters": "count", "blocks": "count"},
                             "build_srresnet"),
    "residual_autoencoder": Architecture("Residual Autoencoder", "#009E73", "^",
                                         {"widths": "counts", "blocks": "count"},
                                         "build_residual_autoencoder"),
    "original_residual_autoencoder": Architecture(
        "Original Residual Autoencoder", "#CC79A7", "v", {"widths": "counts", "blocks": "count"},
        "build_original_residual_autoencoder", (-1.0, 1.0)),
})
# The names, as a live view: an entry added to the registry (a test's) is a name everywhere.
ARCHITECTURE_NAMES = ARCHITECTURES.keys()
