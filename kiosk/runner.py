"""``hetao kiosk``: the station, its background sync and delivery, and its output."""

from __future__ import annotations

import hashlib
import json
import queue
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from clearance.core import chain, keyfiles
from clearance.core.enums import DESTINATION, Direction
from clearance.core.settings import Settings
from clearance.core.wire import CrossingBatch, UploadStatus, WhitelistColumnsPage
from clearance.core.zone import utcnow
from clearance.vision.stack import face_stack
from kiosk import sources
from kiosk.link import Refused, ServerLink, Unreachable
from kiosk.station import Guidance, LinkStatus, Station, StationConfig
from kiosk.store import LocalStore

if TYPE_CHECKING:
    from kiosk.screen import Screen

T = TypeVar("T")

BATCH = 100
PAGES_AHEAD = 2
"""Whitelist pages fetched and waiting to be applied, at most (each about 6 MB at 5,000 commuters)."""
MAX_BACKOFF = 30.0


class Worker(threading.Thread):
    """A background loop with exponential backoff while the server is unreachable."""

    def __init__(self, name: str, *, interval: float, status: LinkStatus) -> None:
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self.status = status
        self.stopping = threading.Event()
        self.wake = threading.Event()

    def step(self) -> bool:
        """One round; True if there is more to do at once."""
        raise NotImplementedError

    def run(self) -> None:
        backoff = 0.5
        while not self.stopping.is_set():
            try:
                more = self.step()
                self.status.ok()
                backoff = 0.5
                if more:
                    continue
                delay = self.interval
            except Unreachable as exc:
                self.status.failed(str(exc))
                delay, backoff = backoff, min(backoff * 2, MAX_BACKOFF)
            except Refused as exc:
                print(f"hetao kiosk: the server refused {self.name}: {exc}", file=sys.stderr, flush=True)
                delay = MAX_BACKOFF
            self.wake.wait(delay)
            self.wake.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.join(10)


class Syncer(Worker):
    def __init__(
        self,
        store: LocalStore,
        link: ServerLink,
        *,
        interval: float,
        status: LinkStatus,
        page_size: int = 5000,
    ) -> None:
        super().__init__("whitelist-sync", interval=interval, status=status)
        self.store, self.link, self.page_size = store, link, page_size

    def step(self) -> bool:
        self.sync_all()
        return False

    def sync_all(self) -> None:
        """Pull every page after the cursor. The first page's time tells how far this kiosk's clock
        is off; after it a fetcher thread keeps up to ``PAGES_AHEAD`` pages waiting while this one
        applies them, so the server is seldom idle while the kiosk writes."""
        asked = utcnow()
        page = self.link.whitelist_page(
            since=self.store.cursor, limit=self.page_size, waiting=self.store.outbox_counts()["pending"]
        )
        answered = utcnow()
        if page.server_time is not None:
            self.status.clock_offset = ((asked + (answered - asked) / 2) - page.server_time).total_seconds()
        if not page.more:
            self.store.apply_whitelist_page(page)
            return
        ahead: queue.Queue[WhitelistColumnsPage | BaseException] = queue.Queue(maxsize=PAGES_AHEAD)
        done = threading.Event()

        def hand_over(item: WhitelistColumnsPage | BaseException) -> None:
            while not done.is_set():
                try:
                    ahead.put(item, timeout=0.1)
                    return
                except queue.Full:
                    continue

        def fetch(last: WhitelistColumnsPage) -> None:
            try:
                while last.more and not done.is_set():
                    last = self.link.whitelist_page(since=last.cursor, limit=self.page_size)
                    hand_over(last)
            except BaseException as exc:  # raised where the pages are applied
                hand_over(exc)

        fetcher = threading.Thread(target=fetch, args=(page,), name="whitelist-fetch", daemon=True)
        fetcher.start()
        try:
            while True:
                self.store.apply_whitelist_page(page)
                if not page.more:
                    return
                following = ahead.get()
                if isinstance(following, BaseException):
                    raise following
                page = following
        finally:
            done.set()
            fetcher.join()


class Deliverer(Worker):
    """Delivers the outbox in batches, each signed with the kiosk's own key; the server learns
    the public half before the first batch (clearance/core/chain.py)."""

    def __init__(
        self, store: LocalStore, link: ServerLink, *, status: LinkStatus, signing_key: Ed25519PrivateKey
    ) -> None:
        super().__init__("crossing-delivery", interval=1.0, status=status)
        self.store, self.link, self.signing_key = store, link, signing_key
        self._introduced = False

    def step(self) -> bool:
        batch = self.store.pending(BATCH)
        if not batch:
            return False
        if not self._introduced:
            self.link.register_identity(
                self.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            )
            self._introduced = True
        signature = chain.sign_batch(self.signing_key, batch)
        answer = self.link.deliver(CrossingBatch(crossings=batch, signature=signature, sent_at=utcnow()))
        if answer.clock_offset_seconds is not None:
            self.status.clock_offset = answer.clock_offset_seconds
        invalid = [r for r in answer.results if r.status is UploadStatus.INVALID]
        for result in invalid:
            # Kept in the outbox, marked, and said: never silently dropped.
            print(
                f"hetao kiosk: the server refused crossing {result.id}: {result.detail}",
                file=sys.stderr,
                flush=True,
            )
        self.store.mark_delivered(answer.results)
        return len(batch) == BATCH

    def drain(self, *, timeout: float) -> bool:
        """Deliver everything pending (for ``--once``); False if the server stayed away for
        ``timeout`` seconds, or refused the connection (no server runs there: what was not
        delivered stays in the outbox for the next run, and waiting would not bring it)."""
        deadline = threading.Event()
        timer = threading.Timer(timeout, deadline.set)
        timer.start()
        try:
            while not deadline.is_set():
                try:
                    if not self.step() and not self.store.pending(1):
                        return True
                except Unreachable as exc:
                    if exc.nobody_listening:
                        return False
                    deadline.wait(1.0)
                except Refused as exc:
                    print(f"hetao kiosk: the server refused this kiosk's crossings: {exc}", file=sys.stderr)
                    return False
            return False
        finally:
            timer.cancel()


STATUS_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "starting": "starting: synchronising the whitelist and loading the face models",
        "to_hk": "to Hong Kong Park",
        "to_sz": "to Shenzhen Park",
        "online": "server online",
        "offline": "SERVER OFFLINE: deciding from the whitelist",
        "minutes": "whitelist {n} min old",
        "seconds": "whitelist {n} s old",
        "never": "whitelist never synchronised",
        "waiting": "{n} crossing(s) to deliver",
    },
    "zh-Hant": {
        "starting": "啟動中：同步白名單並載入人臉模型",
        "to_hk": "往香港園區",
        "to_sz": "往深圳園區",
        "online": "伺服器在線",
        "offline": "伺服器離線：按白名單決定",
        "minutes": "白名單 {n} 分鐘前更新",
        "seconds": "白名單 {n} 秒前更新",
        "never": "白名單從未同步",
        "waiting": "{n} 次通關待上傳",
    },
    "zh-Hans": {
        "starting": "启动中：同步白名单并载入人脸模型",
        "to_hk": "往香港园区",
        "to_sz": "往深圳园区",
        "online": "服务器在线",
        "offline": "服务器离线：按白名单决定",
        "minutes": "白名单 {n} 分钟前更新",
        "seconds": "白名单 {n} 秒前更新",
        "never": "白名单从未同步",
        "waiting": "{n} 次通关待上传",
    },
}
"""The status line's words in each language an officer at the lane may read
(``HETAO_KIOSK_STATUS_LANGUAGE``); kiosk/static/fonts' Droid subset holds the Chinese."""


def status_line(store: LocalStore, status: LinkStatus, direction: Direction, language: str = "en") -> str:
    """The screen's line for the officer: direction, server, whitelist age, crossings waiting."""
    words = STATUS_WORDS[language]
    synced = store.get_state("synced_at")
    if synced:
        age = max(0, round((datetime.now().astimezone() - datetime.fromisoformat(synced)).total_seconds()))
        whitelist = words["minutes"].format(n=age // 60) if age >= 120 else words["seconds"].format(n=age)
    else:
        whitelist = words["never"]
    server = words["online"] if status.reachable else words["offline"]
    waiting = words["waiting"].format(n=store.outbox_counts()["pending"])
    return f"{words[direction.value]}  ·  {server}  ·  {whitelist}  ·  {waiting}"


def kiosk_dir(settings: Settings, key: str) -> Path:
    """Where this kiosk keeps its store and keys: ``HETAO_KIOSK_DIR``, or one folder per kiosk
    key in the data directory (so two kiosks on one machine, or in tests, never share a store)."""
    return settings.kiosk_dir or settings.data_dir / f"kiosk-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def load_signing_key(settings: Settings, key: str) -> Ed25519PrivateKey:
    """The kiosk's own batch-signing key, made on first use next to its store."""
    return keyfiles.load_or_create_signing_key(kiosk_dir(settings, key) / "signing-ed25519.pem", create=True)


def open_store(settings: Settings, key: str) -> LocalStore:
    folder = kiosk_dir(settings, key)
    key_file = settings.kiosk_data_key_file or folder / "data.key"
    data_key = keyfiles.load_or_create_data_key(key_file, create=True)
    model = face_stack(settings).model
    return LocalStore(folder / "kiosk.sqlite3", data_key=data_key, model=model.name, model_size=model.size)


def run(
    *,
    settings: Settings,
    server: str,
    key: str,
    source: str,
    once: bool,
    headless: bool,
    sync_interval: float = 15.0,
) -> int:
    if not source.isdigit() and not Path(source).exists():
        print(f"hetao kiosk: no camera, folder or video file at {source!r}", file=sys.stderr)
        return 2
    screen = None
    if not headless:
        from kiosk.screen import Screen

        # At once, before the whitelist and the models (seconds): a kiosk starting up shows its
        # screen and says so, instead of seconds of black.
        screen = Screen(STATUS_WORDS[settings.kiosk_status_language]["starting"])
    try:
        return _run(
            settings=settings,
            server=server,
            key=key,
            source=source,
            once=once,
            screen=screen,
            sync_interval=sync_interval,
        )
    finally:
        if screen is not None:
            screen.close()


def _run(
    *,
    settings: Settings,
    server: str,
    key: str,
    source: str,
    once: bool,
    screen: Screen | None,
    sync_interval: float,
) -> int:
    store = open_store(settings, key)
    link = ServerLink(server, key=key)
    status = LinkStatus()
    syncer = Syncer(store, link, interval=sync_interval, status=status)
    deliverer = Deliverer(store, link, status=status, signing_key=load_signing_key(settings, key))

    def starting(work: Callable[[], T]) -> T:
        """``work`` done while the screen (if any) stays up saying the kiosk is starting."""
        return work() if screen is None else screen.meanwhile(work)

    try:
        starting(syncer.sync_all)
        status.ok()
    except Unreachable as exc:
        status.failed(str(exc))
        print(f"hetao kiosk: server unreachable, deciding from the local whitelist: {exc}", file=sys.stderr)
    except Refused as exc:
        print(f"hetao kiosk: the server refused this kiosk: {exc}", file=sys.stderr)
        return 2
    info = store.kiosk_info()
    if info is None:
        print("hetao kiosk: never synchronised with the server; cannot know whom to clear", file=sys.stderr)
        return 2
    station = starting(
        lambda: Station(
            store=store,
            link=link,
            status=status,
            config=StationConfig.from_settings(settings),
            direction=info.direction,
            face_only=info.face_only,
            face_only_bound=info.face_only_max_gallery,
        )
    )
    if screen is not None:
        screen.show(
            screen.blank,
            Guidance.SHOW_QR,
            status_line(store, status, info.direction, settings.kiosk_status_language),
        )
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    syncer.start()
    deliverer.start()
    print(
        json.dumps(
            {
                "event": "started",
                "source": sources.describe(source),
                "direction": info.direction.value,
                "whitelist": store.count_whitelist(),
                "outbox": store.outbox_counts(),
                "server_reachable": status.reachable,
                "display": None if screen is None else {"size": list(screen.size), "placed": screen.placed()},
            }
        ),
        flush=True,
    )

    def announce(decision: dict[str, Any] | None) -> None:
        if decision is not None:
            print(json.dumps(decision), flush=True)
            deliverer.wake.set()

    shown = [station.guidance]

    def follow_screen(t: float) -> None:
        """One line each time the screen changes what it asks (its state, as JSON)."""
        if station.guidance is not shown[0]:
            shown[0] = station.guidance
            print(
                json.dumps({"event": "screen", "guidance": station.guidance.value, "t": round(t, 3)}),
                flush=True,
            )

    line_text, line_at = "", float("-inf")

    def status_now(t: float) -> str:
        """The officer's status line, read from the store at most once a second, not every frame."""
        nonlocal line_text, line_at
        if t - line_at >= 1.0:
            line_text, line_at = status_line(store, status, info.direction, settings.kiosk_status_language), t
        return line_text

    try:
        for frame in sources.frames(source, loop=not once):
            announce(station.handle(frame.image, frame.t))
            follow_screen(frame.t)
            if screen is not None and not screen.show(
                frame.image,
                station.guidance,
                status_now(frame.t),
                destination=DESTINATION[info.direction],
                reasons=station.reasons,
            ):
                break
            if stop.is_set():
                break
        announce(station.finish())
    except sources.SourceError as exc:
        print(f"hetao kiosk: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    finally:
        syncer.stop()
        deliverer.stop()
        station.close()
    delivered = deliverer.drain(timeout=10.0) if once else True
    print(
        json.dumps({"event": "stopped", "outbox": store.outbox_counts(), "delivered": delivered}), flush=True
    )
    link.close()
    return 0
