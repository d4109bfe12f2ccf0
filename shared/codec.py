"""orjson encoding of the event models, one place for every service."""
from __future__ import annotations

from typing import TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from shared.errors import MalformedEvent, UnknownSchemaVersion  # noqa: F401 - raised through the models

M = TypeVar("M", bound=BaseModel)


def encode(event: BaseModel) -> bytes:
    """Serialise an event model to JSON bytes (unset optional fields left out)."""
    return orjson.dumps(event.model_dump(mode="json", exclude_none=True))


def decode(model: type[M], data: bytes | None) -> M:
    """Parse JSON bytes into ``model``.

    Raises :class:`MalformedEvent` (not retriable) when the bytes are not JSON or do
    not fit the model, and its subclass :class:`UnknownSchemaVersion` when an
    envelope's ``schema_version`` is not one this code reads (the model's validator
    raises it): such a message goes to the DLQ, it can never succeed here.
    """
    if data is None:
        raise MalformedEvent("message has no value")
    try:
        return model.model_validate(orjson.loads(data))
    except orjson.JSONDecodeError as exc:
        raise MalformedEvent(f"value is not JSON: {exc}") from exc
    except ValidationError as exc:
        raise MalformedEvent(f"value is not a valid {model.__name__}: {exc.errors()[:3]}") from exc
