"""Any bytes under any declared media type: a typed error or valid ninjs, never a crash."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.errors import ParseError, UnsupportedFormat
from shared.formats import MEDIA_TYPES, parse
from shared.ninjs import ninjs_errors

CONTENT_TYPES = st.sampled_from([*MEDIA_TYPES, "", "text/plain; charset=latin-1", "text/plain; charset=nope",
                                 "application/octet-stream", "image/png"])
PAYLOADS = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.from_regex(r"<(html|rss|feed|nitf|newsItem|NewsML)>[\s\S]{0,300}", fullmatch=True).map(str.encode),
)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=PAYLOADS, content_type=CONTENT_TYPES)
def test_parse_gives_valid_ninjs_or_a_typed_error(payload, content_type):
    try:
        items = parse(payload, content_type, provider="fuzz")
    except (ParseError, UnsupportedFormat):
        return
    for item in items:
        assert ninjs_errors(item.article.to_ninjs()) == []
