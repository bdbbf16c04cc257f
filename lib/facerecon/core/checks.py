"""Checking values from files and command lines, a leaf of the project: one-line errors that
name the file, key or value and what is valid (ConfigError), and the kinds of value a setting
may be (KINDS). Imports nothing of the project.
"""
from __future__ import annotations


class ConfigError(ValueError):
    """A configuration value or key that the study does not know."""


def check_choice(kind: str, value, valid) -> None:
    """Fail with one line that lists the valid names."""
    if value not in valid:
        raise ConfigError(f"unknown {kind} {value!r}; valid: {', '.join(map(str, valid))}")


def as_float(value) -> float:
    """A number, or a number written as text (YAML reads 1e-4 as text); NaN for anything else."""
    try:
        return float("nan") if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return float("nan")


def is_seed(value) -> bool:
    return type(value) is int and value >= 0


KINDS = {  # kind of a setting: (test, what a value must be, conversion)
    "count": (lambda v: type(v) is int and v > 0, "a positive integer", None),
    "odd": (lambda v: type(v) is int and v > 0 and v % 2 == 1, "a positive odd integer", None),
    "positive": (lambda v: 0 < as_float(v) < float("inf"), "a positive finite number", float),
    "fraction": (lambda v: 0 < as_float(v) < 1, "a number between 0 and 1", float),
    "counts": (lambda v: type(v) is list and len(v) > 0 and all(type(x) is int and x > 0 for x in v),
               "a non-empty list of positive integers", None),
    "seed": (is_seed, "a non-negative integer", None),
    "seeds": (lambda v: type(v) is list and all(is_seed(x) for x in v),
              "a list of non-negative integers", tuple),
    "flag": (lambda v: type(v) is bool, "true or false", None),
    "text": (lambda v: type(v) is str, "text", None),
}


def one_of(names) -> tuple:
    """A kind of value: one of these names."""
    return (lambda v: v in names, lambda: f"one of {', '.join(map(str, names))}", None)


def list_of(names, what: str) -> tuple:
    """A kind of value: a list of these names."""
    return (lambda v: type(v) is list and all(x in names for x in v),
            lambda: f"a list of {what} ({', '.join(map(str, names))})", tuple)


def checked(where: str, kind, value):
    """The value, converted as its kind says, if it is of its kind; else one line naming it.
    A kind is a name in KINDS or a (test, text, conversion) triple (one_of, list_of; its text
    may be a function, so that names added later are listed)."""
    test, text, convert = KINDS[kind] if isinstance(kind, str) else kind
    if not test(value):
        raise ConfigError(f"{where} must be {text() if callable(text) else text}, not {value!r}")
    return convert(value) if convert else value


def checked_keys(where: str, given, required, optional=()) -> None:
    if not isinstance(given, dict):
        raise ConfigError(f"{where} must be a mapping of {', '.join(required)}")
    unknown = sorted(set(given) - set(required) - set(optional))
    missing = [k for k in required if k not in given]
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; valid: "
                          f"{', '.join([*required, *optional])}")
    if missing:
        raise ConfigError(f"{where} lacks key(s) {', '.join(missing)}")


def settings_of(where: str, given, kinds: dict, optional=()) -> dict:
    """The given settings, checked against their kinds (keys in `optional` are the caller's)."""
    checked_keys(where, given, list(kinds), optional)
    return {k: checked(f"{where}.{k}", kind, given[k]) for k, kind in kinds.items()}
