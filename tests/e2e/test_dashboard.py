"""The ops dashboard in a real headless Chromium (Debian's /usr/bin/chromium, driven
by Playwright): the page loads with no build step, an article pushed through the
gateway appears in "latest articles" with its stage timings and a link to its ninjs,
and the page is saved as a screenshot (tests/artifacts/dashboard.png)."""
from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import httpx
import pytest

from services.cli.synthetic import synthetic_article
from tests.e2e.client import ADMIN, ADMIN_KEY, submit

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture
async def page():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1400, "height": 1000})
            yield await context.new_page()
        finally:
            await browser.close()


async def test_dashboard_shows_a_pushed_article_live(pipeline, page):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{pipeline.gateway_url}/dashboard")
    # The ops views need the admin key: the page asks for it once.
    await page.locator("#login").wait_for(timeout=30_000)
    assert await page.locator("body[data-loaded='1']").count() == 0
    await page.fill("#admin-key", "wrong-key")
    await page.click("#login button")
    await page.locator("#login").wait_for(timeout=30_000)  # refused: asked again
    await page.fill("#admin-key", ADMIN_KEY)
    await page.click("#login button")
    await page.wait_for_selector("body[data-loaded='1']", timeout=30_000)
    assert await page.title() == "Wirestream · operations"

    text = synthetic_article(int(uuid.uuid4().int % 10**9), words=120)
    answer = submit(pipeline.gateway_url, text.encode())
    assert answer.status_code == 202, answer.text
    article_id = answer.json()["id"]
    headline = text.splitlines()[4]

    # No reload: the page's own polling must bring the article in.
    row = page.locator(f"#recent tr[data-id='{article_id}']")
    await row.wait_for(timeout=120_000)
    assert headline in await row.locator(".headline").inner_text()
    assert await row.locator(".bar i.s-published").count() == 1  # per-stage timing bar
    href = await row.locator("a").get_attribute("href")
    assert href == f"/v1/articles/{article_id}"
    assert httpx.get(f"{pipeline.gateway_url}{href}", timeout=10).status_code == 401  # not without a key
    item = httpx.get(f"{pipeline.gateway_url}{href}", headers=ADMIN, timeout=10).json()  # the link serves its ninjs
    assert item["headlines"][0]["value"] == headline

    await page.locator("#services [data-service='gateway'].up").wait_for(timeout=30_000)
    await page.locator("#services [data-service='ingest'].up").wait_for(timeout=30_000)
    await page.locator("#throughput tr[data-stage='publishing']").wait_for()
    await page.locator(f"#lag tr[data-group$='wire-publishing']").wait_for(timeout=30_000)
    await page.locator("#dlq tr[data-topic$='articles.enriched.dlq']").wait_for(timeout=30_000)  # publishing's
    assert await page.locator("#throughput tr[data-stage='translation']").count() == 0  # the stack does not translate
    assert "loading" not in await page.locator("#trends .body").inner_text()  # trends shown, or said unavailable
    assert await page.locator("#latency .big").first.inner_text() != "–"

    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert errors == [], errors
