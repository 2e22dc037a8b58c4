"""APScheduler jobs: each device on its own job, sink fed, clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from collectors.client import SnmpClient
from collectors.scheduler import PollScheduler
from fonet.telemetry import DeviceTarget
from tests.waiting import wait_until_async

REPO = Path(__file__).resolve().parents[2]


def test_jobs_poll_each_device_and_feed_the_sink(snmpsim):
    targets = [snmpsim.target("grow"), DeviceTarget("dead", "127.0.0.1", 9, community="x")]
    seen: list = []

    async def sink(poll):
        seen.append(poll)

    async def main():
        scheduler = PollScheduler(targets, sink, interval_s=1.0, jitter_s=0.05,
                                  client=SnmpClient(timeout_s=0.3, retries=0))
        scheduler.start()
        jobs = scheduler._scheduler.get_jobs()
        assert sorted(j.id for j in jobs) == ["dead", "sim-grow"]
        assert all(j.max_instances == 1 and j.coalesce for j in jobs)
        try:
            await wait_until_async(
                lambda: len([p for p in seen if p.name == "sim-grow"]) >= 2
                and any(p.name == "dead" for p in seen),
                15, "two polls of sim-grow and one of the dead device")
        finally:
            await scheduler.stop()
        assert not scheduler._scheduler.running

    asyncio.run(main())
    good = [p for p in seen if p.name == "sim-grow"]
    assert len(good) >= 2 and all(p.reachable for p in good)
    assert good[1].polled_at > good[0].polled_at
    dead = [p for p in seen if p.name == "dead"]
    assert dead and not dead[0].reachable


def test_a_failing_sink_does_not_stop_polling(snmpsim):
    calls: list = []

    def sink(poll):
        calls.append(poll)
        raise RuntimeError("store is down")

    async def main():
        scheduler = PollScheduler([snmpsim.target("grow")], sink, interval_s=0.5, jitter_s=0)
        scheduler.start()
        try:
            await wait_until_async(lambda: len(calls) >= 2, 15, "two calls of the failing sink")
        finally:
            await scheduler.stop()

    asyncio.run(main())
    assert len(calls) >= 2


def test_run_forever_stops_cleanly_on_sigterm(snmpsim, tmp_path):
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(f"""
        import json, sys
        from collectors.scheduler import run_forever
        from fonet.telemetry import DeviceTarget

        def sink(poll):
            print(json.dumps({{"name": poll.name, "ok": poll.reachable}}), flush=True)

        target = DeviceTarget("sim", "127.0.0.1", {snmpsim.port}, community="grow")
        run_forever([target], sink, interval_s=0.5)
        print("stopped", flush=True)
    """))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = proc.stdout.readline()
        assert json.loads(first) == {"name": "sim", "ok": True}
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out.strip().splitlines()[-1] == "stopped"
