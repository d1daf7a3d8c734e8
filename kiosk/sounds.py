"""A distinct sound for each outcome, made here (no sound files to ship): rising tones for
"walk on", a double mid tone for "try again", a steady low tone for "see the officer", falling
tones for a refusal. Played with ALSA's ``aplay`` where the kiosk has it, without waiting."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from enum import StrEnum

import numpy as np

RATE = 16_000


class Cue(StrEnum):
    CLEARED = "cleared"
    TRY_AGAIN = "try_again"
    COUNTER = "counter"
    REFUSED = "refused"


NOTES: dict[Cue, tuple[tuple[float, float], ...]] = {
    # (frequency in Hz, seconds); a frequency of 0 is a pause.
    Cue.CLEARED: ((880.0, 0.12), (1320.0, 0.2)),
    Cue.TRY_AGAIN: ((660.0, 0.14), (0.0, 0.08), (660.0, 0.14)),
    Cue.COUNTER: ((523.0, 0.45),),
    Cue.REFUSED: ((440.0, 0.18), (294.0, 0.35)),
}


def samples(cue: Cue) -> np.ndarray:
    """The cue as float samples in [-1, 1], each note faded in and out (no clicks)."""
    parts = []
    for frequency, seconds in NOTES[cue]:
        t = np.arange(int(RATE * seconds)) / RATE
        note = np.sin(2 * np.pi * frequency * t) if frequency else np.zeros_like(t)
        fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.01)
        parts.append(0.6 * note * fade)
    return np.concatenate(parts)


def wav(cue: Cue) -> bytes:
    """The cue as a 16-bit mono WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(RATE)
        file.writeframes((samples(cue) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def play(cue: Cue) -> bool:
    """Start playing ``cue`` and return at once; False where the kiosk has no ``aplay``."""
    player = shutil.which("aplay")
    if player is None:
        return False
    process = subprocess.Popen(  # noqa: S603 (a fixed command)
        [player, "-q", "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    assert process.stdin is not None
    try:
        process.stdin.write(wav(cue))
        process.stdin.close()
    except BrokenPipeError:
        return False
    return True
