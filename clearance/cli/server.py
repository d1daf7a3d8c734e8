"""``hetao serve``, ``hetao demo`` and ``hetao kiosk``: the programs that run."""

from __future__ import annotations

import argparse
from typing import Any

from clearance.cli.context import database_label, load_settings

SHUTDOWN_GRACE_SECONDS = 3
WORKER_HEALTHCHECK_SECONDS = 60
"""How long a worker process may take to answer its supervisor before it is taken for hung: a
worker busy a few seconds (loading the face networks on a loaded host) is not hung."""


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from clearance.cli import logs
    from clearance.web.app import create_app

    settings = load_settings()
    if args.workers < 1:
        raise SystemExit("hetao: --workers must be at least 1")
    if args.workers > 1 and not settings.sqlalchemy_url.startswith("postgresql"):
        raise SystemExit(
            "hetao: several worker processes need PostgreSQL (HETAO_DATABASE_URL): "
            "SQLite has one writer at a time"
        )
    log_config = logs.configure(args.log_level)
    # One process: the app is made here, so a missing key or an unmigrated database stops the
    # command at once. Several: each worker makes its own from the environment, after this check.
    app = create_app(settings)
    workers = f", {args.workers} worker processes" if args.workers > 1 else ""
    print(
        f"Hetao Clearance ({settings.environment.value}) on http://{args.host}:{args.port}  (API docs at "
        f"/docs), database {database_label(settings.sqlalchemy_url)}, data in {settings.data_dir}{workers}",
        flush=True,
    )
    uvicorn.run(
        "clearance.web.app:app_from_environment" if args.workers > 1 else app,
        factory=args.workers > 1,
        workers=args.workers,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        log_config=logs.config(args.log_level) if args.workers > 1 else log_config,
        # One JSON line per request comes from the app itself (ids, never query strings).
        access_log=False,
        # A client's address is taken from X-Forwarded-For only when it comes from a proxy the
        # operator named: otherwise anyone could claim any address.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        # Live views hold their connection open: on Ctrl-C wait at most a few seconds for them.
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from clearance.cli import demo

    return demo.run(settings=load_settings(), serve=not args.no_serve, host=args.host, port=args.port)


def cmd_kiosk(args: argparse.Namespace) -> int:
    from kiosk import runner

    return runner.run(
        settings=load_settings(),
        server=args.server,
        key=args.key,
        source=args.source,
        once=args.once,
        headless=args.headless,
        sync_interval=args.sync_interval,
    )


def add_commands(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the server (API, docs) on 127.0.0.1:8000")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (more than 1 needs PostgreSQL)",
    )
    serve.set_defaults(func=cmd_serve)

    demo = commands.add_parser("demo", help="the whole system on a fresh SQLite file, one scripted morning")
    demo.add_argument("--no-serve", action="store_true", help="run the scenario and exit")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.set_defaults(func=cmd_demo)

    kiosk = commands.add_parser("kiosk", help="a checkpoint station: frames in, one JSON line per decision")
    kiosk.add_argument("--server", required=True, help="the server's URL, e.g. http://127.0.0.1:8000")
    kiosk.add_argument("--key", required=True, help="this kiosk's API key")
    kiosk.add_argument("--source", required=True, help="camera index (0), video file or folder of images")
    kiosk.add_argument("--once", action="store_true", help="stop at the end of the file or folder")
    kiosk.add_argument("--headless", action="store_true", help="no screen, only the JSON lines")
    kiosk.add_argument("--sync-interval", type=float, default=15.0, help="seconds between whitelist syncs")
    kiosk.set_defaults(func=cmd_kiosk)
