"""The ops dashboard's article rows and latency percentiles."""
from __future__ import annotations

from services.gateway.routes.ops import article_row, latency


META = {"article_id": "abc", "uri": "urn:x:1", "version": "2", "provider": "ap", "signal": "update",
        "received_at": "2025-01-01T00:00:00+00:00", "published_at": "2025-01-01T00:00:01.5+00:00",
        "trace_id": "t" * 32,
        "stage_timings": {"ingested": {"started_at": 1735689600.1, "finished_at": 1735689600.2},
                          "enriched": {"started_at": 1735689600.5, "finished_at": 1735689601.0},
                          "published": {"started_at": 1735689601.4, "finished_at": 1735689601.5}}}
ITEM = {"headlines": [{"role": "main", "value": "Floods close the port"}], "language": "en"}


def test_an_article_row_shows_waiting_and_working_time_per_stage():
    row = article_row(ITEM, META)
    assert row["headline"] == "Floods close the port" and row["href"] == "/v1/articles/abc"
    assert row["end_to_end_ms"] == 1500.0
    assert [(t["stage"], t["waited_ms"], t["ms"]) for t in row["timings"]] == [
        ("ingested", 100.0, 100.0), ("enriched", 300.0, 500.0), ("published", 400.0, 100.0)]


def test_latency_percentiles_overall_and_per_language():
    metas = [({"language": "en" if i % 2 else "ko"},
              {**META, "published_at": f"2025-01-01T00:00:{i:02d}+00:00"}) for i in range(1, 11)]
    result = latency(metas)
    assert result["end_to_end_ms"] == {"count": 10, "p50": 5000.0, "p95": 10000.0, "p99": 10000.0}
    assert set(result["by_language"]) == {"en", "ko"} and result["by_language"]["en"]["count"] == 5
    assert result["stage_median_ms"]["enriched"] == 500.0
    assert latency([])["end_to_end_ms"] == {"count": 0}
