"""The one inference runtime every network runs on: OpenVINO Runtime (Apache-2.0).

It reads Intel's IR files (the face embedding, the five-point landmarks, the face detector) as
they are published, and ONNX files (MiniFASNet, an operator's own face model) alike, so the
project keeps no converter and one runtime. Measured against onnxruntime in ``bench/runtime.py``.

    network = runtime.Network(path, threads=1)
    output = network.infer(batch)          # a float32 NCHW array in, the first output out

Each network runs on ``threads`` threads (one is best on the kiosk's two cores, where detection,
QR decoding and the networks run side by side; ``HETAO_INFERENCE_THREADS``). A network may be
called from several threads at once: each thread gets its own inference request, and OpenVINO
releases the GIL while it infers. Nothing is downloaded: a network is a file on disk.
"""

from __future__ import annotations

import hashlib
import threading
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray


@cache
def _core() -> Any:
    import openvino

    return openvino.Core()


class Network:
    """One network file (IR ``.xml`` with its ``.bin`` beside it, or ``.onnx``), compiled for the
    CPU on first use (or ``load()``)."""

    def __init__(self, path: Path, *, threads: int = 1, sha256: str | None = None) -> None:
        self.path = path
        self.threads = threads
        self.sha256 = sha256
        """Of the weights (the ``.bin`` of an IR, the file itself for ONNX), checked on loading."""
        self._compiled: Any = None
        self._lock = threading.Lock()
        self._local = threading.local()

    def load(self) -> None:
        """Read and compile the network now rather than on the first call."""
        self._compile()

    def _compile(self) -> Any:
        with self._lock:
            if self._compiled is None:
                if not self.path.is_file():
                    raise ValueError(f"{self.path} does not exist")
                weights = self.path.with_suffix(".bin") if self.path.suffix == ".xml" else self.path
                if self.sha256 and hashlib.sha256(weights.read_bytes()).hexdigest() != self.sha256:
                    raise ValueError(f"{weights} is not the file its manifest names (its sha256 differs)")
                model = _core().read_model(str(self.path))
                self._compiled = _core().compile_model(
                    model,
                    "CPU",
                    {
                        "INFERENCE_NUM_THREADS": self.threads,
                        "NUM_STREAMS": 1,
                        "PERFORMANCE_HINT": "LATENCY",
                        # Full precision everywhere: on CPUs with bfloat16 units the plugin would
                        # otherwise compute in bf16, and thresholds are calibrated on f32 outputs.
                        "INFERENCE_PRECISION_HINT": "f32",
                    },
                )
            return self._compiled

    @property
    def input_shape(self) -> tuple[int, ...]:
        shape = self._compile().inputs[0].get_partial_shape()
        return tuple(d.get_length() if d.is_static else 1 for d in shape)

    def infer(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        """The network's first output for ``batch`` (float32, the input's layout)."""
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._compile().create_infer_request()
        result = request.infer({0: np.ascontiguousarray(batch, dtype=np.float32)})
        return np.asarray(next(iter(result.values())), dtype=np.float32).copy()
