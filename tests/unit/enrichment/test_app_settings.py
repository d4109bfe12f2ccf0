"""The stories agent's faust producer takes the records every other stage takes:
faust's own default (1,000,000 bytes) refused a story's output between 1 MB and
WIRE_MAX_RECORD_BYTES, which shared.bus lets through, and the agent crashed on it."""
from __future__ import annotations

from services.enrichment.app import create_app
from services.enrichment.settings import EnrichmentSettings


def test_the_faust_producer_takes_records_up_to_the_wire_limit(tmp_path):
    settings = EnrichmentSettings(kafka_bootstrap="127.0.0.1:1", data_dir=tmp_path, max_record_bytes=6 * 1024 * 1024)
    app = create_app(settings)
    assert app.conf.producer_max_request_size == settings.max_record_bytes
