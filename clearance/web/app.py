"""The web application: routers, the error contract and the pieces every request shares."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from http import HTTPStatus

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from clearance import alerts, api, dashboard, events, schema, web
from clearance.db import make_engine, make_sessionmaker, utcnow
from clearance.deps import AppContext
from clearance.errors import HetaoError
from clearance.keys import load_keyring
from clearance.metrics import Metrics
from clearance.settings import Settings
from enrolment import imports, pages
from enrolment.api import router as enrolment_router

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
# Multipart overhead on top of the largest file a request may carry.
FORM_OVERHEAD_BYTES = 64 * 1024
SWAGGER_UI = "/static/vendor/swagger-ui"
# Bulk imports carry a zip of photos, up to settings.max_import_bytes.
IMPORT_PATHS = frozenset({API_PREFIX + "/commuters/import", "/imports"})


def error_response(status_code: int, error: str, detail: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail, **extra}, status_code=status_code)


# Paths that answer machines in JSON whatever they ask for; everything else is a page.
MACHINE_PATHS = (API_PREFIX + "/", "/metrics", "/healthz", "/docs", "/openapi.json", "/static/")
ERROR_TITLES = {401: "Not signed in", 403: "Not allowed", 404: "Not found"}


def wants_page(request: Request) -> bool:
    return not request.url.path.startswith(MACHINE_PATHS) and "application/json" not in request.headers.get(
        "accept", ""
    )


def error_page(request: Request, status_code: int, detail: str) -> Response:
    if status_code == 401:
        return RedirectResponse(web.login_redirect_target(request), status_code=303)
    title = ERROR_TITLES.get(status_code, "Something went wrong")
    return web.render(request, "error.html", auth=None, status_code=status_code, title=title, detail=detail)


async def _hetao_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HetaoError)
    if wants_page(request):
        return error_page(request, exc.status_code, exc.detail)
    return error_response(exc.status_code, exc.name, exc.detail, **exc.extra)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body",))
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    detail = "; ".join(problems) or "invalid request"
    if wants_page(request):
        return error_page(request, 422, detail)
    return error_response(422, "ValidationFailed", detail)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    name = HTTPStatus(exc.status_code).phrase.title().replace(" ", "").replace("-", "")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
    if wants_page(request):
        return error_page(request, exc.status_code, detail)
    return error_response(exc.status_code, name, detail)


async def _data_error(request: Request, exc: Exception) -> Response:
    # The database refused a value the validation let through: PostgreSQL's text cannot hold a
    # NUL character, and numbers have ranges. Bad input, so 422; the unit of work was rolled back.
    assert isinstance(exc, DataError)
    text = str(exc.orig) if exc.orig is not None else ""
    detail = (
        "text may not contain NUL (0x00) characters"
        if "NUL" in text
        else "a value is out of the range the database can hold"
    )
    if wants_page(request):
        return error_page(request, 422, detail)
    return error_response(422, "InvalidInput", detail)


def watch_kiosks(context: AppContext) -> None:
    """Raise an alert for each kiosk that has gone silent (one unit of work)."""
    silent_after = timedelta(minutes=context.settings.kiosk_silent_minutes)
    with context.unit_of_work() as session:
        alerts.check_silent_kiosks(session, now=utcnow(), silent_after=silent_after)


async def keep_watching_kiosks(context: AppContext, *, every: float = 60.0) -> None:
    while True:
        try:
            await run_in_threadpool(watch_kiosks, context)
        except Exception:
            log.exception("checking for silent kiosks failed; trying again in %.0f s", every)
        await asyncio.sleep(every)


def create_app(settings: Settings, *, engine: Engine | None = None, check_schema: bool = True) -> FastAPI:
    """The server. ``engine`` defaults to one for ``settings.sqlalchemy_url``; with
    ``check_schema`` it refuses to start on a database that is not migrated to the newest
    revision."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = engine or make_engine(settings.sqlalchemy_url)
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
    )
    if engine.dialect.name != "postgresql":
        events.deliver_after_commit(context.sessions, context.events)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if check_schema and not schema.is_current(engine):
            raise RuntimeError("the database schema is not current: run `hetao db upgrade` first")
        listener = None
        if engine.dialect.name == "postgresql":
            listener = events.PostgresListener(engine, context.events)
            listener.start()
        watcher = asyncio.create_task(keep_watching_kiosks(context)) if check_schema else None
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
    app.add_exception_handler(HetaoError, _hetao_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _data_error)

    @app.middleware("http")
    async def limit_and_count(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Refuse an oversized body from its header, before a byte of it is read.
        length = request.headers.get("content-length")
        limit = settings.max_upload_bytes * 2 + FORM_OVERHEAD_BYTES
        if request.url.path in IMPORT_PATHS:
            limit += settings.max_import_bytes
        if length is not None and length.isdigit() and int(length) > limit:
            response: Response = error_response(
                413, "PayloadTooLarge", f"the request body is over {limit // (1024 * 1024)} MiB"
            )
        else:
            response = await call_next(request)
        context.metrics.requests.labels(method=request.method, status=str(response.status_code)).inc()
        return response

    app.include_router(api.router, prefix=API_PREFIX)
    app.include_router(enrolment_router, prefix=API_PREFIX)
    app.include_router(api.health_router)
    app.include_router(dashboard.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")

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

    @app.get("/metrics", tags=["operations"], response_class=Response)
    def metrics() -> Response:
        """Prometheus metrics in the text exposition format."""
        return Response(context.metrics.render(), media_type="text/plain; version=0.0.4")

    return app
