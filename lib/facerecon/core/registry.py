"""One shape for every axis of the study (and for the baselines): a name -> entry mapping in
the configuration's order, whose lookup of an unknown name fails in one line listing the valid
ones."""
from __future__ import annotations

from .checks import ConfigError, check_choice


class Registry(dict):
    """name -> entry, in the configuration's order (`names`, when given, must be these). Looking
    up an unknown name fails in one line that lists the valid ones."""

    def __init__(self, kind: str, entries: dict, names=None):
        super().__init__(entries)
        self.kind = kind
        if names is not None and tuple(entries) != tuple(names):
            raise ConfigError(f"the {kind} registry holds {', '.join(entries)} but the "
                              f"configuration names {', '.join(names)}: make them agree")

    def __missing__(self, name):
        check_choice(self.kind, name, list(self))
