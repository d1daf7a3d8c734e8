"""Engines and units of work.

A unit of work commits when its block ends and rolls back on any error, so a refused request
writes nothing; the one exception is a refusal that must leave its own record (a refused sign-in,
a batch with a bad signature), raised with ``HetaoError.keep_record()``: then what the unit of
work wrote before the refusal (that record, nothing else) is committed, and the error goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from clearance.core.errors import HetaoError


def make_engine(url: str, *, pool_size: int = 10, sqlite_immediate: bool = True, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout, PostgreSQL a pool
    of ``pool_size`` connections and as many again on overflow. Errors never quote the values
    of a statement: they would put names and document numbers into the logs.

    On SQLite every unit of work takes the write lock when it begins (``BEGIN IMMEDIATE``), so
    what it read is still true when it writes, even with another process (a server and the
    command line) writing to the same file: the second waits its turn instead of failing. The
    tests, which hold one transaction open across many requests, ask for plain ``BEGIN``."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate if sqlite_immediate else _sqlite_begin)
        return engine
    kwargs.setdefault("max_overflow", pool_size)
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, hide_parameters=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; SQLAlchemy's
    # documented remedy: switch it off here and emit BEGIN ourselves when a transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted rows are overwritten with zeros, not left in free pages: erased biometrics are gone
    # from the file, not just unlinked (see release_deleted_pages for the write-ahead log).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def _sqlite_begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def release_deleted_pages(session: Session) -> None:
    """SQLite: copy the write-ahead log into the database file and truncate it, so the page
    images from before a deletion (still in the log) are gone too. Nothing to do elsewhere, or
    when ``session`` is bound to a connection rather than an engine (the tests' transactions)."""
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "sqlite":
        # Outside any transaction: a checkpoint cannot run inside one.
        raw = bind.raw_connection()
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()


def dialect_insert(session: Session) -> Any:
    """The INSERT construct of ``session``'s database (PostgreSQL's or SQLite's), which has
    ON CONFLICT: for upserts that two transactions may run at once for the same key."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


AFTER_COMMIT = "after_commit"


def after_commit(session: Session, action: Callable[[], object]) -> None:
    """Run ``action`` once the unit of work ``session`` belongs to has committed (never if it
    rolls back): work handed to another thread must not start before its rows are visible."""
    session.info.setdefault(AFTER_COMMIT, []).append(action)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit when the block ends normally, roll back on any error (but see
    the module's docstring for refusals that keep their record)."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except HetaoError as exc:
            if not exc.keeps_record:
                session.rollback()
                raise
            session.commit()
            _run_after_commit(session)
            raise
        except BaseException:
            session.rollback()
            raise
        _run_after_commit(session)


def _run_after_commit(session: Session) -> None:
    for action in session.info.pop(AFTER_COMMIT, []):
        action()
