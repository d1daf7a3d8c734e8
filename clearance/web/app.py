"""The web application: every domain's routes and pages, the error contract, and what the server
runs beside the requests (the live feed listener, the silent-kiosk watch, the import worker)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy import Engine, text
from starlette.concurrency import run_in_threadpool

from clearance.accounts import api as accounts_api
from clearance.accounts import pages as accounts_pages
from clearance.alerts import api as alerts_api
from clearance.alerts import service as alerts
from clearance.audit import api as audit_api
from clearance.audit import pages as audit_pages
from clearance.clearing import api as clearing_api
from clearance.core.errors import NotAuthenticated, responses
from clearance.core.metrics import Metrics
from clearance.core.settings import Settings
from clearance.core.zone import utcnow
from clearance.crossings import api as crossings_api
from clearance.dashboard import api as dashboard_api
from clearance.dashboard import pages as dashboard_pages
from clearance.db import events, migrations
from clearance.db.engine import make_engine, make_sessionmaker
from clearance.db.keyring import load_keyring
from clearance.http import errors as handlers
from clearance.http import pages as html
from clearance.http.deps import AppContext, SessionDep, TokenDep, client_ip
from clearance.http.middleware import BodyLimits, RequestGate
from clearance.stations import api as stations_api
from clearance.stations import pages as stations_pages
from clearance.vision.stack import face_stack
from clearance.whitelist import api as whitelist_api
from enrolment import api as enrolment_api
from enrolment import imports, pass_pages
from enrolment import pages as enrolment_pages

log = logging.getLogger(__name__)

API_PREFIX = handlers.API_PREFIX
# Multipart overhead on top of the largest file a request may carry.
FORM_OVERHEAD_BYTES = 64 * 1024
SWAGGER_UI = "/static/vendor/swagger-ui"
# Bulk imports carry a zip of photos, up to settings.max_import_bytes.
IMPORT_PATHS = frozenset({API_PREFIX + "/commuters/import", "/imports"})
# Live event streams stay open for hours and hold no database connection while they wait.
STREAMING_PATHS = frozenset({API_PREFIX + "/events", "/dashboard/events"})
API_ROUTERS = (
    accounts_api.router,
    stations_api.router,
    enrolment_api.router,
    clearing_api.router,
    crossings_api.router,
    whitelist_api.router,
    alerts_api.router,
    dashboard_api.router,
    audit_api.router,
)
PAGE_ROUTERS = (
    accounts_pages.router,
    dashboard_pages.router,
    audit_pages.router,
    stations_pages.router,
    enrolment_pages.router,
    pass_pages.router,
)


LOOPBACK_ADDRESSES = frozenset({"127.0.0.1", "::1"})


class Health(BaseModel):
    status: str
    database: str
    schema_revision: str | None


def watch_kiosks(context: AppContext) -> None:
    """Raise an alert for each kiosk that has gone silent, and for each disabled kiosk whose key
    was used since the last look (one unit of work)."""
    silent_after = timedelta(minutes=context.settings.kiosk_silent_minutes)
    calls = {kiosk_id: context.refused_kiosks.pop(kiosk_id) for kiosk_id in list(context.refused_kiosks)}
    with context.unit_of_work() as session:
        alerts.check_silent_kiosks(session, now=utcnow(), silent_after=silent_after)
        alerts.check_disabled_kiosks(session, calls=calls)


def watch_imports(context: AppContext, runner: imports.ImportRunner) -> None:
    """Say that this process still works on its imports; settle those whose process stopped."""
    with context.unit_of_work() as session:
        for job in runner.watch(session, now=utcnow()):
            log.warning("import %s was abandoned: %s", job.id, job.error)


async def keep_watching(context: AppContext, runner: imports.ImportRunner, *, every: float = 60.0) -> None:
    watches: tuple[tuple[str, Callable[[], None]], ...] = (
        ("the kiosks", lambda: watch_kiosks(context)),
        ("the imports", lambda: watch_imports(context, runner)),
    )
    while True:
        for what, watch in watches:
            try:
                await run_in_threadpool(watch)
            except Exception:
                log.exception("watching %s failed; trying again in %.0f s", what, every)
        await asyncio.sleep(every)


def app_from_environment() -> FastAPI:
    """The server configured from the environment: what each worker process of
    ``hetao serve --workers N`` runs."""
    return create_app(Settings())


def create_app(settings: Settings, *, engine: Engine | None = None, check_schema: bool = True) -> FastAPI:
    """The server. ``engine`` defaults to one for ``settings.sqlalchemy_url``; with
    ``check_schema`` it refuses to start on a database that is not migrated to the newest
    revision."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = engine or make_engine(settings.sqlalchemy_url, pool_size=settings.database_pool_size)
    context = AppContext(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        keyring=load_keyring(settings),
        metrics=Metrics(),
        events=events.EventHub(),
        write_lock=threading.Lock() if engine.dialect.name == "sqlite" else None,
    )
    runner = imports.ImportRunner(
        unit_of_work=context.unit_of_work,
        settings=settings,
        keyring=context.keyring,
        metrics=context.metrics,
    )
    if engine.dialect.name != "postgresql":
        events.deliver_after_commit(context.sessions, context.events)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if check_schema and not migrations.is_current(engine):
            raise RuntimeError("the database schema is not current: run `hetao db upgrade` first")
        listener = None
        if engine.dialect.name == "postgresql":
            listener = events.PostgresListener(engine, context.events)
            listener.start()
        watcher = asyncio.create_task(keep_watching(context, runner)) if check_schema else None
        if check_schema:
            # The face networks, before the first request: loading them on the first photo held the
            # interpreter for seconds while requests waited (and a process manager judging the
            # worker by a heartbeat could take it for hung).
            began = time.monotonic()
            await asyncio.to_thread(face_stack(settings).load)
            log.info(
                "face networks loaded",
                extra={
                    "model": settings.face_model,
                    "detector": settings.face_detector,
                    "seconds": round(time.monotonic() - began, 2),
                },
            )
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
            if listener is not None:
                listener.stop()
            context.events.deliver(None)
            runner.shutdown()

    app = FastAPI(
        title="Hetao Clearance",
        version="0.1.0",
        summary="Pre-registration and contactless clearance for the Hetao co-operation zone",
        lifespan=lifespan,
        # The API page is served from the package's own copy of Swagger UI: nothing from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = context
    app.state.imports = runner
    handlers.install(app)

    app.add_middleware(
        RequestGate,
        limits=BodyLimits(
            default=settings.max_upload_bytes * 2 + FORM_OVERHEAD_BYTES,
            json=settings.max_json_bytes,
            imports=settings.max_import_bytes + settings.max_upload_bytes + FORM_OVERHEAD_BYTES,
            import_paths=IMPORT_PATHS,
        ),
        max_at_work=settings.max_requests_at_work,
        admission_wait_seconds=settings.admission_wait_seconds,
        streaming_paths=STREAMING_PATHS,
        metrics=context.metrics,
    )

    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=html.STATIC_DIR), name="static")

    @app.get("/healthz", response_model=Health, tags=["operations"])
    def healthz(session: SessionDep) -> Health:
        """Liveness and readiness: the database answers and its schema is current."""
        session.execute(text("SELECT 1"))
        revision = migrations.current_revision(session.connection())
        ok = revision == migrations.head_revision()
        return Health(status="ok" if ok else "schema_outdated", database="ok", schema_revision=revision)

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> Response:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Hetao Clearance API",
            swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url="data:,",
            oauth2_redirect_url=f"{SWAGGER_UI}/oauth2-redirect.html",
        )

    @app.get("/metrics", tags=["operations"], response_class=Response, responses=responses(NotAuthenticated))
    def metrics(request: Request, token: TokenDep) -> Response:
        """Prometheus metrics in the text exposition format: with `HETAO_METRICS_TOKEN` set, for
        whoever sends it as a bearer token; without, for callers on this machine only."""
        expected = context.settings.metrics_token
        if expected is not None:
            if not token or not secrets.compare_digest(token.encode(), expected.encode()):
                raise NotAuthenticated("/metrics needs 'Authorization: Bearer <HETAO_METRICS_TOKEN>'")
        elif client_ip(request) not in LOOPBACK_ADDRESSES:
            raise NotAuthenticated(
                "/metrics answers callers on this machine only: "
                "set HETAO_METRICS_TOKEN to scrape it from elsewhere"
            )
        return Response(context.metrics.render(), media_type="text/plain; version=0.0.4")

    return app
