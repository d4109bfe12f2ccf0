"""/readyz needs no key: probes share one check of Kafka and Redis a second, so a
flood of them is not a flood of metadata requests and pings."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

from services.gateway.routes import health


class Dependency:
    """Counts the checks that reached it; ``down`` makes them fail."""

    def __init__(self) -> None:
        self.calls, self.down = 0, False

    async def answer(self) -> None:
        self.calls += 1
        await asyncio.sleep(0.01)
        if self.down:
            raise ConnectionError("down")


def state_of(kafka: Dependency, redis: Dependency) -> SimpleNamespace:
    return SimpleNamespace(producer=SimpleNamespace(client=SimpleNamespace(fetch_all_metadata=kafka.answer)),
                           read_model=SimpleNamespace(redis=SimpleNamespace(ping=redis.answer)))


async def test_concurrent_probes_share_one_check_and_a_later_probe_checks_again(monkeypatch):
    monkeypatch.setattr(health, "READINESS_TTL_S", 0.2)
    kafka, redis = Dependency(), Dependency()
    state, readiness = state_of(kafka, redis), health.ReadinessCheck()

    answers = await asyncio.gather(*(readiness.checks(state) for _ in range(200)))
    assert answers == [{"kafka": "ok", "redis": "ok"}] * 200
    assert (kafka.calls, redis.calls) == (1, 1)

    redis.down = True
    assert await readiness.checks(state) == {"kafka": "ok", "redis": "ok"}  # within the second: the last answer
    await asyncio.sleep(0.25)
    assert await readiness.checks(state) == {"kafka": "ok", "redis": "unreachable: ConnectionError"}
    assert (kafka.calls, redis.calls) == (2, 2)


async def test_a_probe_that_goes_away_does_not_cancel_the_check_the_others_wait_for():
    kafka, redis = Dependency(), Dependency()
    state, readiness = state_of(kafka, redis), health.ReadinessCheck()
    leaving = asyncio.ensure_future(readiness.checks(state))
    staying = asyncio.ensure_future(readiness.checks(state))
    await asyncio.sleep(0)
    leaving.cancel()
    assert await staying == {"kafka": "ok", "redis": "ok"}
    assert (kafka.calls, redis.calls) == (1, 1)
