"""JSON-lines logging and the Prometheus metrics every stage shares.

Metric names follow ``wire_<stage>_<what>_<unit>``; the stage is a label so one
dashboard query covers every service.
"""
from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import Any

import orjson
from prometheus_client import Counter, Histogram, start_http_server

# Set by the runner around each message, so every log line of a handler carries them.
log_context: ContextVar[dict[str, Any]] = ContextVar("wire_log_context", default={})


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the article context
    (``article_uri``, ``stage``, ``trace_id``) and any ``extra=`` fields."""

    _reserved = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **log_context.get(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in self._reserved})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every logger's records to stderr as JSON lines tagged with ``service``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    handler.addFilter(_ServiceTag(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs each request's full URL at INFO; a webhook URL may carry its secret in
    # the path (https://hooks.example/services/T0/B0/<secret>), so only its warnings pass
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    logging.Formatter.converter = __import__("time").gmtime


class _ServiceTag(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        return True


def serve_metrics(port: int, host: str = "127.0.0.1") -> int | None:
    """Expose /metrics over HTTP on ``port`` (0: a free port; <0: not at all).
    Returns the port it listens on."""
    if port < 0:
        return None
    server, _thread = start_http_server(port, addr=host)
    return server.server_port


PROCESSED = Counter(
    "wire_stage_processed_total", "Messages a stage handled successfully", ["stage"]
)
FAILED = Counter(
    "wire_stage_failed_total", "Messages a stage sent to its DLQ", ["stage", "error"]
)
RETRIED = Counter("wire_stage_retries_total", "Handler attempts that were retried", ["stage"])
HANDLER_SECONDS = Histogram(
    "wire_stage_handler_seconds",
    "Time a stage's handler spent on one message",
    ["stage"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
END_TO_END_SECONDS = Histogram(
    "wire_pipeline_end_to_end_seconds",
    "Time from the gateway receiving an article to its publication",
    ["language"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
