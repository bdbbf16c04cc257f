"""What makes two runs the same run: a run's fingerprint is its own fields and every profile
setting that changes how it trains (not the grid's seeds or description). Records stored by
earlier versions of the profiles are read in today's layout, so that their runs stay cached."""
from __future__ import annotations

import dataclasses
import hashlib
import json

from .config import ARCHITECTURE_SETTINGS, Profile, RunConfig

# Profile fields that say which runs a grid holds, not how a run trains: changing them keeps
# every finished run (a run's own seed and split are part of the run).
GRID_FIELDS = ("description", "seeds", "identity_losses", "identity_seeds", "sweep_architecture",
               "sweep_loss", "sweep_seeds")


def short_hash(obj) -> str:
    text = json.dumps(obj, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def run_settings(profile: Profile) -> dict:
    """The settings that make a run what it is: every profile field but the GRID_FIELDS."""
    return {k: v for k, v in dataclasses.asdict(profile).items() if k not in GRID_FIELDS}


def fingerprint(config: RunConfig, profile: Profile) -> dict:
    """What makes two runs the same run: the run's fields and every profile setting that changes
    how it trains (not the grid's seeds or description)."""
    settings = run_settings(profile)
    return {"run": config.as_dict(), "profile": settings, "profile_hash": short_hash(settings)}


# Before profiles had a section per axis, the obfuscation settings were flat keys and the
# architectures' sizes were fixed in code, at these values.
LEGACY_ARCHITECTURES = {"simple_cnn": {"filters": 128, "middle_layers": 3},
                        "srresnet": {"filters": 64, "blocks": 5},
                        "residual_autoencoder": {"widths": [64, 128, 256], "blocks": 3},
                        "original_residual_autoencoder": {"widths": [64, 128, 256], "blocks": 3}}


def upgraded_settings(stored: dict) -> dict:
    """Profile settings as stored by any version, in today's layout."""
    if "obfuscations" in stored or "blur_kernel" not in stored:
        return stored
    flat = dict(stored)
    flat["obfuscations"] = {
        "blur": {"kernel": flat.pop("blur_kernel"), "sigma": flat.pop("blur_sigma"),
                 "candidates": [{"kernel": k, "sigma": s} for k, s in flat.pop("blur_candidates")]},
        "pixelate": {"block": flat.pop("pixel_block"),
                     "candidates": [{"block": b} for b in flat.pop("pixel_candidates")]}}
    flat["architectures"] = {name: LEGACY_ARCHITECTURES[name] for name in ARCHITECTURE_SETTINGS}
    return flat


def defaults_of(cls) -> dict:
    return {f.name: f.default for f in dataclasses.fields(cls)
            if f.default is not dataclasses.MISSING}


def same_settings(stored: dict, wanted: dict, cls=Profile) -> bool:
    """Every wanted setting equals the stored one. A setting added after the record was stored
    counts as its default value, which is what that record used."""
    stored = upgraded_settings(stored) if cls is Profile else stored
    filled = json.loads(json.dumps({**defaults_of(cls), **stored}))
    wanted = json.loads(json.dumps(wanted))
    return {k: filled.get(k) for k in wanted} == wanted


def same_fingerprint(stored: dict, wanted: dict) -> bool:
    """Equal run fields and run settings; stored grid fields are ignored."""
    return (same_settings(stored.get("run", {}), wanted["run"], RunConfig)
            and same_settings(stored.get("profile", {}), wanted["profile"]))


def stored_fingerprint(record: dict) -> dict:
    # Records written before the rename call it "identity".
    return record.get("fingerprint", record.get("identity", {}))
