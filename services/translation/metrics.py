"""Prometheus metrics of the translation stage (``wire_translation_*``)."""
from __future__ import annotations

from prometheus_client import Counter, Histogram

SEGMENTS = Counter("wire_translation_segments_total",
                   "Segments (a headline, or one sentence of a deck, paragraph, caption or summary) sent to an engine", ["engine", "pair"])
MEMORY_HITS = Counter("wire_translation_memory_hits_total",
                      "Segments found in the translation memory", ["pair"])
MEMORY_MISSES = Counter("wire_translation_memory_misses_total",
                        "Segments not in the translation memory (then translated)", ["pair"])
MEMORY_ERRORS = Counter("wire_translation_memory_errors_total",
                        "Translation-memory operations that failed (Redis unreachable)", ["op"])
ITEMS = Counter("wire_translation_items_total", "Translated items emitted", ["pair", "engine", "quality"])
UNTRANSLATED = Counter("wire_translation_untranslated_total",
                       "Wanted translations not produced", ["pair", "reason"])
ENGINE_SECONDS = Histogram("wire_translation_engine_seconds", "Time of one engine call (a batch of segments)",
                           ["engine"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
ENGINE_ERRORS = Counter("wire_translation_engine_errors_total", "Engine calls that failed",
                        ["engine", "retriable"])
NAMES_LOST = Counter("wire_translation_names_lost_total",
                     "Protected names an engine dropped (the segment then keeps its best attempt)", ["engine"])
SHORT_OUTPUTS = Counter("wire_translation_short_outputs_total",
                        "Engine outputs implausibly shorter than their segment, by what became of them "
                        "(recovered: retranslated in smaller pieces; flagged: still short, logged)", ["outcome"])
