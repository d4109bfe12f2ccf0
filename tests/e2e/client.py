"""A wire feed's view of the gateway: submit, then wait for the published item."""
from __future__ import annotations

import httpx

from tests.waiting import wait_for

AUTH = {"Authorization": "Bearer dev-key"}  # a provider's write key
ADMIN_KEY = "dev-admin-key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}  # the operator: reads everything


def submit(base_url: str, body: bytes, content_type: str = "text/plain; charset=utf-8") -> httpx.Response:
    return httpx.post(f"{base_url}/v1/articles", content=body,
                      headers={**AUTH, "Content-Type": content_type}, timeout=15)


def wait_published(base_url: str, article_id: str, *, timeout: float = 60.0) -> dict:
    """Poll ``GET /v1/articles/{id}`` until it answers 200 (its item returned); any
    answer but 200 or 404 fails at once; fail after ``timeout``."""
    def published() -> dict | None:
        answer = httpx.get(f"{base_url}/v1/articles/{article_id}", headers=ADMIN, timeout=5)
        assert answer.status_code in (200, 404), answer.text
        return answer.json() if answer.status_code == 200 else None

    return wait_for(published, timeout=timeout, interval=0.1, what=f"article {article_id} to be published")
