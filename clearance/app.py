"""The web application: routers, the error contract and the pieces every request shares."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from clearance import api, schema
from clearance.db import make_engine, make_sessionmaker
from clearance.deps import AppContext
from clearance.errors import HetaoError
from clearance.keys import load_keyring
from clearance.metrics import Metrics
from clearance.settings import Settings
from enrolment.api import router as enrolment_router

API_PREFIX = "/api/v1"
# Multipart overhead on top of the largest file a request may carry.
FORM_OVERHEAD_BYTES = 64 * 1024


def error_response(status_code: int, error: str, detail: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail, **extra}, status_code=status_code)


async def _hetao_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HetaoError)
    return error_response(exc.status_code, exc.name, exc.detail, **exc.extra)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body",))
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return error_response(422, "ValidationFailed", "; ".join(problems) or "invalid request")


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    name = HTTPStatus(exc.status_code).phrase.title().replace(" ", "").replace("-", "")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
    return error_response(exc.status_code, name, detail)


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
        write_lock=threading.Lock() if engine.dialect.name == "sqlite" else None,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if check_schema and not schema.is_current(engine):
            raise RuntimeError("the database schema is not current: run `hetao db upgrade` first")
        yield

    app = FastAPI(
        title="Hetao Clearance",
        version="0.1.0",
        summary="Pre-registration and contactless clearance for the Hetao co-operation zone",
        lifespan=lifespan,
    )
    app.state.context = context
    app.add_exception_handler(HetaoError, _hetao_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)

    @app.middleware("http")
    async def limit_and_count(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Refuse an oversized body from its header, before a byte of it is read.
        length = request.headers.get("content-length")
        limit = settings.max_upload_bytes * 2 + FORM_OVERHEAD_BYTES
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

    @app.get("/metrics", tags=["operations"], response_class=Response)
    def metrics() -> Response:
        """Prometheus metrics in the text exposition format."""
        return Response(context.metrics.render(), media_type="text/plain; version=0.0.4")

    return app
