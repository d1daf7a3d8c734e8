"""Server-sent events for the officers' live views: what a reconnecting browser missed, then every
crossing and alert as its transaction commits (``clearance.db.events``)."""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from clearance.core.zone import utcnow
from clearance.crossings import service as crossings
from clearance.db.events import KEEPALIVE_SECONDS, RESYNC, SESSIONS_ENDED, Event, EventHub
from clearance.db.models import User

SENT_MEMORY = 2000
"""How many crossing ids a stream remembers having sent, to send none twice when catching up."""


def missed_since(sessions: sessionmaker[Session], last_event_id: str | None) -> list[Event]:
    """What a reconnecting browser missed: crossings recorded after the last event it saw (its
    ``Last-Event-ID`` is that crossing's recording time)."""
    try:
        after = datetime.fromisoformat(last_event_id) if last_event_id else None
    except ValueError:
        after = None
    if after is None or after.tzinfo is None:
        return []
    with sessions() as session:
        return crossings.describe_crossings(session, crossings.crossings_recorded_after(session, after=after))


def format_sse(data: str, *, name: str | None = None, event_id: str | None = None) -> str:
    """One server-sent event; ``data`` is a single line (JSON)."""
    head = f"id: {event_id}\n" if event_id else ""
    head += f"event: {name}\n" if name else ""
    return f"{head}data: {data}\n\n"


def signed_in(sessions: sessionmaker[Session], user: User) -> Callable[[], bool]:
    """Whether ``user`` is still signed in as they were when their stream opened (enabled, not
    signed out everywhere since)."""
    version = user.sessions_version
    user_id = user.id

    def check() -> bool:
        with sessions() as session:
            found = session.get(User, user_id)
            return found is not None and found.is_active and found.sessions_version == version

    return check


async def stream(
    hub: EventHub,
    *,
    user_id: uuid.UUID,
    still_signed_in: Callable[[], bool],
    last_event_id: str | None,
    replay: Callable[[str | None], list[Event]],
    encode: Callable[[Event], str | None],
) -> AsyncIterator[str]:
    """The text of an event stream: what ``replay`` finds after ``last_event_id`` (what a
    reconnecting browser missed), then every event as it is delivered, with a comment line every
    15 s to keep proxies from closing an idle connection. When the server's own feed was cut
    (``RESYNC``), it catches up with ``replay`` from the last crossing it sent. ``encode`` turns
    an event into SSE text, or None to skip it; a crossing is sent once. The stream ends the
    moment ``user_id`` is signed out everywhere (disabled, a new password, a new role)."""
    subscription = hub.subscribe()
    sent: deque[str] = deque(maxlen=SENT_MEMORY)
    # What this stream has shown: everything up to its start, then each crossing it sent.
    started = utcnow().isoformat()
    last = last_event_id

    def fresh(item: Event) -> str | None:
        nonlocal last
        if item.get("type") == "crossing":
            if item["id"] in sent:
                return None
            sent.append(item["id"])
            last = str(item["recorded_at"])
        return encode(item)

    try:
        # Browsers retry a dropped connection after this many milliseconds.
        yield "retry: 1000\n\n"
        for missed in await asyncio.to_thread(replay, last):
            text = fresh(missed)
            if text:
                yield text
        while True:
            try:
                item = await asyncio.wait_for(subscription.queue.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                # Between events, the account is looked at again (a sign-out everywhere whose
                # event this process missed still ends the stream within one keep-alive).
                if not await asyncio.to_thread(still_signed_in):
                    return
                yield ": keep-alive\n\n"
                continue
            if item is None:
                return
            if item.get("type") == SESSIONS_ENDED:
                if item.get("user_id") == str(user_id):
                    return
                continue
            batch = await asyncio.to_thread(replay, last or started) if item is RESYNC else [item]
            for event in batch:
                text = fresh(event)
                if text:
                    yield text
    finally:
        hub.unsubscribe(subscription)
