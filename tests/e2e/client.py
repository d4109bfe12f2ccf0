"""A wire feed's view of the gateway: submit, then wait for the published item."""
from __future__ import annotations

import time

import httpx

AUTH = {"Authorization": "Bearer dev-key"}  # a provider's write key
ADMIN_KEY = "dev-admin-key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}  # the operator: reads everything


def submit(base_url: str, body: bytes, content_type: str = "text/plain; charset=utf-8") -> httpx.Response:
    return httpx.post(f"{base_url}/v1/articles", content=body,
                      headers={**AUTH, "Content-Type": content_type}, timeout=15)


def wait_published(base_url: str, article_id: str, *, timeout: float = 60.0) -> dict:
    """Poll ``GET /v1/articles/{id}`` until it answers 200; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = httpx.get(f"{base_url}/v1/articles/{article_id}", headers=ADMIN, timeout=5)
        if last.status_code == 200:
            return last.json()
        assert last.status_code == 404, last.text
        time.sleep(0.1)
    raise AssertionError(f"article {article_id} not published within {timeout}s (last: {last and last.status_code})")


def wait_for(predicate, *, timeout: float = 90, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy (returned); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
