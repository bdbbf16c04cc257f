"""Where LFW lives and how it loads: scikit-learn's fetch_lfw_people (62x47 RGB faces) from
scikit-learn's data folder, or from a read-only copy named by $LFW_HOME, with one-line errors
for missing, partial or unreadable data.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
from pathlib import Path

import numpy as np

from ..core import io
from ..core.io import PROJECT_ROOT

LFW_IMAGES = 13233
LFW_FUNNELED_MB = 230
LINKED_DATA_HOME = PROJECT_ROOT / "data" / "scikit_learn_data"
# scikit-learn's download has no timeout of its own: a network that accepts the connection and
# never answers would hang the first run. Each read waits this long (scikit-learn retries 3 times).
DOWNLOAD_TIMEOUT_S = 60


class DataError(RuntimeError):
    """LFW is missing, partial or unreadable."""


def resolve_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """scikit-learn's convention: an explicit folder, else $SCIKIT_LEARN_DATA, else
    ~/scikit_learn_data. If $LFW_HOME names an existing (possibly read-only) lfw_home folder and
    no folder is given, that copy is linked into the writable data/scikit_learn_data."""
    if data_home is not None:
        return Path(data_home).expanduser()
    if os.environ.get("LFW_HOME"):
        return link_lfw_copy(os.environ["LFW_HOME"], LINKED_DATA_HOME)
    from sklearn.datasets import get_data_home

    return Path(get_data_home())


def lfw_source(data_home: str | os.PathLike | None = None) -> str:
    """'LFW: ...', the copy this invocation reads (resolve_data_home's choice) and why."""
    if data_home is not None:
        return f"LFW: in {Path(data_home).expanduser()} (--data-home)"
    if os.environ.get("LFW_HOME"):
        return f"LFW: the copy at {os.environ['LFW_HOME']} (LFW_HOME)"
    return "LFW: in scikit-learn's data folder ($SCIKIT_LEARN_DATA, else ~/scikit_learn_data)"


def link_lfw_copy(lfw_home: str | os.PathLike, data_home: str | os.PathLike) -> Path:
    """Makes data_home/lfw_home a writable folder whose entries link to an existing LFW copy
    (scikit-learn writes its joblib cache beside the images, which a read-only copy forbids).
    The links follow the copy: pointed at another copy, the old links and scikit-learn's cache
    of the old images go."""
    source, data_home = Path(lfw_home).expanduser().resolve(), Path(data_home)
    if not (source / "lfw").is_dir() and not (source / "lfw_funneled").is_dir():
        raise DataError(f"LFW_HOME={source} holds neither lfw/ nor lfw_funneled/; point it at "
                        "an lfw_home folder in scikit-learn's layout")
    target = data_home / "lfw_home"
    target.mkdir(parents=True, exist_ok=True)
    marker = target / ".linked_from"
    if not marker.exists() or marker.read_text() != str(source):
        shutil.rmtree(target / "joblib", ignore_errors=True)
    for link in target.iterdir():
        if link.is_symlink() and os.readlink(link) != str(source / link.name):
            link.unlink(missing_ok=True)
    for entry in source.iterdir():
        link = target / entry.name
        if entry.name != "joblib" and not link.is_symlink() and not link.exists():
            with contextlib.suppress(FileExistsError):  # another process linked it meanwhile
                link.symlink_to(entry)
    io.write_text(marker, str(source))
    return data_home


def choose_lfw_variant(data_home: Path) -> bool:
    """True for the funneled set: the funneled set if present, else the plain set if present,
    else the funneled set is downloaded."""
    lfw_home = data_home / "lfw_home"
    if (lfw_home / "lfw_funneled").is_dir():
        return True
    if (lfw_home / "lfw").is_dir():
        return False
    print(f"LFW not found under {lfw_home}: downloading the funneled set (~{LFW_FUNNELED_MB} MB)")
    return True


def count_jpegs(folder: Path) -> int:
    return sum(name.endswith(".jpg") for _, _, names in os.walk(folder) for name in names)


def find_unreadable_jpegs(folder: Path) -> list[Path]:
    from PIL import Image

    bad = []
    for path in sorted(folder.rglob("*.jpg")):
        try:
            with Image.open(path) as image:
                image.load()
        except Exception:
            bad.append(path)
    return bad


def fetch_lfw(data_home: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All LFW faces as uint8 (N, 62, 47, 3) and each face's person name."""
    from sklearn.datasets import fetch_lfw_people

    home = resolve_data_home(data_home)
    funneled = choose_lfw_variant(home)
    folder = home / "lfw_home" / ("lfw_funneled" if funneled else "lfw")
    where = (f"put LFW in {home}/lfw_home/ (scikit-learn's layout: lfw_funneled/ or lfw/), "
             "or set LFW_HOME to an existing lfw_home folder")
    if folder.is_dir() and (found := count_jpegs(folder)) != LFW_IMAGES:
        raise DataError(f"LFW at {folder} is partial: {found} of {LFW_IMAGES} images; {where}")
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        bunch = fetch_lfw_people(data_home=str(home), funneled=funneled, resize=0.5, color=True,
                                 min_faces_per_person=0, download_if_missing=not folder.is_dir())
    except (OSError, ValueError) as error:
        if folder.is_dir() and (bad := find_unreadable_jpegs(folder)):
            raise DataError(f"unreadable LFW image {bad[0]} ({len(bad)} in all): replace it "
                            f"from a fresh LFW copy") from None
        raise DataError(f"LFW could not be loaded or downloaded ({error}); {where}") from None
    finally:
        socket.setdefaulttimeout(previous_timeout)
        for partial in (home / "lfw_home").glob("*.part_*"):  # an interrupted download's remains
            partial.unlink(missing_ok=True)
    images = bunch.images
    # scikit-learn returns float32 on a 0-255 or a 0-1 scale depending on its version.
    scale = 255.0 if images.max() <= 1.0 else 1.0
    images = np.clip(np.rint(images * scale), 0, 255).astype(np.uint8)
    return images, bunch.target_names[bunch.target]
