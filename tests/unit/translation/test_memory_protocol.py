"""The dict memory of the unit tests and the Redis memory both keep the desk's
``SegmentMemory`` protocol, so a change to one shows here rather than as a unit test
that passes against a stand-in the real memory no longer matches."""
from __future__ import annotations

import inspect

import pytest

from services.translation.engines.base import NEURAL, Pair, Provenance
from services.translation.memory import SegmentMemory, TranslationMemory
from tests.unit.translation.helpers import DictMemory

METHODS = sorted(name for name, value in vars(SegmentMemory).items() if inspect.isfunction(value)
                 and not name.startswith("_"))


def test_the_protocol_names_what_the_desk_calls():
    assert METHODS == ["key", "recall", "remember"]


@pytest.mark.parametrize("memory", [TranslationMemory, DictMemory], ids=["redis", "dict"])
@pytest.mark.parametrize("name", METHODS)
def test_each_memory_has_the_protocols_methods_with_its_signatures(memory, name):
    wanted, found = getattr(SegmentMemory, name), getattr(memory, name)
    assert inspect.signature(found) == inspect.signature(wanted)
    assert inspect.iscoroutinefunction(found) == inspect.iscoroutinefunction(wanted)


async def test_the_dict_memory_recalls_what_it_remembered_under_the_same_key():
    memory = DictMemory()
    provenance = Provenance(engine="e", model="m 1", quality=NEURAL, label="M 1")
    key = memory.key("Hello  world.", ["Kim"], Pair("en", "pt"), provenance)
    assert key == memory.key("Hello world.", ["Kim"], Pair("en", "pt"), provenance)  # normalised
    assert key != memory.key("Hello world.", ["Kim"], Pair("en", "es"), provenance)
    await memory.remember({key: "Olá mundo."})
    assert await memory.recall([key, "other"]) == ["Olá mundo.", None]
