"""What makes two runs the same run. A run's fingerprint is what changes that run: its own fields,
its profile's data and training settings, its own architecture's sizes and its own obfuscation
at its strength. Not the other architectures or obfuscations, not the calibration candidates,
not the grid (seeds, sweep, description, where it may train): adding an axis entry, a candidate or a network to a
profile never makes another run stale. Records stored in any earlier layout (flat obfuscation
keys; a fingerprint with every profile setting) are read as today's, so their runs stay cached;
a record's run (run_config) and whether a finished run's records are whole (record_damage) are
read here too.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from ..core.checks import ConfigError
from .config import Profile, RunConfig, named_candidates

# Profile fields that say which runs a grid holds (or where they may train), not how a run
# trains: changing them keeps every finished run (a run's own seed and split are part of it).
GRID_FIELDS = ("description", "seeds", "identity_losses", "identity_seeds", "sweep_architecture",
               "sweep_loss", "sweep_seeds", "needs_accelerator")
# A profile's sections of every axis entry: a run reads only its own entry of each.
AXIS_SECTIONS = ("architectures", "obfuscations")


def short_hash(obj) -> str:
    text = json.dumps(obj, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def shared_settings(profile: Profile) -> dict:
    """The profile's data and training settings, which every run of it shares."""
    return {k: v for k, v in dataclasses.asdict(profile).items()
            if k not in GRID_FIELDS + AXIS_SECTIONS}


def run_settings(config: RunConfig, profile: Profile) -> dict:
    """The profile's settings as one run sees them (see narrowed)."""
    return narrowed(dataclasses.asdict(profile), config.as_dict())


def fingerprint(config: RunConfig, profile: Profile) -> dict:
    settings = run_settings(config, profile)
    return {"run": config.as_dict(), "profile": settings, "profile_hash": short_hash(settings)}


# --- reading stored records ----------------------------------------------------------------------

# Before profiles had a section per axis, the obfuscation settings were flat keys and the
# architectures' sizes were fixed in code, at these values (records of those runs say so).
LEGACY_ARCHITECTURES = {"simple_cnn": {"filters": 128, "middle_layers": 3},
                        "srresnet": {"filters": 64, "blocks": 5},
                        "residual_autoencoder": {"widths": [64, 128, 256], "blocks": 3},
                        "original_residual_autoencoder": {"widths": [64, 128, 256], "blocks": 3}}


def upgraded_settings(stored: dict) -> dict:
    """Profile settings as stored by any version, in the layout with a section per axis."""
    if "obfuscations" in stored or "blur_kernel" not in stored:
        return stored
    flat = dict(stored)
    flat["obfuscations"] = {
        "blur": {"kernel": flat.pop("blur_kernel"), "sigma": flat.pop("blur_sigma"),
                 "candidates": [{"kernel": k, "sigma": s} for k, s in flat.pop("blur_candidates")]},
        "pixelate": {"block": flat.pop("pixel_block"),
                     "candidates": [{"block": b} for b in flat.pop("pixel_candidates")]}}
    flat["architectures"] = LEGACY_ARCHITECTURES
    return flat


def strength_of(section: dict, strength: str) -> dict | None:
    """An obfuscation's settings at a named candidate strength ('' is the section's own), or
    None where the section has no such candidate."""
    if not strength:
        return {k: v for k, v in section.items() if k != "candidates"}
    return named_candidates(section).get(strength)


def narrowed(settings: dict, run: dict) -> dict:
    """Profile settings (as stored by any version, or today's) as one run sees them: the shared
    settings, `architecture_settings` (its architecture's sizes) and `obfuscation_settings` (its
    obfuscation at its strength). Settings stored already narrowed stay as they are."""
    settings = upgraded_settings(settings)
    if not any(section in settings for section in AXIS_SECTIONS):
        return settings
    out = {k: v for k, v in settings.items() if k not in GRID_FIELDS + AXIS_SECTIONS}
    out["architecture_settings"] = settings["architectures"].get(run.get("architecture"))
    section = settings["obfuscations"].get(run.get("obfuscation"))
    out["obfuscation_settings"] = strength_of(section, run.get("strength", "")) if section \
        else None
    return out


def defaults_of(cls) -> dict:
    return {f.name: f.default for f in dataclasses.fields(cls)
            if f.default is not dataclasses.MISSING}


def plain(obj):
    """As JSON reads it back (tuples as lists, numbers as stored)."""
    return json.loads(json.dumps(obj))


def differences(stored, wanted, where: str = "") -> list[str]:
    """Where `stored` differs from `wanted`, as 'key: stored -> wanted' (dotted keys). A mapping
    covers what is wanted of it: keys it has beyond those do not count."""
    if isinstance(wanted, dict) and isinstance(stored, dict):
        return [line for key, value in wanted.items()
                for line in differences(stored.get(key), value, f"{where}.{key}" if where else key)]
    return [] if stored == wanted else [f"{where}: {stored!r} -> {wanted!r}"]


def settings_differences(stored: dict, wanted: dict, cls=Profile) -> list[str]:
    """How stored settings differ from the wanted ones. A setting added after the record was
    stored counts as its default value, which is what that record used."""
    return differences(plain({**defaults_of(cls), **stored}), plain(wanted))


def fingerprint_differences(stored: dict, wanted: dict) -> list[str]:
    """How a stored run's fingerprint differs from the wanted one ([] : the same run)."""
    run = {**defaults_of(RunConfig), **stored.get("run", {})}
    return (settings_differences(stored.get("run", {}), wanted["run"], RunConfig)
            + settings_differences(narrowed(stored.get("profile", {}), run), wanted["profile"]))


def same_fingerprint(stored: dict, wanted: dict) -> bool:
    """Equal run fields and run settings; stored grid fields and other axes are ignored."""
    return not fingerprint_differences(stored, wanted)


def stored_fingerprint(record: dict) -> dict:
    # Records written before the rename call it "identity".
    return record.get("fingerprint", record.get("identity", {}))


def record_damage(folder: Path, metrics: dict) -> str | None:
    """What is wrong with a finished run's records (its folder; metrics.json read), or None: a
    record missing or unreadable, or per_image.csv without the per-image values of a mean that
    metrics.json records (its header is read, not the file)."""
    recorded = [name[len("test_"):] for name in metrics if name.startswith("test_")]
    for record, columns in (("history.csv", ["epoch", "val_loss"]),
                            ("per_image.csv", ["subset", "lfw_index", *recorded])):
        try:
            with open(folder / record) as handle:
                header = handle.readline().strip().split(",")
        except OSError as error:
            return f"{record} cannot be read ({error.strerror})"
        lacking = [column for column in columns if column not in header]
        if lacking:
            return f"{record} lacks {', '.join(lacking)}, which metrics.json records"
    return None


def run_config(record) -> RunConfig:
    """The RunConfig of a run's record or of a row of a frame of runs."""
    fields = {f.name: record[f.name] for f in dataclasses.fields(RunConfig) if f.name in record}
    if not isinstance(fields.get("strength", ""), str):  # a blank cell of a frame
        fields.pop("strength")
    return RunConfig(**fields)


def holds_its_own_run(key: str, record: dict) -> bool:
    """Whether a run's record names the folder it is in (a copied folder is not another run)."""
    try:
        return run_config(record).key == key
    except (TypeError, ConfigError):
        return False
