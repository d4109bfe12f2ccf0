"""IPTC's ninjs 3.x should-pass/should-fail suite against the validator publishing uses.

Publishing validates every item against the 3.1 schema only, so both suites run
against it: 3.1's own, and 3.0's (3.1 only added ``digitalSourceType``, so every
3.0 should-pass example is also valid 3.1 and every 3.0 should-fail example is
still invalid). The 3.1 should-pass example is, correctly, not valid 3.0 — not run
against a 3.0 schema the product never uses.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.ninjs import ninjs_errors

SUITE = Path(__file__).parents[2] / "fixtures" / "ninjs-suite-3x"


def _cases(kind: str) -> list[Path]:
    return sorted(SUITE.glob(f"3.*/{kind}/*.json"))


def test_the_suite_is_there_with_its_licence():
    assert (SUITE / "LICENSE").read_text().startswith("MIT License")
    assert len(_cases("should_pass")) == 28 and len(_cases("should_fail")) == 9


@pytest.mark.parametrize("path", _cases("should_pass"), ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_should_pass(path: Path):
    assert ninjs_errors(json.loads(path.read_text())) == []


@pytest.mark.parametrize("path", _cases("should_fail"), ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_should_fail(path: Path):
    assert ninjs_errors(json.loads(path.read_text())) != []
