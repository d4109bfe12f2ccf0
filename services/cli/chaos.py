"""``make chaos``: articles with updates at a steady rate through the gateway of the
three-broker cluster with two replicas per worker, while a schedule of faults
runs; then the checker (:mod:`chaos_check`) and a table fault × lost ×
duplicated × stall.

``python -m services.cli.chaos -n 10000`` is the full run (broker SIGKILL and
restart twice, a SIGKILLed replica of each service kept down 60 s, a replica
added and removed, Redis killed and restarted, Kafka paused 15 s); ``--short`` is
the ≈300-article run that ``make test`` also runs (tests/e2e/test_chaos.py).
"""
from __future__ import annotations

import argparse
import os
import queue
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from services.cli.chaos_check import Fault, Report, run_check, table
from services.cli.chaos_election import ElectionWatch
from services.cli.chaos_groups import partition_owner
from services.cli.chaos_receiver import CheckingReceiver
from services.cli.run import replica_env
from services.cli.stack.cluster import KafkaCluster
from services.cli.stack.pipeline import Pipeline
from services.cli.stack.processes import free_port
from services.cli.stack.redis import LocalRedis
from shared.topics import Topics

WRITE = {"Authorization": "Bearer dev-key"}
ADMIN = {"Authorization": "Bearer dev-admin-key"}
CONFLICT = "http://cv.iptc.org/newscodes/mediatopic/16000000"


@dataclass
class Step:
    at_s: float  # seconds after feeding started
    name: str
    act: Callable[[], None]


class Chaos:
    def __init__(self, kafka: KafkaCluster, redis: LocalRedis, pipeline: Pipeline, *, prefix: str) -> None:
        self.kafka, self.redis, self.pipeline, self.prefix = kafka, redis, pipeline, prefix
        self.held: set[str] = set()  # killed on purpose and kept down: not restarted yet
        self.planned: set[str] = set()  # killed on purpose: their restarts are expected
        self.removed: set[str] = set()  # replicas taken out of the pipeline for good
        self.unplanned: list[str] = []
        self.faults: list[Fault] = []
        self.accepted: dict[tuple[str, str], float] = {}
        self.rejected: list[tuple[str, int]] = []
        self.stop = threading.Event()
        # Every action runs on the thread that called run(): a child's PDEATHSIG fires
        # when the *thread* that started it exits, so a broker restarted from a timer
        # thread would be SIGTERMed right after (processes.py, _die_with_parent).
        self.actions: queue.Queue[Callable[[], None]] = queue.Queue()
        self.pending = 0  # actions scheduled for later, not queued yet

    def later(self, delay_s: float, action: Callable[[], None]) -> None:
        self.pending += 1

        def due() -> None:
            self.actions.put(action)
            self.pending -= 1
        threading.Timer(delay_s, due).start()

    # --- faults -----------------------------------------------------------------------
    def fault(self, name: str) -> Fault:
        self.faults.append(Fault(name, time.time()))
        print(f"chaos: {name}", flush=True)
        return self.faults[-1]

    def kill_broker(self, index: int, down_s: float) -> Step:
        def act() -> None:
            self.kafka.kill(index)
            fault = self.fault(f"broker {index + 1} SIGKILL ({down_s:.0f} s down)")
            others = ",".join(n.bootstrap for i, n in enumerate(self.kafka.nodes) if i != index)
            fault.election = ElectionWatch(others, index + 1, prefix=self.prefix, killed_at=fault.at)
            self.later(down_s, self.kafka.nodes[index].launch)
        return Step(0, f"kill broker {index + 1}", act)

    def kill_replica(self, victim: str, down_s: float) -> Step:
        """SIGKILL ``<service>-1``; for ``stories``, whichever replica runs the stories
        step now (killing its idle standby would cost nothing)."""
        def act() -> None:
            name = self.stories_owner() if victim == "stories" else f"{victim}-1"
            self.planned.add(name)
            self.held.add(name)
            self.pipeline.processes[name].kill()
            self.fault(f"{name} SIGKILL ({down_s:.0f} s down)")
            self.later(down_s, lambda: self.held.discard(name))
        return Step(0, f"kill a {victim} replica", act)

    def stories_owner(self) -> str:
        topics = Topics(self.prefix)
        owner = partition_owner(self.kafka.bootstrap, topics.group("enrichment-stories"), topics.stories)
        return f"stories-{owner.rsplit('-', 1)[1]}" if owner else "stories-1"

    def rebalance(self, service: str, stay_s: float) -> Step:
        def act() -> None:
            name = self.pipeline.add_replica(service)
            self.fault(f"{name} joins, leaves after {stay_s:.0f} s")

            def leave() -> None:
                self.removed.add(name)  # the supervisor must not start it again
                self.pipeline.remove_replica(name)
            self.later(stay_s, leave)
        return Step(0, f"add a {service} replica", act)

    def kill_redis(self, down_s: float) -> Step:
        def act() -> None:
            self.redis.process.kill()
            self.fault(f"redis SIGKILL ({down_s:.0f} s down)")
            self.later(down_s, self.redis.start)
        return Step(0, "kill redis", act)

    def pause_kafka(self, pause_s: float) -> Step:
        def act() -> None:
            for node in self.kafka.nodes:
                os.kill(node.process.pid, signal.SIGSTOP)
            self.fault(f"all brokers paused {pause_s:.0f} s")

            def resume() -> None:
                for node in self.kafka.nodes:
                    try:
                        os.kill(node.process.pid, signal.SIGCONT)
                    except ProcessLookupError:
                        pass  # killed meanwhile by a later step (short runs overlap them)
            self.later(pause_s, resume)
        return Step(0, "pause kafka", act)

    # --- the run ----------------------------------------------------------------------
    def supervise(self) -> None:
        """What ``wire run`` does: start again every process that exited."""
        for name, process in list(self.pipeline.processes.items()):
            if name in self.held or name in self.removed or process.alive():
                continue
            if name not in self.planned:
                code = process.proc.returncode if process.proc else None
                self.unplanned.append(f"{name} (exit {code}): {process.log_tail(5)}")
                print(f"chaos: {name} exited on its own (exit {code})", flush=True)
            self.planned.discard(name)
            process.start()

    def steer(self, busy: Callable[[], bool]) -> None:
        """Run queued actions and supervise, on this thread, while ``busy()``."""
        while busy() or self.pending or not self.actions.empty():
            try:
                self.actions.get(timeout=0.5)()
            except queue.Empty:
                pass
            self.supervise()

    def run_faults(self, steps: list[Step], started: float) -> None:
        for step in sorted(steps, key=lambda s: s.at_s):
            if self.stop.wait(max(0.0, started + step.at_s - time.monotonic())):
                return
            self.actions.put(step.act)

    def feed(self, articles: int, rate: float, run: str, *, update_every: int = 7, update_lag: int = 40) -> None:
        """Post ``articles`` stories (and a second and third version of every
        ``update_every``-th one, ``update_lag`` articles later) at ``rate`` per second,
        retrying each until the gateway accepts it (as a wire feed would)."""
        posts: list[tuple[int, int]] = []
        for i in range(articles + 2 * update_lag):
            if i < articles:
                posts.append((i, 1))
            for version, lag in ((2, update_lag), (3, 2 * update_lag)):
                j = i - lag
                if 0 <= j < articles and j % update_every == 0:
                    posts.append((j, version))
        interval = 1.0 / rate
        with httpx.Client(timeout=10) as client:
            next_at = time.monotonic()
            for story, version in posts:
                self._post(client, f"urn:chaos:{run}:{story}", version)
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))

    def _post(self, client: httpx.Client, uri: str, version: int) -> None:
        body = orjson.dumps({
            "uri": uri, "version": str(version), "type": "text", "language": "en",
            "headlines": [{"role": "main", "value": f"Report {uri.rsplit(':', 1)[1]}, version {version}"}],
            "bodies": [{"role": "main", "contentType": "text/plain",
                        "value": f"Officials in Seoul said on day {uri.rsplit(':', 1)[1]} that version {version} "
                                 "of the report follows the earlier account of troop movements near the border."}],
            "subjects": [{"uri": CONFLICT, "name": "conflict"}]})
        delay = 0.2
        while True:
            try:
                answer = client.post(f"{self.pipeline.gateway_url}/v1/articles", content=body,
                                     headers={**WRITE, "Content-Type": "application/json"})
                if answer.status_code == 202:
                    self.accepted[(uri, str(version))] = time.time()
                    return
                if answer.status_code < 500 and answer.status_code != 429:
                    self.rejected.append((uri, answer.status_code))
                    return
            except httpx.HTTPError:
                pass
            time.sleep(delay)
            delay = min(delay * 2, 3.0)

    def warm_up(self, receiver: CheckingReceiver, run: str, *, timeout_s: float) -> None:
        """One article all the way to the webhook before the clock starts: the faults
        hit a pipeline that is running, not one still loading its models."""
        with httpx.Client(timeout=10) as client:
            self._post(client, f"urn:chaos:{run}:warm-up", 1)
        self.accepted.clear()  # not part of the run
        deadline = time.monotonic() + timeout_s
        while not receiver.deliveries and time.monotonic() < deadline:
            time.sleep(0.5)
        if not receiver.deliveries:
            raise TimeoutError(f"the pipeline published nothing within {timeout_s:.0f} s")
        receiver.deliveries.clear()

    def subscribe(self, receiver: CheckingReceiver) -> str:
        answer = httpx.post(f"{self.pipeline.gateway_url}/v1/subscriptions", headers=ADMIN, timeout=30,
                            json={"name": "chaos", "filter": {"subjects": [CONFLICT]}, "outputs": {
                                "topic": True, "webhook": {"url": receiver.url}}})
        answer.raise_for_status()
        receiver.secret = answer.json()["outputs"]["webhook"]["secret"]
        return Topics(self.prefix).subscription("chaos")

    def run(self, *, articles: int, rate: float, steps: list[Step], drain_timeout_s: float = 300) -> Report:
        run = uuid.uuid4().hex[:8]
        receiver = CheckingReceiver().start()
        try:
            subscription_topic = self.subscribe(receiver)
            self.warm_up(receiver, run, timeout_s=drain_timeout_s)
            started = time.monotonic()
            faults = threading.Thread(target=self.run_faults, args=(steps, started), daemon=True)
            feeding = threading.Thread(target=self.feed, args=(articles, rate, run), daemon=True)
            faults.start()
            feeding.start()
            self.steer(lambda: feeding.is_alive() or faults.is_alive())
            self.held -= set(self.pipeline.processes)  # killed replicas start again; removed ones stay gone
            deadline = time.monotonic() + drain_timeout_s
            self.steer(lambda: time.monotonic() < deadline and len(receiver.deliveries) < len(self.accepted))
            end = time.monotonic() + 3.0  # late repeats would show up now
            self.steer(lambda: time.monotonic() < end)
            report = run_check(bootstrap=self.kafka.bootstrap, topics=Topics(self.prefix),
                               translates=self.pipeline.translates,
                               subscription_topic=subscription_topic, receiver=receiver,
                               accepted=self.accepted, faults=self.faults)
            report.unplanned_restarts = list(self.unplanned)
            return report
        finally:
            self.stop.set()
            receiver.stop()


def short_schedule(chaos: Chaos) -> list[Step]:
    """One broker kill, one replica kill per service, one rebalance."""
    steps = [_at(5, chaos.kill_broker(1, down_s=15))]
    workers = chaos.pipeline.workers
    steps += [_at(8 + 3 * n, chaos.kill_replica(service, down_s=5)) for n, service in enumerate(workers)]
    steps += [_at(8 + 3 * len(workers) + 2, chaos.rebalance("enrichment", stay_s=10))]
    return steps


def full_schedule(chaos: Chaos, duration_s: float) -> list[Step]:
    # Spaced so that each fault (and the restart that ends it, an enrichment replica
    # loading its models for ~20 s included) is over before the next one: the table's
    # stall column then belongs to the fault on its row (with 10,000 articles at 16/s,
    # d = 625 s and faults come every 50 s; replicas stay down 25 s).
    d = duration_s
    steps = [_at(0.04 * d, chaos.kill_broker(0, down_s=20))]
    steps += [_at((0.12 + 0.08 * n) * d, chaos.kill_replica(service, down_s=0.04 * d))
              for n, service in enumerate(chaos.pipeline.workers)]
    steps += [_at(0.52 * d, chaos.rebalance("enrichment", stay_s=0.05 * d)),
              _at(0.62 * d, chaos.kill_redis(down_s=10)),
              _at(0.72 * d, chaos.pause_kafka(15)),
              _at(0.84 * d, chaos.kill_broker(2, down_s=20))]
    return steps


def _at(at_s: float, step: Step) -> Step:
    step.at_s = at_s
    return step


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.cli.chaos")
    parser.add_argument("-n", "--articles", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=25.0, help="articles posted per second")
    parser.add_argument("--short", action="store_true", help="≈300 articles, the fault set of make test")
    parser.add_argument("--drain-timeout", type=float, default=900.0,
                        help="seconds to wait, after the last post, for every accepted version to arrive")
    args = parser.parse_args(argv)
    articles = 300 if args.short else args.articles
    home = Path(tempfile.mkdtemp(prefix="wire-chaos-"))
    kafka = KafkaCluster(home / "kafka", size=3, heap="384m")
    redis = LocalRedis(home / "redis")
    prefix = f"chaos{uuid.uuid4().hex[:6]}."
    pipeline = Pipeline(kafka_bootstrap=kafka.bootstrap, redis_url=redis.url, gateway_port=free_port(), prefix=prefix,
                        data_dir=home, log_dir=home / "logs", replicas=2,
                        env={"WIRE_METRICS_PORT": "-1", "WIRE_OUTBOUND_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
                             **replica_env(3, 2)})
    try:
        redis.start()
        kafka.start()
        pipeline.start(timeout=180)
        chaos = Chaos(kafka, redis, pipeline, prefix=prefix)
        duration = articles / args.rate
        steps = short_schedule(chaos) if args.short else full_schedule(chaos, duration)
        report = chaos.run(articles=articles, rate=args.rate, steps=steps, drain_timeout_s=args.drain_timeout)
        print(orjson.dumps(report.summary(chaos.accepted), option=orjson.OPT_INDENT_2).decode())
        print(table(report))
        print(f"logs: {home / 'logs'}")
        ok = report.summary(chaos.accepted)["lost"] == {"published": 0, "topic": 0, "webhook": 0}
        return 0 if ok else 1
    finally:
        pipeline.stop()
        kafka.stop()
        redis.stop()


if __name__ == "__main__":
    raise SystemExit(main())
