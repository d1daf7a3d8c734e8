"""Fixtures: a migrated database (SQLite, or PostgreSQL via HETAO_TEST_DATABASE_URL), each test
inside a transaction rolled back at its end, and the app with its session dependency bound to it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from clearance.core.settings import Settings
from clearance.db import migrations as schema
from clearance.db.engine import make_engine, session_scope
from clearance.db.keyring import Keyring
from clearance.http.deps import get_session
from clearance.web.app import create_app
from enrolment.imports import ImportRunner
from tests.live import fresh_postgres_database
from tests.support import METRICS_TOKEN, World, make_world, worker_id

T = TypeVar("T")

TEST_DATABASE_URL = os.environ.get("HETAO_TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
def database_url() -> str | None:
    """The suite's own database: HETAO_TEST_DATABASE_URL as given, or, for each of the workers
    running side by side, a database of its own beside it (a fresh SQLite file without it)."""
    if TEST_DATABASE_URL is None or worker_id() == "main":
        return TEST_DATABASE_URL
    url = make_url(TEST_DATABASE_URL)
    return fresh_postgres_database(
        url.set(database=f"{url.database}_{worker_id()}").render_as_string(hide_password=False)
    )


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, database_url: str | None) -> Settings:
    data_dir: Path = tmp_path_factory.mktemp("hetao-data")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        environment="development",
        metrics_token=METRICS_TOKEN,
    )


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    url = settings.sqlalchemy_url
    # Plain BEGIN: each test holds one transaction open across its requests, which the app's
    # own background units of work (the kiosk watch) must not wait for.
    engine = make_engine(url, sqlite_immediate=False)
    if engine.dialect.name == "postgresql":
        # The test database is the suite's own: start it empty, then migrate.
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    schema.upgrade(url=url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    """Sessions inside the test's transaction: their commits release savepoints only."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture(scope="session")
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings, engine=engine)


class InlineExecutor(Executor):
    """Runs what it is given at once, in the caller's thread: an import job started by a request
    runs to its end before the request returns, on the test's own transaction."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


@contextmanager
def app_bound_to(app: FastAPI, sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    """A client of ``app`` whose every request is a unit of work inside ``sessions``' transaction
    (and whose import jobs run at once, inside it too)."""

    def test_session() -> Iterator[Session]:
        with session_scope(sessions) as session:
            yield session

    context = app.state.context
    runner = app.state.imports
    app.dependency_overrides[get_session] = test_session
    app.state.imports = ImportRunner(
        unit_of_work=lambda: session_scope(sessions),
        settings=context.settings,
        keyring=context.keyring,
        metrics=context.metrics,
        executor=InlineExecutor(),
    )
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.dependency_overrides.clear()
        app.state.imports = runner


@pytest.fixture
def client(app: FastAPI, sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    with app_bound_to(app, sessions) as client:
        yield client


# A world built once per module, for modules whose tests each act on it and leave it as it was:
# the module's transaction holds the world, each test runs inside a savepoint of it, rolled
# back at the test's end. (Such a module uses these fixtures, never ``client`` or ``sessions``.)


@pytest.fixture(scope="module")
def module_connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture(scope="module")
def module_sessions(module_connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(
        bind=module_connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture(scope="module")
def module_client(app: FastAPI, module_sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    with app_bound_to(app, module_sessions) as client:
        yield client


@pytest.fixture(scope="module")
def module_world(module_sessions: sessionmaker[Session], settings: Settings) -> World:
    return make_world(module_sessions, settings)


@pytest.fixture
def undone(module_connection: Connection) -> Iterator[None]:
    """This test's changes to the module's world are undone at its end."""
    savepoint = module_connection.begin_nested()
    yield
    if savepoint.is_active:
        savepoint.rollback()


@pytest.fixture(scope="session")
def app_keyring(app: FastAPI) -> Keyring:
    """The keys the app seals biometrics with."""
    keyring: Keyring = app.state.context.keyring
    return keyring


@pytest.fixture
def page_client(client: TestClient, app: FastAPI) -> Iterator[TestClient]:
    """A client for the web pages: over HTTPS, as the session cookie is Secure."""
    with TestClient(app, base_url="https://testserver") as pages:
        yield pages


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> World:
    return make_world(sessions, settings)


def pytest_report_header(config: pytest.Config) -> str:
    url = TEST_DATABASE_URL or "a fresh SQLite file"
    return f"hetao database: {url}"


# Seconds each file's tests took on PostgreSQL (test_*.py, summed from a run's JUnit report,
# 2026-12-04). xdist gives a worker a whole file at a time; taken longest first (and not by how
# many tests a file has, xdist's own order), the few long files start at once instead of one of
# them starting last and running on alone. A file not listed counts as a short one.
FILE_SECONDS = {
    "test_benchmarks": 196,
    "test_kiosk_station": 166,
    "test_under_attack": 164,
    "test_concurrency": 137,
    "test_browser": 137,
    "test_cli": 135,
    "test_production": 72,
    "test_fuzz": 48,
    "test_backup": 27,
    "test_face_models": 26,
    "test_liveness": 21,
    "test_keys": 21,
    "test_faces": 20,
    "test_kiosk_crash": 14,
    "test_pages": 13,
    "test_deployment": 13,
    "test_audit_trail": 10,
    "test_enrolment": 9,
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest files first (see ``FILE_SECONDS``); within a file, its own order."""
    items.sort(key=lambda item: -FILE_SECONDS.get(item.path.stem, 1))
