"""Atomic, verified file output: every result is written to a temporary file beside its place,
checked to have reached the disk whole, and only then renamed into place. An interrupted run or
a full disk never leaves a half-written file behind, nor replaces a good one."""
from __future__ import annotations

import errno
import fcntl
import json
import os
import tempfile
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[3]  # the checkout: lib/facerecon/core/io.py


class OutputError(OSError):
    """An output folder or file that cannot be written."""


def writable_dir(path: str | os.PathLike,
                 choose: str = "a writable results root (--results-root)") -> Path:
    """Creates the folder if needed; fails in one line if it cannot be written, saying what to
    choose instead (`choose`: the option that names the folder)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} is a file, not a folder; choose {choose}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create {path} ({error.strerror}); choose {choose} or fix its "
                          "permissions") from None
    if not os.access(path, os.W_OK):
        raise OutputError(f"{path} is read-only; choose {choose} or fix its permissions")
    return path


def output_error(path: str | os.PathLike, error: OSError) -> OutputError:
    """One line for a write that failed: a full disk names the folder that filled."""
    path = Path(path)
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return OutputError(f"no space left in {path.parent} (writing {path.name}); free some or "
                           "choose another results root (--results-root); the previous file "
                           "is kept")
    reason = error.strerror or str(error).splitlines()[0]
    return OutputError(f"could not write {path} ({reason}); the previous file is kept")


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yields a temporary path beside `path`; renames it onto `path` only if the block succeeds."""
    path = Path(path)
    folder = writable_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make results private
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextmanager
def exclusive(path: str | os.PathLike, wait: bool = False):
    """An exclusive lock on the file `path` for as long as the block runs (released also when the
    process dies), the file removed when it ends, so that no lock outlives its holder on disk.
    Raises BlockingIOError where another process holds it (wait=False) or waits for it."""
    path = Path(path)
    while True:
        handle = open(path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.close()
            raise
        try:  # a holder that ended meanwhile removed the file we locked: lock the one there now
            if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                break
        except FileNotFoundError:
            pass
        handle.close()
    try:
        yield handle
    finally:
        path.unlink(missing_ok=True)  # still held: a process waiting on it finds it gone, retries
        handle.close()


def write_bytes(path, data: bytes) -> None:
    """Writes data atomically, after checking that every byte reached the disk."""
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if (size := os.path.getsize(tmp)) != len(data):
                raise OutputError(f"could not write {path}: {size} of {len(data)} bytes reached "
                                  "the disk (is it full?); the previous file is kept")
    except OutputError:
        raise
    except OSError as error:
        raise output_error(path, error) from None


def write_text(path, text: str) -> None:
    write_bytes(path, text.encode())


def write_json(path, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def write_npy(path, array) -> None:
    buffer = BytesIO()
    np.save(buffer, np.asarray(array))
    write_bytes(path, buffer.getvalue())


def write_csv(path, frame, **kwargs) -> None:
    write_text(path, frame.to_csv(index=False, **kwargs))


PRINT_DPI = 300


def save_figure(figure, stem) -> list[Path]:
    """Saves a matplotlib figure as PNG (300 dpi, for print) and vector PDF next to each other;
    the PDF embeds its fonts as TrueType (Type 42), not the Type 3 many venues refuse."""
    import matplotlib

    paths = []
    for suffix in (".png", ".pdf"):
        buffer = BytesIO()
        # No creation date in PDFs: an unchanged figure stays byte-identical in git.
        metadata = {"CreationDate": None} if suffix == ".pdf" else {}
        # A tight box with a thin margin: a figure drawn at a page's or a column's width stays
        # within it.
        with matplotlib.rc_context({"pdf.fonttype": 42}):
            figure.savefig(buffer, dpi=PRINT_DPI, bbox_inches="tight", pad_inches=0.02,
                           format=suffix[1:], metadata=metadata)
        paths.append(Path(f"{stem}{suffix}"))
        write_bytes(paths[-1], buffer.getvalue())
    return paths
