"""Metric labels taken from a provider's text come from a bounded set: each label value
is a time series kept for the life of the process (1,000 distinct 1 KB `language`
values grew publishing by 77 MB and its /metrics page to 17 MB)."""
from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from services.translation.handlers import NO_SOURCE_LANGUAGE, translate_article
from shared.telemetry import language_label
from tests.unit.translation.helpers import event_of, example_article
from tests.unit.translation.test_handler import setup


@pytest.mark.parametrize("tag, label", [
    ("en", "en"), ("pt-BR", "pt"), ("en_GB", "en"), ("ZH-Hant-TW", "zh"), (" ko ", "ko"),
    (None, "und"), ("", "und"),
    ("zz", "other"), ("zz-" + "q" * 5000, "other"), ("ceb", "other"), ("e\u0301n", "other"), ("en\nx", "other"),
])
def test_a_language_tag_becomes_its_primary_subtag_or_other(tag, label):
    assert language_label(tag) == label


async def test_an_article_in_a_made_up_language_is_counted_untranslated_under_other():
    router, desk = setup()
    article = example_article()
    event = event_of(article.model_copy(update={"language": "x-" + "q" * 1000}))
    await translate_article(event, targets=["pt"], router=router, desk=desk)
    # no 2-3 letter tag, no language an engine has: not translated, and said so under "other"
    assert REGISTRY.get_sample_value("wire_translation_untranslated_total",
                                     {"pair": "other-pt", "reason": NO_SOURCE_LANGUAGE}) >= 1
    assert not [s for m in REGISTRY.collect() for s in m.samples if "q" * 100 in "".join(s.labels.values())]
