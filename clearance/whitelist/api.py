"""The whitelist feed kiosks synchronise from."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Response

from clearance.core.errors import Forbidden, NotAuthenticated, responses
from clearance.core.wire import WhitelistColumnsPage, WhitelistPage
from clearance.core.zone import utcnow
from clearance.custody import keys
from clearance.http.deps import ContextDep, KioskDep, SessionDep
from clearance.whitelist import service as whitelist

router = APIRouter(tags=["kiosk"])


@router.get(
    "/kiosk/whitelist",
    response_model=WhitelistPage | WhitelistColumnsPage,
    responses=responses(NotAuthenticated, Forbidden),
)
def kiosk_whitelist(
    session: SessionDep,
    context: ContextDep,
    kiosk: KioskDep,
    since: Annotated[
        int, Query(ge=0, le=2**62, description="The cursor of the last page applied; 0 for a snapshot")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 2_000,
    waiting: Annotated[
        int | None,
        Query(
            ge=0, le=2**31 - 1, description="How many crossings the kiosk holds undelivered (for officers)"
        ),
    ] = None,
    layout: Annotated[
        Literal["entries", "columns", "binary"],
        Query(
            description="entries: one object per commuter (WhitelistPage); columns: one list per "
            "field and the templates in one base64 block (WhitelistColumnsPage); binary: as columns, "
            'but the body (application/octet-stream) is the page\'s JSON with `templates` "" on one '
            "line, a newline, then the templates' raw bytes, as kiosks since 2026-12-04 ask"
        ),
    ] = "entries",
) -> Response:
    """Whitelist changes after a cursor (removals included), oldest first, with the public keys."""
    data_key = context.keyring.data_key
    block = b""
    changes: list[dict[str, Any]] | dict[str, Any]
    if layout == "entries":
        changes, cursor, more = whitelist.changes_since(session, since=since, limit=limit, data_key=data_key)
    else:
        columns, cursor, more = whitelist.columns_since(session, since=since, limit=limit, data_key=data_key)
        block = columns["templates"]
        columns["templates"] = "" if layout == "binary" else base64.b64encode(block).decode()
        changes = columns
    if not more:
        kiosk.whitelist_synced_at = utcnow()
    if waiting is not None:
        kiosk.outbox_waiting = waiting
    body = {
        "server_time": utcnow().isoformat(),
        "cursor": cursor,
        "more": more,
        "kiosk": {
            "id": str(kiosk.id),
            "checkpoint_id": str(kiosk.checkpoint_id),
            "direction": kiosk.direction.value,
            "face_only": kiosk.checkpoint.face_only,
            "face_only_max_gallery": context.settings.face_only_max_gallery,
        },
        "keys": [
            {"kid": kid, "algorithm": keys.ALGORITHM, "public_key": base64.b64encode(raw).decode()}
            for kid, raw in keys.load_public_key_bytes(session).items()
        ],
        "entries" if layout == "entries" else "columns": changes,
    }
    # Serialised by hand: a 100,000-commuter snapshot is too large for response models.
    if layout == "binary":
        return Response(orjson.dumps(body) + b"\n" + block, media_type="application/octet-stream")
    return Response(orjson.dumps(body), media_type="application/json")
