"""``wire dlq``'s pure pieces: which records a replay takes and commits, and DLQ names."""
from __future__ import annotations

import pytest
from aiokafka import TopicPartition

from services.cli.connection import resolve_dlq
from services.cli.dlq import oldest_first, replay_positions
from shared.topics import Topics
from tests.unit.shared.test_dead_letters import letter


def test_a_limited_replay_takes_whole_runs_per_partition_and_commits_after_them():
    letters = [letter(0, 5, 10), letter(0, 7, 30), letter(1, 2, 20), letter(1, 3, 40)]  # offset 6: a marker
    chosen = oldest_first(letters, 2)
    assert [(d.partition, d.offset) for d in chosen] == [(0, 5), (1, 2)]
    assert replay_positions(letters) == {TopicPartition("p.wire.inbound.dlq", 0): 8,
                                         TopicPartition("p.wire.inbound.dlq", 1): 4}
    # A record older than the cut in a partition is never skipped.
    skewed = [letter(0, 0, 50), letter(0, 1, 5)]
    assert [d.offset for d in oldest_first(skewed, 1)] == [0, 1]


@pytest.mark.parametrize("name", ["translated", "articles.translated", "p.articles.translated.dlq",
                                  "articles.translated.dlq"])
def test_dlq_names_resolve_with_or_without_prefix(name):
    topics = Topics("p.")
    assert resolve_dlq(topics, name) == ("p.articles.translated.dlq", "p.articles.translated")


def test_webhooks_dlq_has_no_source_and_unknown_names_are_refused():
    topics = Topics("p.")
    assert resolve_dlq(topics, "webhooks") == ("p.webhooks.dlq", None)
    with pytest.raises(ValueError, match="no DLQ for 'articles.published'"):
        resolve_dlq(topics, "articles.published")


def test_the_operator_commands_take_the_pipelines_topology_from_a_flag_or_the_environment(monkeypatch):
    import argparse

    from services.cli.connection import add_connection_args, settings_from

    parser = argparse.ArgumentParser()
    add_connection_args(parser)
    monkeypatch.setenv("WIRE_TARGET_LANGUAGES", "pt,es")
    assert settings_from(parser.parse_args([])).translates  # as the services see it
    assert not settings_from(parser.parse_args(["--target-languages", ""])).translates
    monkeypatch.delenv("WIRE_TARGET_LANGUAGES")
    assert settings_from(parser.parse_args(["--target-languages", "pt"])).target_languages == ["pt"]


def test_publishings_dead_letters_go_back_to_what_publishing_reads_now():
    from services.cli.dlq import replay_to

    topics = Topics("p.")
    assert replay_to(topics, topics.translated, translates=True) == topics.translated
    assert replay_to(topics, topics.translated, translates=False) == topics.enriched  # nothing reads translated
    assert replay_to(topics, topics.enriched, translates=True) == topics.enriched
    assert replay_to(topics, topics.inbound, translates=False) == topics.inbound
