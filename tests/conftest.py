"""Fixtures: a migrated database (SQLite, or PostgreSQL via HETAO_TEST_DATABASE_URL), each test
inside a transaction rolled back at its end, and the app with its session dependency bound to it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

from clearance.core.settings import Settings
from clearance.custody.keys import Keyring
from clearance.db import migrations as schema
from clearance.db.engine import make_engine, session_scope
from clearance.web.app import create_app
from clearance.web.deps import get_session
from enrolment.imports import ImportRunner
from tests.support import METRICS_TOKEN, World, make_world

T = TypeVar("T")

TEST_DATABASE_URL = os.environ.get("HETAO_TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir: Path = tmp_path_factory.mktemp("hetao-data")
    return Settings(
        data_dir=data_dir,
        database_url=TEST_DATABASE_URL,
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


@pytest.fixture
def client(app: FastAPI, sessions: sessionmaker[Session]) -> Iterator[TestClient]:
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
    with TestClient(app) as client:
        yield client
    app.dependency_overrides.clear()
    app.state.imports = runner


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
