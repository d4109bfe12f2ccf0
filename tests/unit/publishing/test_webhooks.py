"""Webhook signatures, what an answer means, Retry-After and the backoff schedule."""
from __future__ import annotations

import hashlib
import hmac
import time
from email.utils import formatdate

import pytest

from services.publishing.webhooks import Outcome, backoff_s, outcome_of, retry_after_s, sign, verify


def test_signature_is_hmac_sha256_of_timestamp_then_body():
    body = b'{"uri":"urn:x"}'
    expected = hmac.new(b"s3cret-s3cret-s3cret", b"1734500000" + body, hashlib.sha256).hexdigest()
    assert sign("s3cret-s3cret-s3cret", "1734500000", body) == f"sha256={expected}"


def test_verify_refuses_a_changed_body_another_secret_and_an_old_timestamp():
    now = time.time()
    ts = str(int(now))
    good = sign("secret-one-secret", ts, b"body")
    assert verify("secret-one-secret", ts, b"body", good, now=now)
    assert not verify("secret-one-secret", ts, b"body!", good, now=now)
    assert not verify("secret-two-secret", ts, b"body", good, now=now)
    assert not verify("secret-one-secret", ts, b"body", good, now=now + 3600)
    assert not verify("secret-one-secret", "not-a-number", b"body", good, now=now)


@pytest.mark.parametrize("status,outcome", [
    (200, Outcome.DELIVERED), (204, Outcome.DELIVERED), (None, Outcome.RETRY), (500, Outcome.RETRY),
    (503, Outcome.RETRY), (408, Outcome.RETRY), (429, Outcome.RETRY), (400, Outcome.REJECTED),
    (401, Outcome.REJECTED), (404, Outcome.REJECTED), (410, Outcome.REJECTED), (301, Outcome.REJECTED),
])
def test_which_answers_are_retried(status, outcome):
    assert outcome_of(status) is outcome


def test_retry_after_in_seconds_or_as_a_date():
    assert retry_after_s("7") == 7.0
    now = time.time()
    assert 25 <= retry_after_s(formatdate(now + 30, usegmt=True), now=now) <= 31
    assert retry_after_s(formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert retry_after_s(None) is None and retry_after_s("soon") is None


def test_backoff_doubles_with_jitter_and_is_capped():
    for attempt, middle in ((1, 1.0), (2, 2.0), (3, 4.0)):
        assert 0.8 * middle <= backoff_s(attempt, base=1.0, cap=60) <= 1.2 * middle
    assert backoff_s(20, base=1.0, cap=60) <= 72


@pytest.mark.parametrize("value", ["\xb2", "²", "٣", "1²", "+5", "5.5", "-1", "Wed, 21 Oct 10000 07:28:00 GMT",
                                   "Wed, 21 Oct 2015 07:28:00 +9999", "\x00"])
def test_a_retry_after_that_is_not_ascii_digits_or_a_date_is_ignored(value):
    """httpx decodes a header byte that is not ASCII as Latin-1: ``\\xb2`` is "²", a
    digit to ``str.isdigit`` and nothing to ``float``."""
    assert retry_after_s(value) is None


def test_a_retry_after_past_any_float_is_a_wait_the_caller_caps():
    assert retry_after_s("9" * 400) == float("inf")
    assert retry_after_s(" 42 ") == 42.0
