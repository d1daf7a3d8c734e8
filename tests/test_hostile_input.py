"""Input an attacker would send: image formats nobody should decode, times that do not exist in
UTC, damaged zips, fields too long for the CSV reader, bodies over the limit with or without a
length. Each is refused in the contract's shape (never a 5xx), and a refused request writes
nothing."""

from __future__ import annotations

import io
import struct
import uuid
import zipfile
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core.zone import utcnow
from clearance.vision import images
from tests.support import API, World, enrol_active, photo_zip, post_commuter, table_counts

A = SAMPLE_COMMUTERS[0]
FOREIGN_FORMATS = (
    "EPS",
    "TIFF",
    "JPEG2000",
    "SPIDER",
    "QOI",
    "BMP",
    "GIF",
    "WEBP",
    "PPM",
    "TGA",
    "PCX",
    "ICO",
)


def image_as(fmt: str) -> bytes:
    """A real photo's pixels in ``fmt``: a picture, but not in a format uploads may use."""
    photo = Image.open(A.enrolment_photo).convert("RGB")
    photo.thumbnail((400, 400))
    out = io.BytesIO()
    (photo.convert("L") if fmt == "SPIDER" else photo).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", FOREIGN_FORMATS)
def test_only_jpeg_and_png_are_decoded(fmt: str) -> None:
    data = image_as(fmt)
    with pytest.raises(images.ImageRejected, match="not an image in an accepted format"):
        images.decode_image(data, max_pixels=40_000_000)


def test_an_eps_is_refused_at_every_door_without_running_ghostscript(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    eps = image_as("EPS")
    before = table_counts(sessions)
    registered = post_commuter(client, world.enroller_a, world.org_a, eps)
    assert (registered.status_code, registered.json()["error"]) == (422, "InvalidImage")
    verified = client.post(
        f"{API}/kiosk/verify",
        headers=world.kiosk,
        files={"frame": ("frame.eps", eps, "application/postscript")},
    )
    assert (verified.status_code, verified.json()["error"]) == (422, "InvalidImage")
    assert table_counts(sessions) == before


def test_a_photo_in_a_foreign_format_inside_an_import_fails_its_row_only(
    client: TestClient, world: World
) -> None:
    archive = io.BytesIO()
    valid = str((utcnow() + timedelta(days=100)).date())
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr(
            "commuters.csv",
            "full_name,document_type,document_number,home_park,valid_until,photo\n"
            f"Tiff Person,passport,T1234567,hk,{valid},t.tif\n"
            f"Jpeg Person,passport,J1234567,hk,{valid},j.jpg\n",
        )
        out.writestr("t.tif", image_as("TIFF"))
        out.writestr("j.jpg", A.enrolment_photo.read_bytes())
    job = client.post(
        f"{API}/commuters/import",
        headers=world.enroller_a.headers,
        files={"photos": ("i.zip", archive.getvalue(), "application/zip")},
    )
    assert job.status_code == 202, job.text
    report = client.get(f"{API}/imports/{job.json()['id']}", headers=world.enroller_a.headers).json()
    assert [(r["full_name"], r["enrolled"], r["field"]) for r in report["rows"]] == [
        ("Tiff Person", False, "photo"),
        ("Jpeg Person", True, None),
    ]


EXTREME_TIMES = (
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59-23:59",
)


@pytest.mark.parametrize("moment", EXTREME_TIMES)
def test_a_time_that_does_not_exist_in_utc_is_bad_input(
    client: TestClient, world: World, moment: str
) -> None:
    for path, headers in (("/crossings", world.officer.headers), ("/audit", world.officer.headers)):
        for name in ("since", "until") if path == "/crossings" else ("since",):
            response = client.get(f"{API}{path}", params={name: moment}, headers=headers)
            assert response.status_code == 422, (path, name, response.text)
            assert response.json()["error"] == "ValidationFailed"
    record = {"id": str(uuid.uuid4()), "decided_at": moment, "decision": "rejected", "reasons": ["no_qr"]}
    delivered = world.signer.deliver(client, "", [record])
    assert delivered.status_code == 200
    (result,) = delivered.json()["results"]
    assert result["status"] == "invalid" and "out of range" in result["detail"]
    batch = world.signer.batch([])
    batch["sent_at"] = moment
    assert world.signer.send(client, "", batch).status_code == 422


def damaged_zips() -> Iterator[tuple[str, bytes]]:
    """A zip whose CSV member is damaged in each of the ways the zip format allows."""
    header = "full_name,document_type,document_number,home_park,valid_until,photo\n"
    csv = (header + "Ada,passport,X1234567,hk,2030-01-01,a.jpg\n" * 40).encode()

    def build(compression: int = zipfile.ZIP_DEFLATED) -> bytearray:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=compression) as archive:
            archive.writestr("commuters.csv", csv)
        return bytearray(out.getvalue())

    def local_header(data: bytearray) -> int:
        return data.index(b"PK\x03\x04")

    def central(data: bytearray) -> int:
        return data.index(b"PK\x01\x02")

    bad_crc = build()
    struct.pack_into("<I", bad_crc, local_header(bad_crc) + 14, 0xDEADBEEF)
    struct.pack_into("<I", bad_crc, central(bad_crc) + 16, 0xDEADBEEF)
    yield "bad CRC", bytes(bad_crc)
    corrupt = build()
    start = local_header(corrupt) + 30 + len("commuters.csv")
    corrupt[start : start + 8] = b"\xff" * 8
    yield "corrupt deflate stream", bytes(corrupt)
    method = build()
    for offset in (local_header(method) + 8, central(method) + 10):
        struct.pack_into("<H", method, offset, 9)  # deflate64: not supported
    yield "compression method 9", bytes(method)
    encrypted = build()
    for offset in (local_header(encrypted) + 6, central(encrypted) + 8):
        struct.pack_into("<H", encrypted, offset, struct.unpack_from("<H", encrypted, offset)[0] | 1)
    yield "encrypted flag", bytes(encrypted)
    false_size = build(zipfile.ZIP_STORED)
    for offset in (local_header(false_size) + 22, central(false_size) + 24):
        struct.pack_into("<I", false_size, offset, 10)  # says 10 bytes, holds more
    yield "false declared size", bytes(false_size)


@pytest.mark.parametrize(("case", "archive"), list(damaged_zips()), ids=[case for case, _ in damaged_zips()])
def test_a_damaged_csv_member_is_bad_input(
    client: TestClient, world: World, sessions: sessionmaker[Session], case: str, archive: bytes
) -> None:
    before = table_counts(sessions)
    response = client.post(
        f"{API}/commuters/import",
        headers=world.enroller_a.headers,
        files={"photos": ("i.zip", archive, "application/zip")},
    )
    assert response.status_code == 422, (case, response.text)
    assert response.json()["error"] == "InvalidInput"
    assert table_counts(sessions) == before


def test_a_csv_field_too_long_for_the_reader_is_bad_input(client: TestClient, world: World) -> None:
    csv = (
        "full_name,document_type,document_number,home_park,valid_until,photo\n" + '"' + "x" * 140_000 + '"\n'
    )
    response = client.post(
        f"{API}/commuters/import",
        headers=world.enroller_a.headers,
        files={
            "photos": ("p.zip", photo_zip([], valid_until="2030-01-01"), "application/zip"),
            "csv": ("c.csv", csv.encode(), "text/csv"),
        },
    )
    assert response.status_code == 422, response.text
    assert "cannot be read" in response.json()["detail"]


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size


def test_a_body_over_the_limit_is_refused_whether_or_not_it_says_its_length(
    client: TestClient, world: World
) -> None:
    # Chunked (no Content-Length): the server stops reading at the limit.
    chunked = client.post(
        f"{API}/kiosk/crossings",
        headers={**world.kiosk, "Content-Type": "application/json"},
        content=chunks(60 * 1024 * 1024),
    )
    assert chunked.status_code == 413
    assert chunked.json()["error"] == "PayloadTooLarge"
    # Declared: refused from the header, before a byte is read.
    declared = client.post(
        f"{API}/kiosk/verify",
        headers={**world.kiosk, "Content-Length": str(100 * 1024 * 1024)},
        content=b"",
    )
    assert declared.status_code == 413
    # A chunked upload of a photo too large, through the form parser.
    form = client.post(
        f"{API}/kiosk/verify",
        headers={**world.kiosk, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=chunks(40 * 1024 * 1024),
    )
    assert form.status_code == 413
    # The server goes on answering.
    _commuter, credential = enrol_active(client, world, A)
    assert credential["payload"].startswith("HC1:")
