"""Keras without TensorFlow's start-up chatter. TensorFlow writes C++ log lines (oneDNN, CUDA
probes) straight to the process's stderr before its own log level applies, so they reach the
console and every executed notebook whatever TF_CPP_MIN_LOG_LEVEL says. Every module of the
package imports keras from here: stderr goes to a temporary file while the backend loads and
looks for a device, and is replayed if that fails."""
from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager


@contextmanager
def stderr_aside():
    """Sends file descriptor 2 to a temporary file for the block; replays it on an error."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as aside:
        os.dup2(aside.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            aside.seek(0)
            sys.stderr.write(aside.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


# Also for processes not started by scripts/ensure_env.sh (a JupyterLab kernel): TensorFlow's
# C++ log lines, e.g. one "E" line per Keras fit about an attribute of Keras' tf.data pipeline
# that this TensorFlow does not know; its failures still raise in Python.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

with stderr_aside():
    import keras
    from keras import layers, ops  # noqa: F401 (what the project imports from here)

    if keras.backend.backend() == "tensorflow":
        import tensorflow

        tensorflow.config.list_physical_devices()  # the CUDA probe, which prints when it fails
