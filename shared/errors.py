"""Typed errors. Each says whether trying again can help (``retriable``), so the
runner knows whether to back off and retry or to send the message to the DLQ."""
from __future__ import annotations


class WireError(Exception):
    """Base of the project's errors. ``code`` is a stable machine-readable name."""

    retriable = False
    code = "error"


class RetriableError(WireError):
    """A transient failure (a dependency down, a timeout): the same input may succeed later."""

    retriable = True
    code = "retriable"


class MalformedEvent(WireError):
    """A message that cannot be decoded into the event the stage expects."""

    code = "malformed_event"


class UnknownSchemaVersion(MalformedEvent):
    """An event whose envelope ``schema_version`` this code does not know: written by
    a newer (or foreign) producer, so reading it by the old rules could misread it."""

    code = "unknown_schema_version"

    def __init__(self, version: object) -> None:
        super().__init__(f"unknown envelope schema_version {version!r}")
        self.version = version


class ParseError(WireError):
    """An article payload that cannot be read. ``where`` names the line or field."""

    code = "parse_error"

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.where = where

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} (at {self.where})" if self.where else text


class UnsupportedFormat(WireError):
    """A payload whose media type or content is of no format ingest reads."""

    code = "unsupported_format"


def is_retriable(exc: BaseException) -> bool:
    """True when ``exc`` declares itself worth retrying (ours and aiokafka's errors do)."""
    return bool(getattr(exc, "retriable", False))


def is_outage(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) is Redis or Kafka being unreachable, or
    Redis refusing writes because it is full (``maxmemory`` reached, ``noeviction``):
    the store the stage itself writes to is out of service, which is no fault of the
    record. The runner waits for it instead of dead-lettering the record."""
    from aiokafka.errors import KafkaConnectionError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import OutOfMemoryError as RedisFull
    from redis.exceptions import TimeoutError as RedisTimeoutError

    seen = 0
    while exc is not None and seen < 8:  # the chain of causes, bounded
        if isinstance(exc, (RedisConnectionError, RedisTimeoutError, RedisFull, KafkaConnectionError)):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
