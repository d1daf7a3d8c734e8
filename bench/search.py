"""1:N face search over the whitelist: time per probe and memory, 1,000 to 1,000,000 templates.

Two exact methods over one float32 matrix (N x 128):
- ``subtract``: the distance to every row as ``norm(gallery - probe)`` (what a first version does);
- ``matmul``: ``|g|^2 - 2 g.p + |p|^2`` with the rows' squared norms computed once when the gallery
  is loaded, so a probe costs one BLAS matrix-vector product.
Both return the same nearest template (checked on every probe). Templates are synthetic (normal
noise at the spread of real dlib encodings); search time does not depend on their content.

    uv run python -m bench.search [--sizes 1000,10000,100000,1000000] [--probes 50]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.common import emit, summary, table
from clearance.vision import faces


def subtract(gallery: np.ndarray, probe: np.ndarray) -> tuple[int, float]:  # type: ignore[type-arg]
    distances = np.linalg.norm(gallery - probe, axis=1)
    index = int(np.argmin(distances))
    return index, float(distances[index])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--probes", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        gallery = rng.normal(0, 0.09, size=(size, faces.ENCODING_SIZE)).astype(np.float32)
        started = time.perf_counter()
        index = faces.GalleryIndex(gallery)
        load_ms = (time.perf_counter() - started) * 1000
        probes = gallery[rng.integers(0, size, args.probes)] + rng.normal(0, 0.02, (args.probes, 128)).astype(
            np.float32
        )
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
            "memory_mb": round((gallery.nbytes + index.norms.nbytes) / 1e6, 1),
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
