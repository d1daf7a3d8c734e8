"""Bulk import: the whole upload is checked first; then each row is enrolled whole or not at all,
and the report says which field of which line failed and why."""

from __future__ import annotations

import io
import struct
import threading
import uuid
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from clearance.cli.samples import SAMPLE_COMMUTERS
from clearance.core.enums import ImportStatus
from clearance.core.errors import ServerBusy
from clearance.core.metrics import Metrics
from clearance.core.settings import Settings
from clearance.core.zone import utcnow
from clearance.db.actors import UserActor
from clearance.db.engine import session_scope
from clearance.db.keyring import Keyring
from clearance.db.models import AuditEvent, Commuter, FaceTemplate, ImportJob, User
from enrolment import imports
from tests.support import API, DATA, World, table_counts

A, B = SAMPLE_COMMUTERS[0], SAMPLE_COMMUTERS[1]
HEADER = "full_name,document_type,document_number,home_park,valid_until,photo\n"


def make_zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_each_row_is_enrolled_whole_or_reported_with_its_field_and_reason(
    world: World, sessions: sessionmaker[Session], settings: Settings, app_keyring: Keyring
) -> None:
    valid = (utcnow() + timedelta(days=300)).date().isoformat()
    csv = (
        HEADER
        + f"Ada Import,passport,IMP00001,hk,{valid},ada.jpg\n"
        + f"Bo Import,hk_identity_card,A1234563,sz,{valid},photos/bo.jpg\n"
        + f"Nobody Face,passport,IMP00003,hk,{valid},empty.jpg\n"
        + f"Wrong Type,library_card,IMP00004,hk,{valid},ada.jpg\n"
        + f"No Photo,passport,IMP00005,hk,{valid},missing.jpg\n"
        + f"Ada Again,passport,IMP00001,hk,{valid},ada.jpg\n"
        + "Old Date,passport,IMP00007,hk,2001-01-01,ada.jpg\n"
        + f"Bad Digit,hk_identity_card,A123456(4),hk,{valid},ada.jpg\n"
        + f"Bo Twice,hk_identity_card,A123456(3),hk,{valid},ada.jpg\n"
        + "Many Wrong,library_card,IMP00011,xx,someday,empty.jpg\n"
    )
    archive = make_zip(
        {
            "commuters.csv": csv.encode(),
            "ada.jpg": A.enrolment_photo.read_bytes(),
            "photos/bo.jpg": B.enrolment_photo.read_bytes(),
            "empty.jpg": (DATA / "no_face_3.jpg").read_bytes(),
        }
    )
    with session_scope(sessions) as session:
        enroller = session.get(User, world.enroller_a.user_id)
        assert enroller is not None
        request = imports.read_upload(
            csv_bytes=None, zip_bytes=archive, filename="up.zip", user=enroller, settings=settings
        )
        job_id = imports.start_import(
            session, request=request, actor=UserActor(enroller), submit=lambda _job, _request: None
        ).id
    runner = imports.ImportRunner(
        unit_of_work=lambda: session_scope(sessions),
        settings=settings,
        keyring=app_keyring,
        metrics=Metrics(),
    )
    runner.run(job_id=job_id, user_id=world.enroller_a.user_id, ip=None, request=request)

    with sessions() as session:
        job = imports.get_job_or_raise(session, job_id, user=enroller)
        assert (job.status, job.total, job.processed, job.enrolled, job.failed) == (
            ImportStatus.DONE,
            10,
            10,
            2,
            8,
        )
        report = {
            row.line: (row.full_name, row.enrolled, row.field) for row in imports.job_rows(session, job)
        }
        assert report == {
            2: ("Ada Import", True, None),
            3: ("Bo Import", True, None),
            4: ("Nobody Face", False, "photo"),
            5: ("Wrong Type", False, "document_type"),
            6: ("No Photo", False, "photo"),
            7: ("Ada Again", False, "document_number"),
            8: ("Old Date", False, "valid_until"),
            9: ("Bad Digit", False, "document_number"),
            10: ("Bo Twice", False, "document_number"),
            # Every problem of a row at once, the photo's too: not one per round of fixing.
            11: ("Many Wrong", False, "document_type, home_park, valid_until, photo"),
        }
        errors = {row.line: row.error for row in imports.job_rows(session, job)}
        assert "no face was found" in (errors[4] or "")
        assert "already registered" in (errors[7] or "")
        assert "check digit" in (errors[9] or "")
        assert [part.split(" ")[0] for part in (errors[11] or "").split("; ")] == [
            "'library_card'",
            "'xx'",
            "'someday'",
            "no",
        ], errors[11]
        # The same identity card number, typed with its check digit in brackets, is the same card.
        assert "already registered hk_identity_card A123456(3)" in (errors[10] or "")
        # Nothing half-enrolled: exactly the two good rows have a commuter, each with a template.
        names = set(
            session.scalars(select(Commuter.full_name).where(Commuter.organisation_id == world.org_a))
        )
        assert names == {"Ada Import", "Bo Import"}
        assert session.scalar(select(func.count()).select_from(FaceTemplate)) == 2


def test_an_upload_that_is_wrong_as_a_whole_enrols_nobody(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    before = table_counts(sessions)
    photo = A.enrolment_photo.read_bytes()
    cases = [
        ({"photos": ("p.zip", b"not a zip", "application/zip")}, "not a zip archive"),
        ({"photos": ("p.zip", make_zip({"a.jpg": photo}), "application/zip")}, "exactly one .csv"),
        (
            {
                "photos": ("p.zip", make_zip({"a.jpg": photo}), "application/zip"),
                "csv": ("c.csv", b"full_name,photo\nAda,a.jpg\n", "text/csv"),
            },
            "lacks the column(s) document_type",
        ),
        (
            {
                "photos": ("p.zip", make_zip({"a.jpg": photo}), "application/zip"),
                "csv": ("c.csv", HEADER.encode(), "text/csv"),
            },
            "holds no rows",
        ),
    ]
    for files, detail in cases:
        answer = client.post(f"{API}/commuters/import", headers=world.enroller_a.headers, files=files)
        assert answer.status_code == 422, answer.text
        assert detail in answer.json()["detail"]
    # A zip bomb: a few kilobytes that would inflate to more than a photo may be. Refused from the
    # zip's directory, before anything is inflated.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.jpg", b"\0" * (11 * 1024 * 1024))
    assert len(out.getvalue()) < 100_000
    bomb = client.post(
        f"{API}/commuters/import",
        headers=world.enroller_a.headers,
        files={
            "photos": ("p.zip", out.getvalue(), "application/zip"),
            "csv": ("c.csv", HEADER.encode(), "text/csv"),
        },
    )
    assert bomb.status_code == 413
    assert "inflates to" in bomb.json()["detail"]
    assert table_counts(sessions) == before


@pytest.mark.parametrize(
    ("encoding", "name", "number"),
    [("gb18030", "刘德华", "GBK00001"), ("big5hkscs", "陳大文", "BIG500001")],
)
def test_a_csv_that_excel_saved_in_chinese_is_read_in_its_encoding(
    client: TestClient, world: World, sessions: sessionmaker[Session], encoding: str, name: str, number: str
) -> None:
    valid = (utcnow() + timedelta(days=300)).date().isoformat()
    csv = HEADER.strip() + ",chinese_name\n" + f"{number} Import,passport,{number},hk,{valid},a.jpg,{name}\n"
    files = {
        "photos": ("p.zip", make_zip({"a.jpg": A.enrolment_photo.read_bytes()}), "application/zip"),
        "csv": ("c.csv", csv.encode(encoding), "text/csv"),
    }
    # As UTF-8 it cannot be read: the answer says which encodings to choose.
    refused = client.post(f"{API}/commuters/import", headers=world.enroller_a.headers, files=files)
    assert refused.status_code == 422, refused.text
    assert "gb18030" in refused.json()["detail"] and "big5hkscs" in refused.json()["detail"]
    # Given its encoding, the row is enrolled with its Chinese name as written.
    started = client.post(
        f"{API}/commuters/import", headers=world.enroller_a.headers, files=files, data={"encoding": encoding}
    )
    assert started.status_code == 202, started.text
    job = client.get(f"{API}/imports/{started.json()['id']}", headers=world.enroller_a.headers).json()
    assert (job["status"], job["enrolled"]) == ("done", 1), job
    with sessions() as session:
        assert (
            session.scalar(select(Commuter.chinese_name).where(Commuter.full_name == f"{number} Import"))
            == name
        )


def test_a_row_that_breaks_the_database_or_the_zip_fails_alone(client: TestClient, world: World) -> None:
    """One NUL in one row (PostgreSQL text cannot hold it) or one photo whose declared size is
    false: that row fails, with its reason; every other row is tried and enrolled."""
    valid = (utcnow() + timedelta(days=300)).date().isoformat()
    csv = (
        HEADER
        + f"Before Person,passport,NUL00001,hk,{valid},a.jpg\n"
        + f"Nul\x00Person,passport,NUL00002,hk,{valid},b.jpg\n"
        + f"Lying Size,passport,NUL00003,hk,{valid},lying.jpg\n"
        + f"After Person,passport,NUL00004,hk,{valid},b.jpg\n"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("commuters.csv", csv)
        archive.writestr("a.jpg", A.enrolment_photo.read_bytes())
        archive.writestr("b.jpg", B.enrolment_photo.read_bytes())
        archive.writestr("lying.jpg", A.enrolment_photo.read_bytes())
    data = bytearray(out.getvalue())
    # lying.jpg's headers say it holds 1,000 bytes: reading it fails its check.
    local = data.index(b"PK\x03\x04lying"[:4], data.index(b"lying.jpg") - 30)
    struct.pack_into("<I", data, local + 22, 1000)
    struct.pack_into("<I", data, local + 18, 1000)
    central = data.index(b"lying.jpg", data.index(b"PK\x01\x02")) - 46
    struct.pack_into("<I", data, central + 24, 1000)
    struct.pack_into("<I", data, central + 20, 1000)
    job = client.post(
        f"{API}/commuters/import",
        headers=world.enroller_a.headers,
        files={"photos": ("i.zip", bytes(data), "application/zip")},
    )
    assert job.status_code == 202, job.text
    report = client.get(f"{API}/imports/{job.json()['id']}", headers=world.enroller_a.headers).json()
    assert report["status"] == "done"
    rows = {row["line"]: (row["enrolled"], row["field"]) for row in report["rows"]}
    assert rows[2] == (True, None) and rows[5] == (True, None)
    assert rows[4] == (False, "photo")
    assert report["total"] == report["processed"] == 4


def one_row_archive(name: str, document_number: str) -> bytes:
    """An import of one commuter, valid for 300 days, with A's enrolment photo."""
    valid = (utcnow() + timedelta(days=300)).date().isoformat()
    csv = HEADER + f"{name},passport,{document_number},hk,{valid},photo.jpg\n"
    return make_zip({"commuters.csv": csv.encode(), "photo.jpg": A.enrolment_photo.read_bytes()})


def runner_behind_busy_worker(
    sessions: sessionmaker[Session], settings: Settings, keyring: Keyring, **options: Any
) -> tuple[imports.ImportRunner, threading.Event, ThreadPoolExecutor]:
    """An import runner whose one worker is busy until the event is set: what it is given waits."""
    busy = threading.Event()
    worker = ThreadPoolExecutor(max_workers=1)
    worker.submit(busy.wait)
    runner = imports.ImportRunner(
        unit_of_work=lambda: session_scope(sessions),
        settings=settings,
        keyring=keyring,
        metrics=Metrics(),
        executor=worker,
        **options,
    )
    return runner, busy, worker


def test_an_import_whose_server_stopped_is_settled_not_left_running_for_ever(
    world: World, sessions: sessionmaker[Session], settings: Settings, app_keyring: Keyring
) -> None:
    archive = one_row_archive("Ada Import", "IMP00011")
    # This process's import worker is busy with a long import; the second job waits behind it.
    # The first job was given to a process that has since stopped.
    runner, long_import, worker = runner_behind_busy_worker(sessions, settings, app_keyring)
    to_this_process = runner.submitter(user_id=world.enroller_a.user_id, ip=None)
    queued: list[Future[None]] = []
    started = []
    with session_scope(sessions) as session:
        enroller = session.get(User, world.enroller_a.user_id)
        assert enroller is not None
        for name in ("stopped.zip", "alive.zip"):
            request = imports.read_upload(
                csv_bytes=None, zip_bytes=archive, filename=name, user=enroller, settings=settings
            )

            def submit(job_id: uuid.UUID, request: imports.ImportRequest, name: str = name) -> None:
                if name == "alive.zip":
                    queued.append(to_this_process(job_id, request))
                else:
                    request.close()  # the stopped process's copy went with it

            started.append(
                imports.start_import(session, request=request, actor=UserActor(enroller), submit=submit).id
            )
    stopped, alive = started
    assert runner.held() == [alive]
    later = utcnow() + imports.ABANDONED_AFTER + timedelta(minutes=1)
    with session_scope(sessions) as session:
        assert [job.id for job in runner.watch(session, now=utcnow())] == []  # nothing is late yet
    # Neither has moved for longer than ABANDONED_AFTER when the watch next looks: this process
    # still holds the second, nobody holds the first.
    with session_scope(sessions) as session:
        assert [job.id for job in runner.watch(session, now=later)] == [stopped]
    with sessions() as session:
        gone = session.get(ImportJob, stopped)
        kept = session.get(ImportJob, alive)
        assert gone is not None and kept is not None
        assert gone.status is ImportStatus.FAILED and gone.finished_at is not None
        assert gone.error == "the server stopped during this import after 0 of 1 rows: import it again"
        assert kept.status is ImportStatus.QUEUED
        recorded = session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "abandon_import"))
        assert list(recorded) == [str(stopped)]
    # The long import ends; the queued one runs to its end and is no longer held.
    long_import.set()
    queued[0].result(timeout=300)
    worker.shutdown()
    with sessions() as session:
        kept = session.get(ImportJob, alive)
        assert kept is not None and (kept.status, kept.enrolled) == (ImportStatus.DONE, 1)
    assert runner.held() == []


def test_a_process_holding_its_share_of_imports_refuses_another_until_one_ends(
    world: World, sessions: sessionmaker[Session], settings: Settings, app_keyring: Keyring
) -> None:
    archive = one_row_archive("Bo Import", "IMP00012")
    # The import worker is busy: what is submitted waits its turn, held.
    runner, busy, worker = runner_behind_busy_worker(sessions, settings, app_keyring, max_held=1)
    runner.check_room()  # room for one
    with session_scope(sessions) as session:
        enroller = session.get(User, world.enroller_a.user_id)
        assert enroller is not None
        request = imports.read_upload(
            csv_bytes=None, zip_bytes=archive, filename="bo.zip", user=enroller, settings=settings
        )
        submit = runner.submitter(user_id=enroller.id, ip=None)
        queued: list[Future[None]] = []
        imports.start_import(
            session,
            request=request,
            actor=UserActor(enroller),
            submit=lambda job_id, request: queued.append(submit(job_id, request)),
        )
    with pytest.raises(ServerBusy, match="1 imports are queued or running: send this one again"):
        runner.check_room()
    busy.set()
    queued[0].result(timeout=300)
    worker.shutdown()
    runner.check_room()  # the import ended: room again
