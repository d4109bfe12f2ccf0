"""The attacks of issue 11 (part B) against a running pipeline: webhooks and feeds
that point inward, redirect inward, answer gzip bombs or drip a byte at a time, and
drop-folder symlinks, FIFOs and pre-placed links. During all of them /healthz
answers within 1 s, the example article is accepted and published, no service
restarts or grows by 100 MB, and nothing from an internal address is stored,
logged or published.

Only 127.0.0.1 is allowed outbound here: the attackers listen on it, and the
"internal" service listens on 127.0.0.2, which stays refused."""
from __future__ import annotations

import json
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler

import httpx
import psutil
import pytest

from services.cli.stack.pipeline import Pipeline
from services.cli.stack.processes import free_port
from tests.e2e.client import submit, wait_published
from tests.outbound_helpers import (bomb_answer, drip_answer, gzip_bomb, peer, redirect_answer, text_answer)
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e
ADMIN = {"Authorization": "Bearer dev-admin-key"}
MARKER = b"INTERNAL-ONLY-7f3a"
SECRET = b"root:SECRET-c41b:0:0"


def armed(trigger: threading.Event, attack):
    """``attack`` once ``trigger`` is set; until then 304 (nothing new), so the
    services' memory is measured before any attack."""
    def answer(h: BaseHTTPRequestHandler) -> None:
        if trigger.is_set():
            attack(h)
        else:
            h.send_response(304)
            h.end_headers()
    return answer


@pytest.fixture(scope="module")
def attacked(kafka, redis_server, tmp_path_factory):
    home = tmp_path_factory.mktemp("outbound-attacks")
    trigger = threading.Event()
    internal_rss = text_answer(b"<rss version='2.0'><channel><title>" + MARKER + b"</title></channel></rss>",
                               content_type="application/rss+xml")
    with peer(internal_rss, host="127.0.0.2") as internal, \
         peer(armed(trigger, bomb_answer(gzip_bomb(200 * 1024 * 1024)))) as bomb_feed, \
         peer(armed(trigger, redirect_answer(internal.url("/feed.rss")))) as inward_feed, \
         peer(armed(trigger, drip_answer(every_s=4))) as drip_feed, \
         peer(bomb_answer(gzip_bomb(300 * 1024 * 1024), content_type="text/plain")) as bomb_hook, \
         peer(drip_answer(every_s=4)) as drip_hook:
        feeds = [{"url": p.url("/feed.rss"), "provider": "attacker", "interval_s": 1}
                 for p in (bomb_feed, inward_feed, drip_feed)]
        drop = home / "drop"
        drop.mkdir()
        stack = Pipeline(kafka_bootstrap=kafka.bootstrap, redis_url=redis_server.url, gateway_port=free_port(),
                         prefix=f"atk{uuid.uuid4().hex[:6]}.", data_dir=home, log_dir=home / "logs",
                         env={"WIRE_METRICS_PORT": "-1", "WIRE_BATCH_TIMEOUT_MS": "50",
                              "WIRE_OUTBOUND_ALLOWED_NETWORKS": '["127.0.0.1/32"]',
                              "WIRE_FEEDS": json.dumps(feeds), "WIRE_FEED_TIMEOUT_S": "3",
                              "WIRE_DROP_DIR": str(drop), "WIRE_DROP_SCAN_INTERVAL_S": "0.5",
                              "WIRE_WEBHOOK_TIMEOUT_S": "3", "WIRE_WEBHOOK_BACKOFF_S": "0.2",
                              "WIRE_WEBHOOK_BACKOFF_MAX_S": "1"})
        stack.start(timeout=180)
        try:
            yield {"stack": stack, "home": home, "drop": drop, "trigger": trigger, "internal": internal,
                   "bomb_feed": bomb_feed, "inward_feed": inward_feed, "drip_feed": drip_feed,
                   "bomb_hook": bomb_hook, "drip_hook": drip_hook}
        finally:
            stack.stop()


def resident_mb(stack: Pipeline) -> dict[str, float]:
    return {name: psutil.Process(p.pid).memory_info().rss / 1e6 for name, p in stack.processes.items()}


def subscribe(stack: Pipeline, name: str, url: str) -> httpx.Response:
    return httpx.post(f"{stack.gateway_url}/v1/subscriptions", headers=ADMIN, timeout=30,
                      json={"name": name, "filter": {"languages": ["en"]},
                            "outputs": {"topic": False, "feeds": False, "webhook": {"url": url}}})


def deliveries(stack: Pipeline, name: str) -> list[dict]:
    answer = httpx.get(f"{stack.gateway_url}/v1/subscriptions/{name}/deliveries", headers=ADMIN, timeout=10)
    return answer.json()["deliveries"]


def healthy_within_1s(stack: Pipeline) -> None:
    # the timeout is the assertion: no answer within 1 s raises
    assert httpx.get(f"{stack.gateway_url}/healthz", timeout=1.0).status_code == 200


@pytest.mark.parametrize("url, why", [
    ("http://127.0.0.2:8080/hook", "loopback"),
    ("http://[::1]:8080/hook", "loopback"),
    ("http://[::ffff:127.0.0.2]/hook", "loopback"),
    ("http://0.0.0.0:8000/hook", "unspecified"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://[fd00::1]/hook", "private"),
    ("http://10.0.0.7/hook", "private"),
])
def test_registering_an_inward_webhook_is_a_422_naming_why(attacked, url, why):
    stack = attacked["stack"]
    made = subscribe(stack, f"inward-{uuid.uuid4().hex[:6]}", url)
    problem = made.json()
    assert made.status_code == 422, made.text
    if "[" in url:  # the subscription model's URL pattern refuses IPv6 literals before the guard sees them
        assert problem["error"] == "invalid_request" and "webhook" in problem["detail"]
    else:
        assert problem["error"] == "webhook_url_refused" and why in problem["detail"], made.text
    replaced = httpx.put(f"{stack.gateway_url}/v1/subscriptions/inward-put", headers=ADMIN, timeout=30,
                         json={"outputs": {"webhook": {"url": url}}})
    assert replaced.status_code == 422 and (why in replaced.text or "[" in url), replaced.text


@pytest.mark.parametrize("spelling", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1"])
def test_odd_numeric_spellings_are_a_422(attacked, spelling):
    answer = subscribe(attacked["stack"], f"odd-{uuid.uuid4().hex[:6]}", f"http://{spelling}:8080/hook")
    assert answer.status_code == 422, answer.text


def test_the_pipeline_stays_up_and_publishes_while_attacked(attacked, example_article):
    stack, drop = attacked["stack"], attacked["drop"]
    warm = submit(stack.gateway_url, b"Harbour reopens after storm\n\n" + b"The harbour reopened on Monday. " * 40)
    assert warm.status_code == 202, warm.text
    wait_published(stack.gateway_url, warm.json()["id"], timeout=120)
    pids = {name: p.pid for name, p in stack.processes.items()}
    before = resident_mb(stack)

    # the attacks begin: feeds turn hostile, webhooks answer bombs and drips, the drop folder fills with traps
    polled = {name: len(attacked[name].requests) for name in ("bomb_feed", "inward_feed", "drip_feed")}
    attacked["trigger"].set()
    assert subscribe(stack, "bomb", attacked["bomb_hook"].url("/hook")).status_code == 201
    assert subscribe(stack, "drip", attacked["drip_hook"].url("/hook")).status_code == 201
    outside = attacked["home"] / "outside"
    outside.mkdir()
    (outside / "passwd").write_bytes(SECRET)
    victim = outside / "victim.conf"
    victim.write_bytes(b"precious")
    (drop / "failed").mkdir(exist_ok=True)
    (drop / "failed" / "broken.xml.error.txt").symlink_to(victim)
    (drop / "passwd.txt").symlink_to(outside / "passwd")
    os.mkfifo(drop / "pipe.xml")
    (drop / "broken.xml").write_bytes(b"<newsItem><unclosed></newsItem>")

    accepted = submit(stack.gateway_url, example_article)
    assert accepted.status_code == 202, accepted.text
    seen: dict = {}

    def published_and_every_attack_landed() -> bool:
        healthy_within_1s(stack)  # checked on every round: the gateway answers all along
        if "item" not in seen:
            got = httpx.get(f"{stack.gateway_url}/v1/articles/{accepted.json()['id']}", headers=ADMIN, timeout=5)
            if got.status_code == 200:
                seen["item"] = got.json()
        landed = (all(len(attacked[name].requests) >= n + 2 for name, n in polled.items())
                  and deliveries(stack, "bomb")
                  and deliveries(stack, "drip") and (drop / "failed" / "broken.xml").exists())
        return bool(seen.get("item") and landed)

    wait_for(published_and_every_attack_landed, timeout=240, interval=0.5,
             what="the example article published under attack and every attack at the pipeline")
    assert seen["item"]["language"] == "en"

    # the answers named in the issue
    bomb_entry = deliveries(stack, "bomb")[-1]
    assert bomb_entry["http_status"] == 200 and bomb_entry["outcome"] == "delivered"
    drip_entry = deliveries(stack, "drip")[-1]
    assert drip_entry["http_status"] is None and drip_entry["error"].startswith("timeout:")
    assert victim.read_bytes() == b"precious"
    assert "parse_error" in (drop / "failed" / "broken.xml.1.error.txt").read_text()
    assert (drop / "passwd.txt").is_symlink()

    # no restarts, no growth, nothing internal anywhere
    assert {name: p.pid for name, p in stack.processes.items()} == pids
    assert all(p.alive() for p in stack.processes.values())
    after = resident_mb(stack)
    grown = {name: round(after[name] - before[name], 1) for name in before}
    print(f"resident MB before the attacks {before}, growth under attack {grown}")
    assert all(g < 100 for g in grown.values()), grown
    assert attacked["internal"].requests == []
    logs = b"".join(path.read_bytes() for path in (attacked["home"] / "logs").glob("*.log"))
    assert MARKER not in logs and SECRET not in logs
    assert b"refused" in logs  # the inward feed's refusal was logged (without the page)
