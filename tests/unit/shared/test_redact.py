"""Masking the secrets of a URL for logs, stored status and dashboards."""
from __future__ import annotations

import hashlib
import logging

import pytest

from shared.outbound.redact import (URL_ARGUMENTS, URL_REFERENCES, is_url_reference, name_library_urls,
                                   redact_library_logs, redact_text, redact_url, url_origin, url_reference,
                                   without_url, without_url_secrets)


@pytest.mark.parametrize("url, shown", [
    ("https://wire.example/rss", "https://wire.example/rss"),
    ("https://bob:s3cret@wire.example:8443/rss", "https://***@wire.example:8443/rss"),
    ("https://TOKEN@wire.example/rss", "https://***@wire.example/rss"),
    ("https://wire.example/rss?apikey=TOPSECRET&lang=en", "https://wire.example/rss?apikey=***&lang=***"),
    ("https://wire.example/rss?TOPSECRET", "https://wire.example/rss?***"),
    ("https://wire.example/rss#TOPSECRET", "https://wire.example/rss#***"),
    ("https://a:b@c@wire.example/x?k=v", "https://***@wire.example/x?k=***"),
    ("http://[::1/rss?apikey=TOPSECRET", "***"),  # no URL at all: masked whole
])
def test_user_info_query_values_and_fragment_are_masked(url, shown):
    assert redact_url(url) == shown


def test_a_message_naming_the_url_or_its_pieces_is_masked():
    url = "https://bob:s3cret@wire.example/rss?apikey=TOP%2FSECRET&lang=en"
    message = f"cannot fetch {url}: auth bob:s3cret refused, key TOP/SECRET unknown (lang en)"
    assert redact_text(message, url) == ("cannot fetch https://***@wire.example/rss?apikey=***&lang=***: "
                                         "auth *** refused, key *** unknown (lang en)")


def test_library_logs_of_requested_urls_are_masked(caplog):
    redact_library_logs()
    assert URL_ARGUMENTS in logging.getLogger("httpx").filters
    redact_library_logs("tests.redact.masked")  # a logger of its own: another test may have named httpx's URLs
    caplog.set_level(logging.INFO)
    logging.getLogger("tests.redact.masked").info('HTTP Request: %s %s "%s %d"', "GET",
                                    "https://bob:s3cret@wire.example/rss?apikey=TOPSECRET", "HTTP/1.1", 200)
    assert caplog.records[-1].getMessage() == 'HTTP Request: GET https://***@wire.example/rss?apikey=*** "HTTP/1.1 200"'


SLACKISH = "https://hooks.example.com:8443/services/T0A1/B0C2/Xq7pLr2Vt9Wb4Nc8?token=Zm3Rj8Qw"


def test_a_webhook_url_is_named_by_its_host_and_a_digest_and_none_of_its_path():
    """A webhook URL may be its own secret, in its path as much as its query."""
    reference = url_reference(SLACKISH)
    digest = hashlib.sha256(SLACKISH.encode()).hexdigest()[:16]
    assert reference == f"https://hooks.example.com:8443/... sha256:{digest}"
    assert url_reference("https://bob:s3cret@hooks.example.com/x").startswith("https://hooks.example.com/... ")
    assert url_reference(SLACKISH.replace("Xq7p", "Xq7q")) != reference  # two hooks of one host told apart
    assert url_reference("not a url").startswith("*** sha256:")
    assert is_url_reference(reference) and not is_url_reference(SLACKISH)


def test_a_message_quoting_a_webhook_url_keeps_none_of_its_secret():
    message = f"POST {SLACKISH} failed: token Zm3Rj8Qw expired"
    assert without_url(message, SLACKISH) == f"POST {url_reference(SLACKISH)} failed: token *** expired"


FEED = "https://bob:s3cret@wire.example/feeds/feedtoken-9d41c7/rss?apikey=TOPSECRET&lang=en"


def test_library_logs_of_requested_urls_can_name_them_by_reference(caplog):
    """For URLs whose path may be their secret (a feed token): no path at all."""
    name_library_urls()
    assert URL_REFERENCES in logging.getLogger("httpx").filters
    name_library_urls("tests.redact.named")
    caplog.set_level(logging.INFO)
    logging.getLogger("tests.redact.named").info('HTTP Request: %s %s "%s %d"', "GET", FEED, "HTTP/1.1", 200)
    assert caplog.records[-1].getMessage() == f'HTTP Request: GET {url_reference(FEED)} "HTTP/1.1 200"'


@pytest.mark.parametrize("url, origin", [
    ("https://bob:s3cret@lt.example:5000/proxy/token?api_key=K", "https://lt.example:5000"),
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    ("lt.example/translate", "***"),
    ("http://[::1/x", "***"),
])
def test_an_origin_keeps_scheme_host_and_port_only(url, origin):
    assert url_origin(url) == origin


def test_a_message_quoting_a_url_or_its_path_in_another_spelling_keeps_none_of_its_secrets():
    quoted = FEED.replace("bob:s3cret@", "")  # as a library or a redirect may spell it
    message = (f"GET {FEED} failed; retried {quoted}; then /feeds/feedtoken-9d41c7/rss.xml "
               f"with feedtoken-9d41c7, key TOPSECRET and key ABCDEFGH")
    scrubbed = without_url_secrets(message, FEED, secrets=["ABCDEFGH"])
    assert scrubbed == (f"GET {url_reference(FEED)} failed; retried https://wire.example***?***; "
                        f"then ***.xml with ***, key *** and key ***")
    # what redact_url left in logs and stores before is named by the reference too
    assert without_url_secrets(f"fetch {redact_url(FEED)} failed", FEED) == f"fetch {url_reference(FEED)} failed"
    assert without_url_secrets(f"at {FEED}", FEED, shown="https://wire.example") == "at https://wire.example"
    # a path segment that is also in the host does not garble what names the URL
    assert without_url_secrets("https://wire.example/wire down", "https://wire.example/wire") == \
        f"{url_reference('https://wire.example/wire')} down"
    assert without_url_secrets("*** stays", "not a url") == "*** stays"
