"""What every request goes through before and after its route, as plain ASGI: a request id, a
limit on the body whether or not it says its length, admission (a bounded number of requests at
work at once, the rest waiting their turn), and one log line.

Admission is what keeps the server from wedging under a burst: every request at work holds a
worker thread and, for a while, a database connection. With more requests at work than the
connection pool holds, threads wait for connections that are held by requests whose commit is
itself waiting for a thread. Admitting at most ``max_requests_at_work`` (fewer than the pool's
connections and the thread pool's threads) means none ever waits for what another waiting request
holds; the rest wait here, holding nothing, and are answered 503 with ``Retry-After`` only if
their turn does not come within ``admission_wait_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import orjson

from clearance.core.metrics import Metrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("hetao.requests")
REQUEST_ID_HEADER = "x-request-id"


Headers = list[tuple[bytes, bytes]]


def error_body(error: str, detail: str, request_id: str) -> tuple[Headers, bytes]:
    """An error in the contract's shape, as ASGI headers and body."""
    body = orjson.dumps({"error": error, "detail": detail, "request_id": request_id})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (REQUEST_ID_HEADER.encode(), request_id.encode()),
    ]
    return headers, body


@dataclass(frozen=True)
class BodyLimits:
    """The largest body each kind of request may send, in bytes."""

    default: int
    """Forms with a photo or a frame (multipart)."""
    json: int
    """Every other body, whatever it says it is (JSON, a form, anything): a kiosk's batch of 1,000
    crossings is well under 1 MiB."""
    imports: int
    """A bulk import's zip and CSV."""
    import_paths: frozenset[str]

    def for_request(self, path: str, content_type: str) -> int:
        """By size whatever the body calls itself: only a multipart form may carry files."""
        if path in self.import_paths:
            return self.imports
        if content_type.strip().lower().startswith("multipart/form-data"):
            return self.default
        return self.json


class RequestGate:
    """The ASGI middleware described in the module's docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: BodyLimits,
        max_at_work: int,
        admission_wait_seconds: float,
        streaming_paths: frozenset[str],
        metrics: Metrics,
    ) -> None:
        self.app = app
        self.limits = limits
        self.admission = asyncio.Semaphore(max_at_work)
        self.admission_wait = admission_wait_seconds
        self.streaming_paths = streaming_paths
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        path = scope["path"]
        headers = dict(scope.get("headers") or [])
        limit = self.limits.for_request(path, headers.get(b"content-type", b"").decode("latin-1"))
        outcome = {"status": 500}

        async def reply(status: int, error: str, detail: str, extra: Headers | None = None) -> None:
            head, body = error_body(error, detail, request_id)
            await send({"type": "http.response.start", "status": status, "headers": head + (extra or [])})
            await send({"type": "http.response.body", "body": body})
            outcome["status"] = status

        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await reply(413, "PayloadTooLarge", f"the request body is over {limit // 1024:,} KiB")
        elif path in self.streaming_paths or path.startswith("/static/"):
            await self._run(scope, receive, send, request_id=request_id, limit=limit, outcome=outcome)
        else:
            try:
                await asyncio.wait_for(self.admission.acquire(), self.admission_wait)
            except TimeoutError:
                await reply(
                    503,
                    "ServerBusy",
                    "the server is at capacity: try again in a moment",
                    [(b"retry-after", b"1")],
                )
            else:
                try:
                    await self._run(scope, receive, send, request_id=request_id, limit=limit, outcome=outcome)
                finally:
                    self.admission.release()
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.metrics.requests.labels(method=scope["method"], status=str(outcome["status"])).inc()
        # Ids, never names: the path holds ids only; the query string (a search may hold a
        # document number) is left out.
        log.info(
            "request",
            extra={
                "request_id": request_id,
                "method": scope["method"],
                "path": path,
                "status": outcome["status"],
                "ms": round(elapsed_ms, 1),
                "client": (scope.get("client") or ("", 0))[0],
            },
        )

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        request_id: str,
        limit: int,
        outcome: dict[str, int],
    ) -> None:
        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Stop reading here, whatever the body says of its length: the app sees the
                    # client gone, and the answer below is 413.
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def tagged_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                if exceeded:
                    head, body = error_body(
                        "PayloadTooLarge", f"the request body is over {limit // 1024:,} KiB", request_id
                    )
                    outcome["status"] = 413
                    started = True
                    await send({"type": "http.response.start", "status": 413, "headers": head})
                    await send({"type": "http.response.body", "body": body})
                    return
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER.encode(), request_id.encode())]
                outcome["status"] = message["status"]
                started = True
            elif exceeded:
                return  # the app's own answer to a body it never got whole is replaced above
            await send(message)

        try:
            await self.app(scope, counted_receive, tagged_send)
        except Exception:
            log.exception("request failed", extra={"request_id": request_id})
            if started:
                raise
            detail = f"the server failed on this request (request id {request_id})"
            head, body = error_body("InternalError", detail, request_id)
            outcome["status"] = 500
            with contextlib.suppress(Exception):
                await send({"type": "http.response.start", "status": 500, "headers": head})
                await send({"type": "http.response.body", "body": body})
