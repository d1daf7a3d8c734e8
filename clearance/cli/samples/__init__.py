"""Sample commuters for the demo and the tests: real photographs, several per person.

The photos come from public repositories (see ``faces/MANIFEST.tsv`` for each one's source and
licence) and serve only as fixtures. The commuters get neutral labels, not the people's names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FACES_DIR = Path(__file__).resolve().parent / "faces"


@dataclass(frozen=True)
class SampleCommuter:
    label: str
    identity: str
    enrolment_photo: Path
    live_photo: Path
    """A different photo of the same person, standing in for the kiosk camera."""
    document_number: str


def photo(identity: str, number: int) -> Path:
    return FACES_DIR / identity / f"{number}.jpg"


SAMPLE_COMMUTERS = (
    SampleCommuter(
        "Sample Commuter A", "barack_obama", photo("barack_obama", 1), photo("barack_obama", 2), "K1234567"
    ),
    SampleCommuter(
        "Sample Commuter B",
        "scarlett_johansson",
        photo("scarlett_johansson", 1),
        photo("scarlett_johansson", 3),
        "H7654321",
    ),
    SampleCommuter(
        "Sample Commuter C", "sundar_pichai", photo("sundar_pichai", 1), photo("sundar_pichai", 2), "E0042424"
    ),
)
IMPOSTOR_PHOTO = photo("elon_musk", 1)
"""Someone who is not enrolled."""
