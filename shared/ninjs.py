"""Validation of items against the official IPTC ninjs 3.1 JSON schema
(copied into ``shared/schemas/``, IPTC's licence beside it)."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema_rs
import orjson
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from shared.errors import WireError

GEOJSON_URL = "https://geojson.org/schema/GeoJSON.json"


class InvalidNinjs(WireError):
    """An item that does not validate against the ninjs 3.1 schema."""

    code = "invalid_ninjs"


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    schemas = resources.files("shared.schemas")
    schema = orjson.loads(schemas.joinpath("ninjs-schema_3.1.json").read_bytes())
    # places[].geoJSON refers to the GeoJSON schema by its remote URL: serve it from
    # the copy IPTC ships with its test suite, never from the network.
    geojson = Resource.from_contents(orjson.loads(schemas.joinpath("GeoJSON-schema.json").read_bytes()))
    return Draft202012Validator(schema, registry=Registry().with_resource(GEOJSON_URL, geojson))


def _refuse_download(uri: str):
    raise ValueError(f"the ninjs schema refers to {uri}, which is not bundled: nothing is downloaded")


@lru_cache(maxsize=1)
def compiled() -> jsonschema_rs.Draft202012Validator:
    """The same schema compiled by jsonschema-rs (Rust): the verdict on every item
    publishes, ~50× faster than the pure-Python validator, which stays for messages."""
    schemas = resources.files("shared.schemas")
    geojson = orjson.loads(schemas.joinpath("GeoJSON-schema.json").read_bytes())
    return jsonschema_rs.Draft202012Validator(
        orjson.loads(schemas.joinpath("ninjs-schema_3.1.json").read_bytes()),
        registry=jsonschema_rs.Registry([(GEOJSON_URL, geojson)], retriever=_refuse_download),
        retriever=_refuse_download, validate_formats=False)  # as the Python validator: formats annotate


def ninjs_errors(item: dict[str, Any]) -> list[str]:
    """Every schema violation of ``item`` as "path: message" strings (empty when valid)."""
    if compiled().is_valid(item):
        return []
    found = []
    for error in validator().iter_errors(item):
        path = "/".join(str(p) for p in error.absolute_path) or "(root)"
        found.append(f"{path}: {error.message}")
    # Should the two validators ever disagree, the compiled one's verdict stands.
    return found or [f"{'/'.join(map(str, e.instance_path)) or '(root)'}: {e.message}"
                     for e in compiled().iter_errors(item)]


def ensure_valid(item: dict[str, Any]) -> None:
    """Raise :class:`InvalidNinjs` naming the first violations when ``item`` is not ninjs 3.1."""
    errors = ninjs_errors(item)
    if errors:
        raise InvalidNinjs("not valid ninjs 3.1: " + "; ".join(errors[:5]))
