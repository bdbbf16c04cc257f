"""One shape for every axis of the study (and for the baselines): a name -> entry mapping in
the configuration's order, whose lookup of an unknown name fails in one line listing the valid
ones."""
from __future__ import annotations

from collections.abc import Mapping

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


class Joined(Mapping):
    """Registries read as one, in order, as a live view: an entry added to any of them is in it;
    an unknown name fails in one line listing the valid ones."""

    def __init__(self, kind: str, *parts: Registry):
        self.kind, self.parts = kind, parts

    def __getitem__(self, name):
        for part in self.parts:
            if name in part:
                return part[name]
        check_choice(self.kind, name, list(self))

    def __iter__(self):
        return (name for part in self.parts for name in part)

    def __len__(self):
        return sum(len(part) for part in self.parts)
