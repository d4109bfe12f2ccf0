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


# ISO 639-1: the languages a metric label may name. A label is a time series kept for the
# life of the process, so one taken from a provider's text (an article's ``language``)
# must come from a bounded set: any other tag is counted as "other".
_ISO_639_1 = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz
ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik
io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml
mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd
se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi
vo wa wo xh yi yo za zh zu
""".split())
OTHER_LANGUAGE = "other"


def language_label(tag: str | None) -> str:
    """The metric label of a language tag: its primary subtag when that is an ISO 639-1
    code ("pt" for "pt-BR", "en" for "en_GB"), "und" for none, else "other"."""
    if not tag:
        return "und"
    primary = tag.replace("_", "-").split("-", 1)[0].strip().lower()
    return primary if primary in _ISO_639_1 else OTHER_LANGUAGE


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
