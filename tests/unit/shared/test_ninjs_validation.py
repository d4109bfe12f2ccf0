"""Publishing's verdict comes from the compiled (jsonschema-rs) ninjs 3.1 validator;
the pure-Python one gives the messages. Both must agree, offline, geoJSON included."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.ninjs import compiled, ninjs_errors, validator

SUITE = Path(__file__).parents[2] / "fixtures" / "ninjs-suite-3x"
BASE = {"uri": "urn:test:1", "headlines": [{"role": "main", "value": "Harbour strike ends"}]}
POINT = {"type": "Point", "coordinates": [126.9, 37.5]}
CASES = [json.loads(p.read_text()) for p in sorted(SUITE.glob("3.*/should_*/*.json"))] + [
    BASE, {**BASE, "headlines": "x"}, {**BASE, "urgency": "high"},
    {**BASE, "places": [{"name": "Seoul", "geoJSON": POINT}]},
    {**BASE, "places": [{"name": "Seoul", "geoJSON": {**POINT, "coordinates": "nope"}}]},
]


@pytest.mark.parametrize("item", CASES, ids=range(len(CASES)))
def test_the_compiled_and_the_python_validator_agree(item):
    assert compiled().is_valid(item) == validator().is_valid(item)
    assert (ninjs_errors(item) == []) == validator().is_valid(item)


def test_an_invalid_item_is_named_with_its_path():
    assert ninjs_errors({**BASE, "headlines": "x"}) == ["headlines: 'x' is not of type 'array'"]
