"""The error contract, in one place: every error is ``{"error": <Name>, "detail": <what and why>}``
with the right status for machines, and a page in the viewer's language for browsers."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from clearance.core.errors import HetaoError
from clearance.web import pages as web

API_PREFIX = "/api/v1"


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


def install(app: FastAPI) -> None:
    """Answer every error ``app`` raises in the contract's shape."""
    app.add_exception_handler(HetaoError, _hetao_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _data_error)
