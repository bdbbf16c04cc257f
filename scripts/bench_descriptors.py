"""Benchmark (not a test): deep face descriptors per second on this machine, in one process and
over all its cores (axes/face_descriptor.py), on the paper profile's test faces at 112x112.

    .venv/bin/python scripts/bench_descriptors.py [N_FACES]
"""
import os
import sys
import time

from facerecon.axes import face_descriptor
from facerecon.data.dataset import load_dataset
from facerecon.experiment.config import load_profile


def rate(describe, chips) -> float:
    started = time.perf_counter()
    describe(chips)
    return len(chips) / (time.perf_counter() - started)


def main(n: int) -> None:
    faces = load_dataset(load_profile("paper")).images["test"][:n]
    started = time.perf_counter()
    chips = face_descriptor.chips(faces, face_descriptor.align(faces))
    cut = len(faces) / (time.perf_counter() - started)
    face_descriptor.describe_chips(chips[:2])  # reads the model files once
    print(f"landmarks and chips: {cut:.0f} faces/s; descriptors: "
          f"{rate(face_descriptor.describe_chips, chips):.1f} faces/s in one process, "
          f"{rate(face_descriptor.describe_in_parallel, chips):.1f} faces/s over {os.cpu_count()} cores "
          f"({n} faces)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
