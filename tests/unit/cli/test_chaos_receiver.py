"""The chaos run's webhook endpoint over real HTTP on 127.0.0.1: a signed delivery is
kept with its headers and answered 200; a forged one is counted and answered 401."""
from __future__ import annotations

import time

import httpx

from services.cli.chaos_receiver import CheckingReceiver
from services.publishing.webhooks import SIGNATURE, TIMESTAMP, sign


def post(url: str, body: bytes, secret: str, **headers: str) -> httpx.Response:
    stamp = str(int(time.time()))
    return httpx.post(url, content=body, timeout=10,
                      headers={TIMESTAMP: stamp, SIGNATURE: sign(secret, stamp, body), **headers})


def test_signed_deliveries_are_kept_and_forged_ones_refused():
    with CheckingReceiver("the-secret") as receiver:
        kept = post(receiver.url, b'{"uri":"urn:a"}', "the-secret", **{
            "X-Wire-Uri": "urn:a", "X-Wire-Version": "2", "X-Wire-Delivery": "urn:a@2:update",
            "X-Wire-Redelivery": "true"})
        forged = post(receiver.url, b'{"uri":"urn:b"}', "another-secret", **{"X-Wire-Uri": "urn:b"})
    assert (kept.status_code, forged.status_code) == (200, 401)
    assert [d[:3] + d[4:] for d in receiver.deliveries] == [("urn:a", "2", "urn:a@2:update", True)]
    assert receiver.bad_signatures == 1
