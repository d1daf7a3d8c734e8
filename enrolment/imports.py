"""Bulk import: many commuters from a CSV and a zip of their photos, row by row.

The upload is checked whole before any row is enrolled (columns, row count, zip sizes), so a
malformed file enrols nobody. Then each row is its own unit of work: the photo is turned into a
template, and the commuter is validated and stored in one transaction, so a row is enrolled whole
or not at all, and its outcome (or which field failed and why) is stored for the report. The job
runs in a worker thread of the server that received it; any process can answer for its progress.
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearance.db import utcnow
from clearance.errors import FaceCheckFailed, Forbidden, HetaoError, InvalidInput, NotFound, PayloadTooLarge
from clearance.keys import Keyring
from clearance.models import ImportJob, ImportRow, ImportStatus, Organisation, Park, Role, User
from clearance.settings import Settings
from enrolment import commuters, photos
from enrolment.commuters import DocumentType, Registration

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("full_name", "document_type", "document_number", "home_park", "valid_until", "photo")
OPTIONAL_COLUMNS = ("organisation", "face_only")
TRUE_WORDS = {"1", "true", "yes", "y"}


@dataclass(frozen=True)
class ImportRequest:
    """An upload that passed the whole-file checks: its rows and the photos they name."""

    filename: str
    rows: list[tuple[int, dict[str, str]]]
    archive: zipfile.ZipFile
    members: dict[str, zipfile.ZipInfo]


def read_upload(
    *, csv_bytes: bytes | None, zip_bytes: bytes, filename: str, user: User, settings: Settings
) -> ImportRequest:
    """Check an upload whole: a zip of photos, and a CSV given separately or inside the zip.

    Raises InvalidInput (not a zip, no CSV, missing columns, too many rows, a photo the CSV
    names twice...) or PayloadTooLarge (a member that would inflate past the limits)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(f"the photos file is not a zip archive ({exc})") from None
    members: dict[str, zipfile.ZipInfo] = {}
    csv_members = []
    for info in infos:
        if info.is_dir():
            continue
        if info.file_size > settings.max_upload_bytes:
            raise PayloadTooLarge(f"{info.filename} inflates to {info.file_size} bytes, over the photo limit")
        name = PurePosixPath(info.filename)
        if name.suffix.lower() == ".csv":
            csv_members.append(info)
        members[name.name] = info
    if sum(info.file_size for info in members.values()) > settings.max_import_bytes * 2:
        raise PayloadTooLarge("the zip inflates to more than twice the import limit")
    if csv_bytes is None:
        if len(csv_members) != 1:
            raise InvalidInput("send the CSV as its own file, or put exactly one .csv file in the zip")
        csv_bytes = archive.read(csv_members[0])
    try:
        text = csv_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the CSV must be UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if user.role is Role.OFFICER and "organisation" not in columns:
        missing.append("organisation")
    if missing:
        raise InvalidInput(f"the CSV lacks the column(s) {', '.join(missing)}")
    unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise InvalidInput(f"the CSV has column(s) this import does not know: {', '.join(unknown)}")
    rows = []
    for row in reader:
        values = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(values.values()):
            continue
        rows.append((reader.line_num, values))
        if len(rows) > settings.max_import_rows:
            raise InvalidInput(f"an import holds at most {settings.max_import_rows} rows")
    if not rows:
        raise InvalidInput("the CSV holds no rows")
    return ImportRequest(filename=filename[:200], rows=rows, archive=archive, members=members)


def create_job(session: Session, *, request: ImportRequest, user: User) -> ImportJob:
    job = ImportJob(
        organisation_id=user.organisation_id,
        created_by_id=user.id,
        filename=request.filename,
        total=len(request.rows),
    )
    session.add(job)
    session.flush()
    return job


def get_job_or_raise(session: Session, job_id: uuid.UUID, *, user: User) -> ImportJob:
    job = session.get(ImportJob, job_id)
    # Enrollers see their organisation's imports; officers see all.
    if job is None or (user.role is not Role.OFFICER and job.organisation_id != user.organisation_id):
        raise NotFound(f"no import with id {job_id}")
    return job


def job_rows(session: Session, job: ImportJob) -> list[ImportRow]:
    return list(session.scalars(select(ImportRow).where(ImportRow.job_id == job.id).order_by(ImportRow.line)))


class RowFailed(Exception):
    def __init__(self, field: str | None, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


def _registration(session: Session, values: dict[str, str], *, user: User) -> Registration:
    def choice(allowed: type[DocumentType] | type[Park], field: str) -> str:
        value = values[field].lower()
        if value not in {member.value for member in allowed}:
            raise RowFailed(field, f"{values[field]!r} is not a valid {field}")
        return value

    if user.role is Role.OFFICER:
        name = values.get("organisation", "")
        organisation = session.scalar(
            select(Organisation).where(func.lower(Organisation.name) == name.lower())
        )
        if organisation is None:
            raise RowFailed("organisation", f"no organisation named {name!r}")
        organisation_id = organisation.id
    else:
        assert user.organisation_id is not None
        organisation_id = user.organisation_id
    try:
        valid_until = date.fromisoformat(values["valid_until"])
    except ValueError:
        raise RowFailed("valid_until", f"{values['valid_until']!r} is not a date like 2027-06-30") from None
    return Registration(
        full_name=values["full_name"],
        document_type=DocumentType(choice(DocumentType, "document_type")),
        document_number=values["document_number"],
        organisation_id=organisation_id,
        home_park=Park(choice(Park, "home_park")),
        valid_until=valid_until,
        face_only=values.get("face_only", "").lower() in TRUE_WORDS,
    )


def _field_of(error: HetaoError) -> str | None:
    if isinstance(error, FaceCheckFailed | PayloadTooLarge) or "photo" in error.detail:
        return "photo"
    for field in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
        if error.detail.startswith(field):
            return field
    if isinstance(error, Forbidden):
        return "organisation"
    return None


@dataclass
class ImportRunner:
    """Works through import jobs one at a time in a background thread."""

    unit_of_work: Callable[[], AbstractContextManager[Session]]
    """Opens one unit of work on the server's database (AppContext.unit_of_work)."""
    settings: Settings
    keyring: Keyring

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hetao-import")

    def submit(self, *, job_id: uuid.UUID, user_id: uuid.UUID, request: ImportRequest) -> Future[None]:
        return self._pool.submit(self.run, job_id=job_id, user_id=user_id, request=request)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def run(self, *, job_id: uuid.UUID, user_id: uuid.UUID, request: ImportRequest) -> None:
        with self.unit_of_work() as session:
            job = session.get(ImportJob, job_id)
            assert job is not None
            job.status = ImportStatus.RUNNING
        try:
            for line, values in request.rows:
                self._import_row(job_id=job_id, user_id=user_id, line=line, values=values, request=request)
        except Exception as exc:
            log.exception("import %s stopped", job_id)
            with self.unit_of_work() as session:
                job = session.get(ImportJob, job_id)
                assert job is not None
                job.status = ImportStatus.FAILED
                job.error = f"the import stopped: {type(exc).__name__}"[:500]
                job.finished_at = utcnow()
            return
        with self.unit_of_work() as session:
            job = session.get(ImportJob, job_id)
            assert job is not None
            job.status = ImportStatus.DONE
            job.finished_at = utcnow()

    def _import_row(
        self,
        *,
        job_id: uuid.UUID,
        user_id: uuid.UUID,
        line: int,
        values: dict[str, str],
        request: ImportRequest,
    ) -> None:
        template: photos.Template | None = None
        failure: RowFailed | None = None
        try:
            photo_name = PurePosixPath(values["photo"]).name
            info = request.members.get(photo_name)
            if not photo_name or info is None:
                raise RowFailed("photo", f"the zip holds no photo named {values['photo']!r}")
            image = photos.load_photo(request.archive.read(info), settings=self.settings)
            # The slow part (~0.4 s) runs before the database is touched, outside the SQLite lock.
            template = photos.make_template(image, settings=self.settings)
        except RowFailed as exc:
            failure = exc
        except HetaoError as exc:
            failure = RowFailed("photo", exc.detail)
        with self.unit_of_work() as session:
            user = session.get(User, user_id)
            job = session.get(ImportJob, job_id)
            assert user is not None and job is not None
            commuter_id = None
            if failure is None and template is not None:
                try:
                    # A savepoint: a row that fails here leaves nothing of itself behind.
                    with session.begin_nested():
                        registration = commuters.validate_registration(
                            session,
                            registration=_registration(session, values, user=user),
                            enroller=user,
                            index_key=self.keyring.index_key,
                        )
                        commuter_id = commuters.enrol_commuter(
                            session,
                            registration=registration,
                            template=template,
                            enroller=user,
                            keyring=self.keyring,
                        ).id
                except RowFailed as exc:
                    failure = exc
                except HetaoError as exc:
                    failure = RowFailed(_field_of(exc), exc.detail)
            session.add(
                ImportRow(
                    job_id=job_id,
                    line=line,
                    full_name=values.get("full_name", "")[:200],
                    enrolled=failure is None,
                    commuter_id=commuter_id,
                    field=failure.field if failure else None,
                    error=failure.detail[:500] if failure else None,
                )
            )
            job.processed += 1
            if failure is None:
                job.enrolled += 1
            else:
                job.failed += 1
