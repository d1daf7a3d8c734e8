"""The live event feed: crossings and alerts, pushed to every connected officer within a second.

An event is announced inside the transaction that makes it true and delivered only when that
transaction commits, so nobody sees a crossing that was rolled back.

- On PostgreSQL the announcement is a ``NOTIFY`` on the channel ``hetao_events``. Every server
  process LISTENs on its own connection and hands what arrives to its connected browsers, so an
  officer connected to one process sees crossings recorded through any other.
- On SQLite (one server process) the events wait in the session and go to this process's
  subscribers after the commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

CHANNEL = "hetao_events"
_PENDING = "hetao_pending_events"
# A browser that stops reading loses events past this many rather than growing the server.
QUEUE_LIMIT = 1000
KEEPALIVE_SECONDS = 15.0

Event = dict[str, Any]
RESYNC: Event = {"type": "resync"}
"""Told to every live view after the listener lost its connection: catch up from the database."""
SESSIONS_ENDED = "sessions_ended"
"""An event's type when a user was signed out everywhere (``user_id``): their live views close."""


@dataclass(eq=False)
class Subscription:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Event | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))

    def offer(self, item: Event | None) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(item)


class EventHub:
    """This process's connected live views. ``deliver`` may be called from any thread."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._lock = threading.Lock()

    def subscribe(self) -> Subscription:
        subscription = Subscription(loop=asyncio.get_running_loop())
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    def deliver(self, item: Event | None) -> None:
        """Hand ``item`` to every subscriber; None tells them the server is closing."""
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            try:
                subscription.loop.call_soon_threadsafe(subscription.offer, item)
            except RuntimeError:  # its event loop has closed
                self.unsubscribe(subscription)


def publish(session: Session, *items: Event) -> None:
    """Announce ``items`` to every server process once ``session`` commits."""
    if not items:
        return
    if session.get_bind().dialect.name == "postgresql":
        # One statement for a whole batch: a kiosk draining its outbox delivers thousands.
        session.execute(
            text("SELECT pg_notify(:channel, payload) FROM unnest(CAST(:payloads AS text[])) AS payload"),
            {"channel": CHANNEL, "payloads": [orjson.dumps(item).decode() for item in items]},
        )
    else:
        session.info.setdefault(_PENDING, []).extend(items)


def deliver_after_commit(sessions: sessionmaker[Session], hub: EventHub) -> None:
    """SQLite: hand a session's announced events to ``hub`` when it commits, drop them on rollback."""

    def committed(session: Session) -> None:
        for item in session.info.pop(_PENDING, []):
            hub.deliver(item)

    def rolled_back(session: Session, _previous: Any) -> None:
        session.info.pop(_PENDING, None)

    event.listen(sessions, "after_commit", committed)
    event.listen(sessions, "after_soft_rollback", rolled_back)


class PostgresListener(threading.Thread):
    """LISTENs for events on its own connection and hands them to ``hub``; reconnects with a
    growing pause if the database goes away."""

    def __init__(self, engine: Engine, hub: EventHub) -> None:
        super().__init__(name="hetao-events-listener", daemon=True)
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._hub = hub
        self._stopping = threading.Event()
        self.listening = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        pause = 0.5
        connected_before = False
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    pause = 0.5
                    if connected_before:
                        # Whatever was announced while we were away is lost to LISTEN: each live
                        # view catches up from the database instead.
                        self._hub.deliver(RESYNC)
                    connected_before = True
                    while not self._stopping.is_set():
                        for notice in connection.notifies(timeout=0.5):
                            self._hub.deliver(orjson.loads(notice.payload))
            except psycopg.Error as exc:
                self.listening.clear()
                log.warning("live events: lost the database connection (%s); retrying", exc)
                self._stopping.wait(pause)
                pause = min(pause * 2, 10.0)
