"""The server's log: one JSON object per line on standard error, for a log shipper to read.

Lines carry ids, never names or document numbers: the request log has the path (which holds ids
only) but not the query string (a search may be a document number), and database errors never
quote the values of a statement (``clearance.db.engine``).
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

# Attributes every LogRecord has; anything else was passed as ``extra`` and is logged as a field.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(
            {k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")}
        )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class WorkerDeaths(logging.Filter):
    """uvicorn reports a worker process it had to kill and restart at INFO ("Child process [...]
    died"): every request that worker held was dropped, so it is an error, said with why."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            record.name.startswith("uvicorn")
            and record.getMessage().startswith("Child process")
            and (record.getMessage().endswith("died"))
        ):
            record.levelno, record.levelname = logging.ERROR, "ERROR"
            record.msg = (
                f"{record.getMessage()}: the worker stopped answering its supervisor and was replaced; "
                "the requests it held were dropped"
            )
            record.args = ()
        return True


def config(level: str = "info") -> dict[str, Any]:
    """The whole logging configuration as a dict, for uvicorn to apply in each worker process."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "clearance.cli.logs.JsonFormatter"}},
        "filters": {"worker_deaths": {"()": "clearance.cli.logs.WorkerDeaths"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
                "filters": ["worker_deaths"],
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error")},
    }


def configure(level: str = "info") -> dict[str, Any]:
    """Send every log line (ours and uvicorn's) to standard error as JSON; the logging config
    to hand uvicorn, which would otherwise install its own plain-text one."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(WorkerDeaths())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "loggers": {name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error")},
    }
