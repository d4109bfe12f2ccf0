"""Process lifecycle shared by the workers: signals, logging, metrics endpoint."""
from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Awaitable, Callable

import uvloop

from shared.heartbeat import record_error, run_heartbeat
from shared.settings import WireSettings
from shared.telemetry import configure_logging, serve_metrics

log = logging.getLogger(__name__)


def run_service(
    name: str, settings: WireSettings, main: Callable[[asyncio.Event], Awaitable[None]]
) -> None:
    """Run ``main(stop)`` until SIGTERM or SIGINT sets ``stop``; ``main`` must then
    finish its work in hand and return (graceful shutdown)."""
    configure_logging(name, settings.log_level)
    port = serve_metrics(settings.metrics_port, settings.metrics_host)
    log.info("service starting", extra={"metrics_port": port})

    async def _runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        # Liveness for `wire status`: beats until main has finished its work in hand.
        beats_until = asyncio.Event()
        heartbeat = asyncio.create_task(run_heartbeat(name, settings, beats_until, metrics_port=port))
        try:
            await main(stop)
        except Exception as exc:
            record_error(name, exc)  # the last beat then says why the service died
            raise
        finally:
            beats_until.set()
            await heartbeat

    gc.freeze()  # what import and set-up made lives as long as the process: no collection walks it again
    # uvloop: the same asyncio, with its socket and scheduling work in C (what uvicorn
    # runs the gateway on); a worker's share of the CPU beside the models is mostly I/O.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_runner())
    log.info("service stopped")
