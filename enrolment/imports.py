"""Bulk import: many commuters from a CSV and a zip of their photos, row by row.

The upload is checked whole before any row is enrolled (columns, row count, zip sizes), so a
malformed file enrols nobody. Then each row stands alone: the photo is turned into a template,
and the commuter is validated and stored in one transaction, so a row is enrolled whole or not
at all, and its outcome (or which field failed and why) is stored for the report; nothing one
row holds (a damaged photo in the zip, a character the database refuses) stops the rows after
it. The job runs in a worker thread of the server that received it; any process can answer for
its progress.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import tempfile
import threading
import uuid
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import PurePosixPath

from sqlalchemy import func, select, update
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from clearance.audit import service as audit
from clearance.core import spreadsheet, vault
from clearance.core.enums import AuditAction, CsvEncoding, DocumentType, ImportStatus, Park, Role
from clearance.core.errors import HetaoError, InvalidInput, NotFound, PayloadTooLarge, ServerBusy
from clearance.core.messages import Message, Words, words
from clearance.core.metrics import Metrics
from clearance.core.settings import Settings
from clearance.core.zone import utcnow
from clearance.db.actors import Actor, SystemActor, UserActor
from clearance.db.engine import after_commit
from clearance.db.keyring import Keyring
from clearance.db.models import ImportJob, ImportRow, Organisation, User, person_name
from enrolment import commuters, photos
from enrolment.commuters import Registration

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("full_name", "document_type", "document_number", "home_park", "valid_until", "photo")
OPTIONAL_COLUMNS = ("chinese_name", "organisation", "face_only")
REPORT_COLUMNS = ("line", "field", "reason")
"""What the failed-rows CSV adds after a row's own cells; an import skips them."""
TRUE_WORDS = {"1", "true", "yes", "y"}
PHOTO_SEPARATOR = ";"
"""A row's photo column may name several photos of the commuter: ``a.jpg;b.jpg``."""
# What reading a damaged zip member can raise: a bad CRC or a false size (BadZipFile), a corrupt
# deflate stream (zlib.error), an unsupported compression method (NotImplementedError), the
# encrypted flag without a password (RuntimeError), a truncated stream (EOFError, OSError), a
# header offset pointing before the file's start (ValueError from the seek, found by the fuzz test).
ZIP_MEMBER_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,
    RuntimeError,
    EOFError,
    OSError,
    ValueError,
)


@dataclass(frozen=True)
class ImportRequest:
    """An upload that passed the whole-file checks: its rows and the photos they name."""

    filename: str
    rows: list[tuple[int, dict[str, str]]]
    archive: zipfile.ZipFile
    members: dict[str, zipfile.ZipInfo]

    def close(self) -> None:
        """Let go of the spooled zip (its file is deleted)."""
        spool = self.archive.fp
        self.archive.close()
        if spool is not None:
            spool.close()


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, or InvalidInput saying why it cannot be read."""
    try:
        return archive.read(info)
    except ZIP_MEMBER_ERRORS as exc:
        raise InvalidInput(
            Message("{filename} in the zip cannot be read: {exc}", filename=info.filename, exc=exc),
            field="photo",
        ) from None


def read_upload(
    *,
    csv_bytes: bytes | None,
    zip_bytes: bytes,
    filename: str,
    user: User,
    settings: Settings,
    encoding: CsvEncoding = CsvEncoding.UTF8,
) -> ImportRequest:
    """Check an upload whole: a zip of photos, and a CSV given separately or inside the zip.

    Raises InvalidInput (not a zip, no CSV, missing columns, too many rows, a field too long...)
    or PayloadTooLarge (a member that would inflate past the limits)."""
    # Spooled to a file of its own (deleted when closed): a queued import waits on disk, not in
    # the server's memory.
    spool = tempfile.TemporaryFile(dir=settings.data_dir)  # noqa: SIM115 (closed with the archive)
    spool.write(zip_bytes)
    spool.seek(0)
    try:
        archive = zipfile.ZipFile(spool)
        infos = archive.infolist()
    except ZIP_MEMBER_ERRORS as exc:  # the directory is as damageable as a member
        spool.close()
        raise InvalidInput(Message("the photos file is not a zip archive ({exc})", exc=exc)) from None
    try:
        members: dict[str, zipfile.ZipInfo] = {}
        csv_members = []
        for info in infos:
            if info.is_dir():
                continue
            if info.file_size > settings.max_upload_bytes:
                raise PayloadTooLarge(
                    Message(
                        "{filename} inflates to {file_size} bytes, over the photo limit",
                        filename=info.filename,
                        file_size=info.file_size,
                    )
                )
            name = PurePosixPath(info.filename)
            if name.suffix.lower() == ".csv":
                csv_members.append(info)
            members[name.name] = info
        if sum(info.file_size for info in members.values()) > settings.max_import_bytes * 2:
            raise PayloadTooLarge("the zip inflates to more than twice the import limit")
        if csv_bytes is None:
            if len(csv_members) != 1:
                raise InvalidInput("send the CSV as its own file, or put exactly one .csv file in the zip")
            csv_bytes = read_member(archive, csv_members[0])
        try:
            text = csv_bytes.decode("utf-8-sig" if encoding is CsvEncoding.UTF8 else encoding.value)
        except UnicodeDecodeError as exc:
            if encoding is CsvEncoding.UTF8:
                raise InvalidInput(
                    "the CSV is not UTF-8 text; if Excel saved it in Chinese, send it again with its "
                    "encoding: gb18030 (Simplified Chinese) or big5hkscs (Traditional Chinese)",
                    field="encoding",
                ) from None
            raise InvalidInput(
                Message(
                    "the CSV is not {encoding} text (byte {start} cannot be read)",
                    encoding=encoding,
                    start=exc.start,
                ),
                field="encoding",
            ) from None
        try:
            return ImportRequest(
                filename=filename[:200],
                rows=_read_rows(text, user=user, settings=settings),
                archive=archive,
                members=members,
            )
        except csv.Error as exc:
            raise InvalidInput(Message("the CSV cannot be read: {exc}", exc=exc)) from None
    except BaseException:
        archive.close()
        spool.close()
        raise


def _read_rows(text: str, *, user: User, settings: Settings) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if user.role is Role.OFFICER and "organisation" not in columns:
        missing.append("organisation")
    if missing:
        raise InvalidInput(Message("the CSV lacks the column(s) {columns}", columns=", ".join(missing)))
    unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS + REPORT_COLUMNS]
    if unknown:
        raise InvalidInput(
            Message("the CSV has column(s) this import does not know: {columns}", columns=", ".join(unknown))
        )
    rows = []
    for row in reader:
        values = {
            (k or "").strip(): spreadsheet.unsafe((v or "").strip())
            for k, v in row.items()
            if k is not None and k.strip() not in REPORT_COLUMNS
        }
        if not any(values.values()):
            continue
        rows.append((reader.line_num, values))
        if len(rows) > settings.max_import_rows:
            raise InvalidInput(Message("an import holds at most {most} rows", most=settings.max_import_rows))
    if not rows:
        raise InvalidInput("the CSV holds no rows")
    return rows


def start_import(
    session: Session,
    *,
    request: ImportRequest,
    actor: UserActor,
    submit: Callable[[uuid.UUID, ImportRequest], object],
) -> ImportJob:
    """Store a checked upload as a job and hand it to the import worker (``submit``) once this
    unit of work commits: the worker reads the job in its own transaction."""
    user = actor.user
    job = ImportJob(
        organisation_id=user.organisation_id,
        created_by_id=user.id,
        filename=request.filename,
        total=len(request.rows),
    )
    session.add(job)
    session.flush()
    audit.record_event(
        session,
        actor=actor,
        action=AuditAction.START_IMPORT,
        object_type="import",
        object_id=job.id,
        detail=words("{n} rows", n=len(request.rows)),
    )
    after_commit(session, lambda: submit(job.id, request))
    return job


def get_job_or_raise(session: Session, job_id: uuid.UUID, *, user: User) -> ImportJob:
    job = session.get(ImportJob, job_id)
    # Enrollers see their organisation's imports; officers see all.
    if job is None or (user.role is not Role.OFFICER and job.organisation_id != user.organisation_id):
        raise NotFound(Message("no import with id {job_id}", job_id=job_id))
    return job


def list_jobs(session: Session, *, user: User, limit: int = 20) -> list[ImportJob]:
    """The imports this user may see (an enroller: their organisation's; an officer: all), newest
    first: file names and counts, no personal data."""
    query = select(ImportJob).order_by(ImportJob.created_at.desc()).limit(limit)
    if user.role is not Role.OFFICER:
        query = query.where(ImportJob.organisation_id == user.organisation_id)
    return list(session.scalars(query))


def template_csv(*, officer: bool) -> str:
    """A CSV to fill in: the header an import reads, and one example row."""
    header = [
        "full_name",
        "chinese_name",
        "document_type",
        "document_number",
        "home_park",
        "valid_until",
        "photo",
    ]
    example = [
        "CHAN Tai Man",
        "陳大文",
        "hk_identity_card",
        "A123456(3)",
        "hk",
        "2027-06-30",
        "chan-tai-man.jpg",
    ]
    if officer:
        header.append("organisation")
        example.append("Hetao Quantum Lab")
    header.append("face_only")
    example.append("no")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, example])
    return out.getvalue()


def failed_rows_csv(session: Session, *, job: ImportJob, actor: Actor, data_key: vault.DataKey) -> str:
    """The rows of an import that were not enrolled, as they were uploaded (the same columns in
    the same order), each followed by its line in the uploaded CSV, the field at fault and why.
    Fixed, the file imports again as it is (with the same photos): the import skips the last
    three columns. A read of personal data, audited."""
    failed = [row for row in read_job_report(session, job=job, actor=actor) if not row.enrolled]
    cells = [
        json.loads(vault.unseal(data_key, row.sealed_values, context=row.values_context))
        if row.sealed_values is not None
        else {"full_name": row.full_name}
        for row in failed
    ]
    columns = list(dict.fromkeys(column for values in cells for column in values))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*columns, *REPORT_COLUMNS])
    for row, values in zip(failed, cells, strict=True):
        writer.writerow(
            [spreadsheet.safe(values.get(c, "")) for c in columns]
            + [row.line, row.field or "", row.error or ""]
        )
    return out.getvalue()


def job_rows(session: Session, job: ImportJob) -> list[ImportRow]:
    return list(session.scalars(select(ImportRow).where(ImportRow.job_id == job.id).order_by(ImportRow.line)))


def read_job_report(session: Session, *, job: ImportJob, actor: Actor) -> list[ImportRow]:
    """An import's rows (names and outcomes): a read of personal data, audited."""
    audit.record_event(
        session, actor=actor, action=AuditAction.READ_IMPORT, object_type="import", object_id=job.id
    )
    return job_rows(session, job)


ABANDONED_AFTER = timedelta(minutes=10)
"""A queued or running job that no process has said it works on for this long is abandoned (its
process stopped: a restart, a crash); each process says so every minute (``ImportRunner.watch``)."""


def settle_abandoned(session: Session, *, now: datetime) -> list[ImportJob]:
    """Mark the imports whose process stopped as failed, saying how far they got (the rows done
    are kept, each whole), instead of leaving them "running" for ever; audited."""
    abandoned = list(
        session.scalars(
            select(ImportJob)
            .where(
                ImportJob.status.in_((ImportStatus.QUEUED, ImportStatus.RUNNING)),
                ImportJob.updated_at < now - ABANDONED_AFTER,
            )
            .with_for_update(skip_locked=True)
        )
    )
    for job in abandoned:
        last = session.scalar(select(func.max(ImportRow.line)).where(ImportRow.job_id == job.id))
        job.status = ImportStatus.FAILED
        job.error = words(
            "the server stopped during this import after {processed} of {total} rows: "
            "import the rows after line {last} again"
            if last
            else "the server stopped during this import after {processed} of {total} rows: import it again",
            processed=job.processed,
            total=job.total,
            last=last,
        )
        job.finished_at = now
        audit.record_event(
            session,
            actor=SystemActor("import watch"),
            action=AuditAction.ABANDON_IMPORT,
            object_type="import",
            object_id=job.id,
            detail=job.error,
        )
    return abandoned


class RowFailed(Exception):
    def __init__(self, field: str | None, detail: Message) -> None:
        super().__init__(str(detail))
        self.field = field
        self.detail = detail


def _registration(
    session: Session, values: dict[str, str], *, user: User, index_key: bytes
) -> tuple[Registration | None, list[RowFailed]]:
    """The row as a checked registration, or every problem with its fields: a wrong document type
    and a date that is not one are reported together, not one per round of fixing."""
    problems: list[RowFailed] = []

    def choice(allowed: type[DocumentType] | type[Park], field: str) -> str:
        value = values[field].lower()
        if value not in {member.value for member in allowed}:
            one_of = ", ".join(member.value for member in allowed)
            problems.append(
                RowFailed(
                    field,
                    Message(
                        "{value} is not a valid {field}: use one of {one_of}",
                        value=repr(_printable(values[field])),
                        field=field,
                        one_of=one_of,
                    ),
                )
            )
        return value

    organisation_id = user.organisation_id
    if user.role is Role.OFFICER:
        name = values.get("organisation", "")
        organisation = session.scalar(
            select(Organisation).where(func.lower(Organisation.name) == name.lower())
        )
        if organisation is None:
            problems.append(
                RowFailed(
                    "organisation", Message("no organisation named {name}", name=repr(_printable(name)))
                )
            )
        else:
            organisation_id = organisation.id
    document_type = choice(DocumentType, "document_type")
    home_park = choice(Park, "home_park")
    valid_until = None
    try:
        valid_until = date.fromisoformat(values["valid_until"])
    except ValueError:
        problems.append(
            RowFailed(
                "valid_until",
                Message(
                    "{value} is not a date like 2027-06-30", value=repr(_printable(values["valid_until"]))
                ),
            )
        )
    if problems or organisation_id is None or valid_until is None:
        return None, problems
    registration = Registration(
        full_name=values["full_name"],
        chinese_name=values.get("chinese_name", ""),
        document_type=DocumentType(document_type),
        document_number=values["document_number"],
        organisation_id=organisation_id,
        home_park=Park(home_park),
        valid_until=valid_until,
        face_only=values.get("face_only", "").lower() in TRUE_WORDS,
    )
    try:
        commuters.validate_registration(
            session, registration=registration, enroller=user, index_key=index_key
        )
    except HetaoError as exc:
        field = exc.extra.get("field")
        return None, [RowFailed(str(field) if field else None, exc.message)]
    return registration, []


def _together(problems: list[RowFailed]) -> RowFailed | None:
    """A row's problems as one line of its report: every field at fault, then every reason."""
    if len(problems) <= 1:
        return problems[0] if problems else None
    fields = dict.fromkeys(problem.field for problem in problems if problem.field)
    together = problems[-1].detail
    for problem in reversed(problems[:-1]):
        together = Message("{first}; {rest}", first=problem.detail, rest=together)
    return RowFailed(", ".join(fields) or None, together)


def _printable(text: str) -> str:
    """``text`` as the report can store it: no NUL (PostgreSQL text cannot hold one)."""
    return text.replace("\x00", "\N{REPLACEMENT CHARACTER}")


@dataclass
class ImportRunner:
    """Works through import jobs one at a time in a background thread."""

    unit_of_work: Callable[[], AbstractContextManager[Session]]
    """Opens one unit of work on the server's database (AppContext.unit_of_work)."""
    settings: Settings
    keyring: Keyring
    metrics: Metrics
    executor: Executor | None = None
    """Where jobs run: by default one background thread, so imports go one at a time."""
    max_held: int = 4
    """Imports a process queues or runs at once; more are refused (503) until one ends. Each waits
    spooled on disk, not in memory."""

    def __post_init__(self) -> None:
        self._pool = self.executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix="hetao-import")
        self._held: set[uuid.UUID] = set()
        self._held_lock = threading.Lock()

    def submitter(
        self, *, user_id: uuid.UUID, ip: str | None
    ) -> Callable[[uuid.UUID, ImportRequest], Future[None]]:
        """What ``start_import`` hands a checked upload to, for the user who sent it."""

        def submit(job_id: uuid.UUID, request: ImportRequest) -> Future[None]:
            with self._held_lock:
                self._held.add(job_id)
            return self._pool.submit(self.run, job_id=job_id, user_id=user_id, ip=ip, request=request)

        return submit

    def check_room(self) -> None:
        """ServerBusy when this process holds as many imports as it takes."""
        with self._held_lock:
            if len(self._held) >= self.max_held:
                raise ServerBusy(
                    Message(
                        "{count} imports are queued or running: send this one again when one has finished",
                        count=len(self._held),
                    )
                )

    def held(self) -> list[uuid.UUID]:
        """The jobs this process has queued or is running."""
        with self._held_lock:
            return list(self._held)

    def watch(self, session: Session, *, now: datetime) -> list[ImportJob]:
        """Say that this process still works on its jobs, and settle those no process works on any
        more (``settle_abandoned``); the jobs settled."""
        held = self.held()
        if held:
            session.execute(update(ImportJob).where(ImportJob.id.in_(held)).values(updated_at=now))
        return settle_abandoned(session, now=now)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def run(self, *, job_id: uuid.UUID, user_id: uuid.UUID, ip: str | None, request: ImportRequest) -> None:
        try:
            self._run(job_id=job_id, user_id=user_id, ip=ip, request=request)
        finally:
            request.close()
            with self._held_lock:
                self._held.discard(job_id)

    def _run(self, *, job_id: uuid.UUID, user_id: uuid.UUID, ip: str | None, request: ImportRequest) -> None:
        with self.unit_of_work() as session:
            job = session.get(ImportJob, job_id)
            assert job is not None
            job.status = ImportStatus.RUNNING
        try:
            for line, values in request.rows:
                self._import_row(
                    job_id=job_id, user_id=user_id, ip=ip, line=line, values=values, request=request
                )
        except StartedByDisabledUser as stopped:
            with self.unit_of_work() as session:
                job = session.get(ImportJob, job_id)
                assert job is not None
                job.status = ImportStatus.FAILED
                job.error = words(
                    "stopped before line {line}: the account that started it was disabled; "
                    "nothing after that line was imported",
                    line=stopped.line,
                )
                job.finished_at = utcnow()
            return
        except Exception as exc:
            log.exception("import %s stopped", job_id)
            with self.unit_of_work() as session:
                job = session.get(ImportJob, job_id)
                assert job is not None
                job.status = ImportStatus.FAILED
                job.error = words("the import stopped: {error}", error=type(exc).__name__)
                job.finished_at = utcnow()
            return
        with self.unit_of_work() as session:
            job = session.get(ImportJob, job_id)
            assert job is not None
            job.status = ImportStatus.DONE
            job.finished_at = utcnow()

    def _templates(self, values: dict[str, str], request: ImportRequest) -> list[photos.Template]:
        """The row's photos (``photo`` names one, or several separated by ``;``) through the gate."""
        names = [PurePosixPath(name.strip()).name for name in values["photo"].split(PHOTO_SEPARATOR)]
        try:
            found = []
            for name in names:
                info = request.members.get(name)
                if not name or info is None:
                    raise RowFailed(
                        "photo", Message("the zip holds no photo named {name}", name=repr(_printable(name)))
                    )
                found.append(read_member(request.archive, info))
            return photos.templates_from_uploads(found, settings=self.settings, metrics=self.metrics)
        except HetaoError as exc:
            raise RowFailed("photo", exc.message) from None
        except RowFailed:
            raise
        except Exception:
            log.exception("import: the photos of a row could not be processed")
            raise RowFailed(
                "photo", Message("this photo could not be processed (the server logged why)")
            ) from None

    def _import_row(
        self,
        *,
        job_id: uuid.UUID,
        user_id: uuid.UUID,
        ip: str | None,
        line: int,
        values: dict[str, str],
        request: ImportRequest,
    ) -> None:
        templates: list[photos.Template] = []
        problems: list[RowFailed] = []
        try:
            # The slow part (~0.4 s a photo) runs before the database is touched, outside the
            # SQLite lock. Done whatever the other fields hold: the report names every problem
            # of the row at once.
            templates = self._templates(values, request)
        except RowFailed as exc:
            problems.append(exc)
        with self.unit_of_work() as session:
            user = session.get(User, user_id)
            job = session.get(ImportJob, job_id)
            assert user is not None and job is not None
            if not user.is_active:
                # Work queued by someone since disabled stops: nothing more in their name.
                raise StartedByDisabledUser(line)
            registration, wrong = _registration(session, values, user=user, index_key=self.keyring.index_key)
            failure = _together(wrong + problems)
            commuter_id = None
            if failure is None and registration is not None and templates:
                try:
                    # A savepoint: a row that fails here leaves nothing of itself behind.
                    with session.begin_nested():
                        commuter_id = commuters.enrol_commuter(
                            session,
                            registration=registration,
                            templates=templates,
                            actor=UserActor(user, ip),
                            keyring=self.keyring,
                            metrics=self.metrics,
                            source=Message("import {job} line {line}", job=job_id, line=line),
                        ).id
                except HetaoError as exc:
                    field = exc.extra.get("field")
                    failure = RowFailed(str(field) if field else None, exc.message)
                except DataError:
                    failure = RowFailed(
                        None, Message("a field holds a character or value the database cannot store")
                    )
            _add_row(
                session,
                job,
                line=line,
                values=values,
                commuter_id=commuter_id,
                failure=failure,
                keyring=self.keyring,
            )


class StartedByDisabledUser(Exception):
    """The account that started an import was disabled while it ran."""

    def __init__(self, line: int) -> None:
        super().__init__(f"stopped before line {line}")
        self.line = line


def _add_row(
    session: Session,
    job: ImportJob,
    *,
    line: int,
    values: dict[str, str],
    commuter_id: uuid.UUID | None,
    failure: RowFailed | None,
    keyring: Keyring,
) -> None:
    """What became of one row, in the job's report and counts; a failed row's cells are kept
    sealed, to be given back to fix."""
    name = person_name(values.get("chinese_name"), values.get("full_name"))
    row = ImportRow(
        job_id=job.id,
        line=line,
        full_name=_printable(name)[:200],
        enrolled=failure is None,
        commuter_id=commuter_id,
        field=failure.field if failure else None,
        error=Words(failure.detail) if failure else None,
    )
    if failure:
        cells = json.dumps(values, ensure_ascii=False).encode()
        row.sealed_values = vault.seal(keyring.sealing_key(session), cells, context=row.values_context)
    session.add(row)
    job.processed += 1
    if failure is None:
        job.enrolled += 1
    else:
        job.failed += 1
