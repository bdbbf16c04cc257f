"""The architectures under comparison: name -> what the rest of the study needs of each (its
label, colour and marker in every figure, the settings a profile gives it, the output range of
its last layer, whether it joins the comparison and when it trains). Importable without Keras:
networks.py builds each, its builder registered there with @builds(name). The registry's order
is the order of every table and figure.

A new architecture is its builder (networks.py), its entry here, its sizes in params/*.yaml
(`architectures:`) and its notebook (notebooks/NN_<name>.ipynb).
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
    output_range: tuple[float, float] = (0.0, 1.0)
    # Within a seed, lower tiers train first (training/schedule.py: the study's answer needs
    # SRResNet and the residual autoencoder most).
    priority: int = 0
    # A reference row rather than a compared network: trained under the reference loss only,
    # in the notebook of the architecture named here.
    reference_beside: str | None = None


ARCHITECTURES = Registry("architecture", {
    "simple_cnn": Architecture("Simple CNN", "#E69F00", "o",
                               {"filters": "count", "middle_layers": "count"}, priority=1),
    "srresnet": Architecture("SRResNet", "#0072B2", "s", {"filters": "count", "blocks": "count"}),
    "residual_autoencoder": Architecture("Residual Autoencoder", "#009E73", "^",
                                         {"widths": "counts", "blocks": "count"}),
    "original_residual_autoencoder": Architecture(
        "Original Residual Autoencoder", "#CC79A7", "v", {"widths": "counts", "blocks": "count"},
        (-1.0, 1.0), priority=2, reference_beside="residual_autoencoder"),
})
# The names, as a live view: an entry added to the registry (a test's) is a name everywhere.
ARCHITECTURE_NAMES = ARCHITECTURES.keys()


class ComparedArchitectures:
    """The names of the architectures compared under every loss (not a reference row), in the
    registry's order; a live view, like ARCHITECTURE_NAMES."""

    def __iter__(self):
        return (name for name, entry in ARCHITECTURES.items() if entry.reference_beside is None)

    def __len__(self):
        return sum(1 for _ in self)

    def __contains__(self, name):
        return name in ARCHITECTURES and ARCHITECTURES[name].reference_beside is None

    def __repr__(self):
        return f"ComparedArchitectures({list(self)})"


STUDY_ARCHITECTURES = ComparedArchitectures()
# The study's reference row (Trinidad's original residual autoencoder).
REFERENCE_ARCHITECTURE = next(name for name, entry in ARCHITECTURES.items()
                              if entry.reference_beside)


def references_beside(arch: str) -> list[str]:
    """The reference rows trained in the notebook of `arch` (under the reference loss)."""
    return [name for name, entry in ARCHITECTURES.items() if entry.reference_beside == arch]
