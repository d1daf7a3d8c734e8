"""Domain errors. Services raise these; one handler in ``clearance.http.errors`` turns them into
HTTP, and the command line into a one-line message.

The response body is ``{"error": <class name>, "detail": <what and why>}`` plus any ``extra``. What
and why is a ``Message``: a page shows it in the reader's language.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel

from clearance.core.messages import Message, message


class HetaoError(Exception):
    status_code: ClassVar[int] = 400

    def __init__(self, detail: str | Message, **extra: Any) -> None:
        self.message = message(detail)
        self.detail = str(self.message)
        super().__init__(self.detail)
        self.extra = extra
        self.keeps_record = False

    @property
    def name(self) -> str:
        return type(self).__name__

    def keep_record(self) -> Self:
        """Mark this refusal as one that leaves a record: the unit of work commits what was
        written before it was raised (the refusal's audit record or alert) instead of rolling
        back. The service raising it writes nothing else first."""
        self.keeps_record = True
        return self


class NotAuthenticated(HetaoError):
    status_code = 401


class KioskDisabled(NotAuthenticated):
    """The key of a kiosk an administrator disabled: refused, and remembered for an alert."""

    def __init__(self, detail: str, *, kiosk_id: object) -> None:
        super().__init__(detail)
        self.kiosk_id = kiosk_id


class InvalidCredentials(HetaoError):
    status_code = 401


class TooManySignIns(HetaoError):
    """Too many failed sign-ins for this account or from this address: wait before trying again."""

    status_code = 429


class Forbidden(HetaoError):
    status_code = 403


class NotFound(HetaoError):
    status_code = 404


class Conflict(HetaoError):
    status_code = 409


class InvalidTransition(HetaoError):
    """The object is not in a state that allows the action (approving an active commuter)."""

    status_code = 409


class ServerBusy(HetaoError):
    """The server holds as much work of this kind as it takes at once: try again later."""

    status_code = 503


class PayloadTooLarge(HetaoError):
    status_code = 413


class InvalidInput(HetaoError):
    status_code = 422


class InvalidImage(HetaoError):
    status_code = 422


class FaceCheckFailed(HetaoError):
    """The photo is an image, but not one a face template can be made from; ``check`` says why."""

    status_code = 422


class MalformedCredential(HetaoError):
    status_code = 422


class InvalidSignature(HetaoError):
    """A kiosk's batch is not signed with the key that kiosk registered."""

    status_code = 422


class ErrorBody(BaseModel):
    error: str
    detail: str


def responses(*errors: type[HetaoError]) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route that can raise ``errors``, for the OpenAPI page."""
    out: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        entry = out.setdefault(error.status_code, {"model": ErrorBody, "description": ""})
        entry["description"] = " or ".join(filter(None, [entry["description"], error.__name__]))
    return out
