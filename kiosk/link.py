"""The kiosk's connection to the server: whitelist pages, crossing batches, presence."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import orjson

API = "/api/v1"


class Unreachable(Exception):
    """The server did not answer (network down, server down, timeout, or a 5xx)."""


class Refused(Exception):
    """The server answered with a 4xx: the kiosk's key or request is wrong; retrying won't help."""


class ServerLink:
    def __init__(self, server: str, *, key: str, timeout: float = 10.0) -> None:
        self.client = httpx.Client(
            base_url=server.rstrip("/"), headers={"Authorization": f"Bearer {key}"}, timeout=timeout
        )

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, path: str, *, timeout: float | None = None, **kwargs: Any) -> Any:
        try:
            response = self.client.request(
                method, f"{API}{path}", timeout=timeout or self.client.timeout, **kwargs
            )
        except httpx.TransportError as exc:
            raise Unreachable(f"{method} {path}: {exc.__class__.__name__}: {exc}") from None
        if response.status_code >= 500:
            raise Unreachable(f"{method} {path}: server answered {response.status_code}")
        if response.status_code >= 400:
            raise Refused(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return orjson.loads(response.content)

    def whitelist_page(self, *, since: int, limit: int = 5000) -> dict[str, Any]:
        page: dict[str, Any] = self._call("GET", "/kiosk/whitelist", params={"since": since, "limit": limit})
        return page

    def deliver(
        self, crossings: list[dict[str, Any]], *, signature: str | None = None
    ) -> list[dict[str, Any]]:
        body = self._call("POST", "/kiosk/crossings", json={"crossings": crossings, "signature": signature})
        results: list[dict[str, Any]] = body["results"]
        return results

    def register_identity(self, public_key: bytes) -> None:
        """Tell the server this kiosk's batch-signing public key (accepted once, then fixed)."""
        try:
            response = self.client.post(
                f"{API}/kiosk/identity", json={"public_key": base64.b64encode(public_key).decode()}
            )
        except httpx.TransportError as exc:
            raise Unreachable(f"POST /kiosk/identity: {exc.__class__.__name__}: {exc}") from None
        if response.status_code >= 500:
            raise Unreachable(f"POST /kiosk/identity: server answered {response.status_code}")
        if response.status_code >= 400:
            raise Refused(f"POST /kiosk/identity: {response.status_code} {response.text[:300]}")

    def last_side(self, commuter_id: uuid.UUID, *, timeout: float) -> str | None:
        body = self._call("GET", f"/kiosk/presence/{commuter_id}", timeout=timeout)
        side: str | None = body["last_side"]
        return side
