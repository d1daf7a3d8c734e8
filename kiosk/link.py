"""The kiosk's connection to the server: whitelist pages, crossing batches, presence.

Every body is one of the typed models of ``clearance.core.wire``, the same ones the server
validates with.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from clearance.core.wire import (
    TEMPLATES_APART,
    CrossingBatch,
    KioskIdentity,
    PassageAnswer,
    PassageClaim,
    UploadResults,
    WhitelistColumnsPage,
)

API = "/api/v1"


class Unreachable(Exception):
    """The server did not answer (network down, server down, timeout, or a 5xx)."""

    def __init__(self, message: str, *, nobody_listening: bool = False) -> None:
        super().__init__(message)
        self.nobody_listening = nobody_listening
        """The connection was refused: no server runs at that address now (not a slow one)."""


class Refused(Exception):
    """The server answered with a 4xx: the kiosk's key or request is wrong; retrying won't help."""


class ServerLink:
    def __init__(self, server: str, *, key: str, timeout: float = 10.0) -> None:
        self.client = httpx.Client(
            base_url=server.rstrip("/"), headers={"Authorization": f"Bearer {key}"}, timeout=timeout
        )

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, path: str, *, timeout: float | None = None, **kwargs: Any) -> bytes:
        try:
            response = self.client.request(
                method, f"{API}{path}", timeout=timeout or self.client.timeout, **kwargs
            )
        except httpx.TransportError as exc:
            raise Unreachable(
                f"{method} {path}: {exc.__class__.__name__}: {exc}",
                nobody_listening=isinstance(exc, httpx.ConnectError) and "refused" in str(exc).lower(),
            ) from None
        if response.status_code >= 500:
            raise Unreachable(f"{method} {path}: server answered {response.status_code}")
        if response.status_code >= 400:
            raise Refused(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.content

    def whitelist_page(
        self, *, since: int, limit: int = 5000, waiting: int | None = None
    ) -> WhitelistColumnsPage:
        """The whitelist's changes after ``since``, as columns; ``waiting`` tells the server how
        many crossings this kiosk holds undelivered (shown to officers)."""
        params: dict[str, str | int] = {"since": since, "limit": limit, "layout": "binary"}
        if waiting is not None:
            params["waiting"] = waiting
        body = self._call("GET", "/kiosk/whitelist", params=params)
        # The page's JSON on one line (JSON text holds no raw newline), then its templates' bytes.
        head, _newline, templates = body.partition(b"\n")
        return WhitelistColumnsPage.model_validate_json(head, context={TEMPLATES_APART: templates})

    def deliver(self, batch: CrossingBatch) -> UploadResults:
        body = self._call("POST", "/kiosk/crossings", content=batch.model_dump_json(), headers=_JSON)
        return UploadResults.model_validate_json(body)

    def register_identity(self, public_key: bytes) -> None:
        """Tell the server this kiosk's batch-signing public key (accepted once, then fixed)."""
        identity = KioskIdentity(public_key=base64.b64encode(public_key).decode())
        self._call("POST", "/kiosk/identity", content=identity.model_dump_json(), headers=_JSON)

    def claim_passage(self, claim: PassageClaim, *, timeout: float) -> PassageAnswer:
        content = claim.model_dump_json()
        return PassageAnswer.model_validate_json(
            self._call("POST", "/kiosk/passages", content=content, headers=_JSON, timeout=timeout)
        )


_JSON = {"Content-Type": "application/json"}
