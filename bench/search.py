"""1:N face search over the whitelist: time per probe and memory, 1,000 to 1,000,000 templates.

Two exact methods over one float32 matrix of unit vectors (N x the face model's size):
- ``subtract``: the distance to every row as ``norm(gallery - probe)`` (what a first version does);
- ``matmul``: ``sqrt(2 - 2 g.p)``, one BLAS matrix-vector product (``faces.GalleryIndex``, what
  the kiosk runs).
Both return the same nearest template (checked on every probe). Templates are synthetic (normal
noise, scaled to unit length); search time does not depend on their content.

    uv run python -m bench.search [--sizes 1000,10000,100000,1000000] [--probes 50]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.common import emit, summary, table
from clearance.core.settings import Settings
from clearance.vision import faces, models


def subtract(gallery: np.ndarray, probe: np.ndarray) -> tuple[int, float]:  # type: ignore[type-arg]
    distances = np.linalg.norm(gallery - probe, axis=1)
    index = int(np.argmin(distances))
    return index, float(distances[index])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--probes", type=int, default=50)
    parser.add_argument("--dimensions", type=int, default=None, help="default: the face model's")
    args = parser.parse_args()
    dimensions = args.dimensions or models.load(Settings().face_model).size
    rng = np.random.default_rng(1)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        gallery = faces.normalise(rng.normal(0, 1, size=(size, dimensions)).astype(np.float32))
        started = time.perf_counter()
        index = faces.GalleryIndex([gallery[i] for i in range(size)], size=dimensions)
        load_ms = (time.perf_counter() - started) * 1000
        noise = rng.normal(0, 0.3 / np.sqrt(dimensions), (args.probes, dimensions)).astype(np.float32)
        probes = faces.normalise(gallery[rng.integers(0, size, args.probes)] + noise)
        times: dict[str, list[float]] = {"subtract": [], "matmul": []}
        for probe in probes:
            started = time.perf_counter()
            a = subtract(gallery, probe)
            times["subtract"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            b = index.nearest(probe)
            times["matmul"].append((time.perf_counter() - started) * 1000)
            assert a[0] == b[0] and abs(a[1] - b[1]) < 1e-3, (a, b)
        figures = {
            "benchmark": "search_1_to_n",
            "templates": size,
            "subtract_ms": summary(times["subtract"]),
            "matmul_ms": summary(times["matmul"]),
            "matmul_index_load_ms": round(load_ms, 1),
            "dimensions": dimensions,
            "memory_mb": round(index.gallery.nbytes / 1e6, 1),
        }
        emit(figures)
        rows.append(
            (
                f"{size:,}",
                f"{figures['subtract_ms']['median']:.2f}",
                f"{figures['matmul_ms']['median']:.2f}",
                f"{figures['matmul_ms']['p95']:.2f}",
                f"{figures['memory_mb']}",
            )
        )
    table(
        "1:N search, exact, ms per probe",
        rows,
        ("templates", "subtract median", "matmul median", "matmul p95", "memory MB"),
    )


if __name__ == "__main__":
    main()
