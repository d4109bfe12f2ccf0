"""The one ordering of a story's versions (shared.versions)."""
from __future__ import annotations

import pytest

from shared.read_model import StoredItem
from shared.versions import is_older, version_key


@pytest.mark.parametrize("older, newer", [
    ("1", "2"),
    ("2", "10"),        # by value, not as text
    ("1.5", "2"),
    ("2", "2.1"),
    ("abc", "1"),       # text sorts before every number
    ("a", "b"),         # text among itself as text
    (None, "1"),        # no version yet sorts first
])
def test_older_versions_come_first(older, newer):
    assert is_older(older, newer) and not is_older(newer, older)


@pytest.mark.parametrize("a, b", [("2", "2"), ("2", "2.0"), ("x", "x")])
def test_equal_versions_are_not_older(a, b):
    assert not is_older(a, b) and not is_older(b, a)


def test_versions_sort_by_the_key():
    assert sorted(["10", "b", "2", "a", "1.5"], key=version_key) == ["a", "b", "1.5", "2", "10"]


def test_the_read_model_ignores_what_is_older_than_it_holds():
    stored = StoredItem(version="3", item_json=None, meta={}, digest="", killed=False, root=None)
    assert stored.is_newer_than_me("2") and not stored.is_newer_than_me("3") and not stored.is_newer_than_me("4")
