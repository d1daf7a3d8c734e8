"""The error contract, in one place: every error is ``{"error": <Name>, "detail": <what and why>}``
with the right status for machines, and a page in the viewer's language for browsers."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from clearance.core.errors import HetaoError
from clearance.core.messages import Message
from clearance.http import i18n
from clearance.http import pages as html

API_PREFIX = "/api/v1"


# Paths that answer machines in JSON whatever they ask for; everything else is a page.
MACHINE_PATHS = (API_PREFIX + "/", "/metrics", "/healthz", "/docs", "/openapi.json", "/static/")
ERROR_TITLES = {401: "Not signed in", 403: "Not allowed", 404: "Not found"}


def wants_page(request: Request) -> bool:
    return not request.url.path.startswith(MACHINE_PATHS) and "application/json" not in request.headers.get(
        "accept", ""
    )


def error_page(request: Request, status_code: int, detail: str | Message) -> Response:
    if status_code == 401:
        return RedirectResponse(html.login_redirect_target(request), status_code=303)
    title = ERROR_TITLES.get(status_code, "Something went wrong")
    said = i18n.said(html.translator_for(request, None), detail)
    return html.render(request, "error.html", auth=None, status_code=status_code, title=title, detail=said)


def answer(
    request: Request,
    status_code: int,
    error: str,
    detail: str | Message,
    *,
    extra: dict[str, object] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error as a page for a browser, or in the contract's JSON shape (with the request's id,
    which its log line carries too)."""
    if wants_page(request):
        page = error_page(request, status_code, detail)
        page.headers.update(headers or {})
        return page
    request_id = getattr(request.state, "request_id", None)
    body = {"error": error, "detail": str(detail), **(extra or {}), "request_id": request_id}
    return JSONResponse(body, status_code=status_code, headers=headers)


async def _hetao_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HetaoError)
    # Work the server sheds (an import more than it holds) says when to try again, like a request
    # the admission gate turned away.
    headers = {"Retry-After": "5"} if exc.status_code == 503 else None
    return answer(request, exc.status_code, exc.name, exc.message, extra=exc.extra, headers=headers)


# What a page says of a value the request's validation refused, by pydantic's error type (the
# JSON answer keeps pydantic's own words); any other type reads as the last.
VALIDATION_PROBLEMS = {
    "missing": "{field}: a value is needed",
    "uuid_parsing": "{field}: not a valid identifier",
    "uuid_type": "{field}: not a valid identifier",
    "string_too_long": "{field}: too long",
    "string_too_short": "{field}: too short",
    "int_parsing": "{field}: not a whole number",
    "int_type": "{field}: not a whole number",
    "float_parsing": "{field}: not a number",
    "date_parsing": "{field}: not a date",
    "date_from_datetime_parsing": "{field}: not a date",
    "datetime_parsing": "{field}: not a date and time",
    "datetime_from_date_parsing": "{field}: not a date and time",
    "enum": "{field}: not one of the choices",
    "literal_error": "{field}: not one of the choices",
    "greater_than_equal": "{field}: out of range",
    "less_than_equal": "{field}: out of range",
    "greater_than": "{field}: out of range",
    "less_than": "{field}: out of range",
    "value_error": "{field}: not valid",
}


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems, said = [], []
    translate = html.translator_for(request, None)
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body",))
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
        field = str(error.get("loc", ("",))[-1])
        problem = VALIDATION_PROBLEMS.get(str(error.get("type")), VALIDATION_PROBLEMS["value_error"])
        said.append(translate(problem, field=field))
    if wants_page(request):
        return error_page(request, 422, "; ".join(said) or translate("invalid request"))
    return answer(request, 422, "ValidationFailed", "; ".join(problems) or "invalid request")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    name = HTTPStatus(exc.status_code).phrase.title().replace(" ", "").replace("-", "")
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
    return answer(request, exc.status_code, name, detail)


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
    return answer(request, 422, "InvalidInput", detail)


async def _conflict(request: Request, exc: Exception) -> Response:
    # A unique rule the action checked first, broken by another request that made the same thing
    # at the same moment (two "create" clicks, two clients): the database's constraint decides
    # who was first, and the second is told as if it had come a moment later.
    assert isinstance(exc, IntegrityError)
    text = str(exc.orig).lower() if exc.orig is not None else ""
    if "foreign key" in text:
        return answer(request, 409, "Conflict", "something this refers to was changed or removed meanwhile")
    return answer(request, 409, "Conflict", "this already exists: another request made it at the same moment")


async def _database_busy(request: Request, exc: Exception) -> Response:
    # The pool had no connection in time (admission, clearance.http.middleware, keeps this rare),
    # or SQLite refused a write on a read another process had overtaken ("database is locked"):
    # nothing was written, and the caller is told to come back rather than handed a 500.
    if isinstance(exc, OperationalError) and "database is locked" not in str(exc.orig):
        raise exc
    detail = "the database is busy: try again in a moment"
    return answer(request, 503, "ServerBusy", detail, headers={"Retry-After": "1"})


def install(app: FastAPI) -> None:
    """Answer every error ``app`` raises in the contract's shape."""
    app.add_exception_handler(HetaoError, _hetao_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(IntegrityError, _conflict)
    app.add_exception_handler(PoolTimeout, _database_busy)
    app.add_exception_handler(OperationalError, _database_busy)
