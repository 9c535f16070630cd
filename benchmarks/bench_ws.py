"""Measure the WebSocket hub under load: delivery latency, server CPU and memory over time.

Starts ``quantdesk serve`` (Uvicorn, uvloop) on a free loopback port with a fresh SQLite
database and the Redis of ``REDIS_URL`` (default ``redis://127.0.0.1:6379/0``); connects
``--clients`` WebSocket clients from ``--client-processes`` processes, each following
``--per-client`` of ``--symbols`` quote channels; and publishes ``--rate`` quotes per second
per symbol through Redis from a separate process, as a feed in production would. Latency is
the client's receive time minus the envelope's publish time (one machine, one clock), the
50 ms batching included. Server CPU and RSS are sampled each second.

    python benchmarks/bench_ws.py                 # 60 s, writes benchmarks/results/ws.json
    python benchmarks/bench_ws.py --soak 600      # 10-minute soak, RSS over time
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from bench_http import free_port, quantdesk, wait_until_live

RESULTS = Path(__file__).parent / "results" / "ws.json"
SOAK_RESULTS = RESULTS.with_name("ws_soak.json")
BENCH_EMAIL = "ws-bench@example.com"
BIN_MS = 0.1
BIN_NS = 100_000
BINS = 100_000  # 0.1 ms bins up to 10 s


def symbols(count: int) -> list[str]:
    return [f"SYM{number:02d}" for number in range(count)]


# --- the client processes ---------------------------------------------------------------


class Window:
    """The measuring window, as the orchestrator announces it in ``window.json``."""

    def __init__(self, path: Path, deadline: float) -> None:
        self.path = path
        self.deadline = deadline
        self.measuring = False
        self.stopped = False

    async def watch(self, report: Any = None) -> None:
        while not self.stopped:
            if self.path.exists():
                state = json.loads(self.path.read_text(encoding="utf-8"))
                self.measuring, self.stopped = state["measure"], state["stop"]
            self.stopped = self.stopped or time.time() >= self.deadline
            if report is not None:
                report()
            await asyncio.sleep(0.2)


class Tally:
    """What one client process saw: readiness, events, frames and the latency histogram."""

    def __init__(self) -> None:
        self.hist = [0] * BINS  # a list: one increment per event, cheaper than NumPy's
        self.ready = self.events = self.frames = 0


async def one_client(
    url: str, token: str, channels: list[str], window: Window, tally: Tally
) -> None:
    """Sign in, subscribe and read until cancelled; a plain loop, to keep clients light."""
    import orjson
    from websockets.asyncio.client import connect

    waiting = set(channels)
    hist, last = tally.hist, BINS - 1
    async with connect(url, max_size=2**22, ping_interval=None, open_timeout=300) as socket:
        await socket.send(orjson.dumps({"type": "auth", "token": token}).decode())
        await socket.send(orjson.dumps({"type": "subscribe", "channels": channels}).decode())
        async for raw in socket:
            frame = orjson.loads(raw)
            kind = frame["type"]
            if kind == "batch":
                if window.measuring:
                    now = time.time_ns()
                    for event in frame["events"]:
                        hist[min(max((now - event["ts"]) // BIN_NS, 0), last)] += 1
                    tally.events += len(frame["events"])
                    tally.frames += 1
            elif kind == "subscribed":
                waiting.discard(frame["channel"])
                tally.ready += not waiting
            elif kind == "ping":
                await socket.send('{"type":"pong"}')
            elif kind == "error":
                raise SystemExit(f"server error frame: {frame}")


async def clients_main(args: argparse.Namespace) -> dict[str, Any]:
    import uvloop

    uvloop.install()
    names = symbols(args.symbols)
    window, tally = Window(Path(args.window), args.deadline), Tally()
    progress = Path(args.out).with_suffix(".progress")

    def report() -> None:
        progress.write_text(str(tally.ready), encoding="utf-8")

    watcher = asyncio.create_task(window.watch(report))
    tasks = []
    for index in range(args.first, args.first + args.count):
        channels = [f"quotes:{names[(index + k) % len(names)]}" for k in range(args.per_client)]
        tasks.append(asyncio.create_task(one_client(args.url, args.token, channels, window, tally)))
        if index % 10 == 0:  # connect in waves, not one storm of sign-ins
            await asyncio.sleep(10 * args.client_processes / args.connect_rate)
    await watcher
    for task in tasks:
        task.cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [
        failure(o)
        for o in outcomes
        if isinstance(o, BaseException) and not isinstance(o, asyncio.CancelledError)
    ]
    return {
        "hist": tally.hist,
        "received": tally.events,
        "frames": tally.frames,
        "failures": dict(collections.Counter(failures)),
        "failed": len(failures),
    }


def failure(error: BaseException) -> str:
    """A client's failure in a few words: the close code and reason, else the exception."""
    received = getattr(error, "rcvd", None)
    if received is not None:
        return f"closed {received.code}: {received.reason}"
    return f"{type(error).__name__}: {error}"[:120]


# --- the publisher process --------------------------------------------------------------


async def publisher_main(args: argparse.Namespace) -> dict[str, Any]:
    import orjson
    import uvloop

    from quantdesk.messaging.redis import connect_redis
    from quantdesk.ports.market_data import Quote
    from quantdesk.services import events, quotes

    uvloop.install()
    client = connect_redis(args.redis)
    window = Window(Path(args.window), args.deadline)
    watcher = asyncio.create_task(window.watch())
    names, tick = symbols(args.symbols), 0.01
    per_tick = max(1, round(len(names) * args.rate * tick))
    position, price, published = 0, 100.0, 0
    next_tick = time.monotonic()
    while not window.stopped:
        # One pipelined round trip per tick with what quotes.update sends, quote by quote:
        # the latest quote into the cache (snapshots read it), then the event on the bus.
        async with client.pipeline(transaction=False) as pipe:
            for _ in range(per_tick):
                symbol = names[position % len(names)]
                price *= 1 + 1e-4 * (np.random.random() - 0.5)
                body = asdict(Quote(symbol, time.time_ns(), round(price, 4)))
                pipe.set(f"quantdesk:{quotes.cache_key(symbol)}", orjson.dumps(body), px=60_000)
                pipe.publish(f"quantdesk:{quotes.channel(symbol)}", events.encode("quote", body))
                position += 1
                published += window.measuring
            await pipe.execute()
        next_tick += tick
        await asyncio.sleep(max(next_tick - time.monotonic(), 0))
    await watcher
    await client.aclose()
    return {"published": published}


# --- the orchestrator -------------------------------------------------------------------


def server_env(directory: Path, redis: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANTDESK_")}
    env.pop("DATABASE_URL", None)
    env.update(
        REDIS_URL=redis,
        QUANTDESK_ENV="development",
        QUANTDESK_VAR_DIR=str(directory / "var"),
        QUANTDESK_LOG_LEVEL="WARNING",
        QUANTDESK_LOGIN_ATTEMPTS_PER_ADDRESS="1000000000",
        QUANTDESK_RUN_JOBS_IN_API="false",
    )
    return env


def login(base_url: str, password: str) -> str:
    body = urllib.parse.urlencode({"username": BENCH_EMAIL, "password": password}).encode()
    request = urllib.request.Request(base_url + "/api/v1/auth/login", data=body)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return str(json.load(response)["access_token"])


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """User plus system CPU time consumed so far by ``processes``."""
    return sum(sum(p.cpu_times()[:2]) for p in processes)


def sample(
    server: psutil.Process, clients: list[psutil.Process], seconds: float, started: float
) -> list[dict[str, float]]:
    """Each second: server CPU % and RSS (with its children), and the client processes' CPU %."""
    samples = []
    for process in [server, *clients]:
        process.cpu_percent()
    end = time.time() + seconds
    while time.time() < end:
        time.sleep(1.0)
        family = [server, *server.children(recursive=True)]
        cpu = sum(p.cpu_percent() for p in family)
        rss = sum(p.memory_info().rss for p in family) / 2**20
        client_cpu = sum(p.cpu_percent() for p in clients)
        samples.append(
            {
                "t": round(time.time() - started, 1),
                "cpu": cpu,
                "client_cpu": client_cpu,
                "rss_mb": round(rss, 1),
            }
        )
    return samples


def wait_ready(directory: Path, args: argparse.Namespace, started: float) -> float:
    """Wait until every client has its subscriptions (at most ``--warmup`` s); the time taken."""
    parts = [directory / f"clients{i}.progress" for i in range(args.client_processes)]
    while time.time() < started + args.warmup:
        ready = sum(int(p.read_text() or 0) for p in parts if p.exists())
        if ready >= args.clients:
            break
        time.sleep(0.5)
    return round(time.time() - started, 1)


def announce(directory: Path, *, measure: bool, stop: bool) -> None:
    state = json.dumps({"measure": measure, "stop": stop})
    temporary = directory / "window.tmp"
    temporary.write_text(state, encoding="utf-8")
    temporary.replace(directory / "window.json")  # atomic: readers never see half a file


def profile(server: psutil.Process, seconds: float, output: str) -> subprocess.Popen[bytes] | None:
    """Sample the server's Python stacks with py-spy for ``seconds`` (collapsed-stack file)."""
    if not output:
        return None
    command = ["py-spy", "record", "-p", str(server.pid), "-d", str(int(seconds))]
    return subprocess.Popen([*command, "-r", "100", "-f", "raw", "-o", output, "--nonblocking"])


def spawn(mode: str, *options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, __file__, mode, *options])


def measure(args: argparse.Namespace) -> dict[str, Any]:
    seconds = args.soak or args.seconds
    with tempfile.TemporaryDirectory(prefix="quantdesk-ws-bench-") as tmp:
        directory = Path(tmp)
        env = server_env(directory, args.redis)
        password = secrets.token_urlsafe(12)
        quantdesk(env, "db", "upgrade")
        quantdesk(env, "users", "create", BENCH_EMAIL, "--password", password)
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "quantdesk",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_live(base, server, timeout=300)  # a busy machine starts slowly
            token = login(base, password)
            return run_load(args, directory, base, token, psutil.Process(server.pid), seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)


def run_load(
    args: argparse.Namespace,
    directory: Path,
    base: str,
    token: str,
    server: psutil.Process,
    seconds: float,
) -> dict[str, Any]:
    started = time.time()
    url = base.replace("http://", "ws://") + "/api/v1/ws?format=json"
    per_process = args.clients // args.client_processes
    common = ["--symbols", str(args.symbols), "--window", str(directory / "window.json")]
    common += ["--deadline", str(started + args.warmup + seconds + 60)]
    clients = [
        spawn(
            "clients",
            *("--url", url, "--token", token, "--per-client", str(args.per_client)),
            *("--connect-rate", str(args.connect_rate)),
            *("--first", str(i * per_process), "--count", str(per_process)),
            *("--out", str(directory / f"clients{i}.json"), *common),
        )
        for i in range(args.client_processes)
    ]
    rate = ["--redis", args.redis, "--rate", str(args.rate)]
    publisher = spawn("publish", *rate, "--out", str(directory / "publisher.json"), *common)
    warmup = wait_ready(directory, args, started)
    time.sleep(args.settle)
    client_processes = [psutil.Process(c.pid) for c in clients]
    family = [server, *server.children(recursive=True)]
    before = (cpu_seconds(family), cpu_seconds(client_processes), os.getloadavg())
    announce(directory, measure=True, stop=False)
    spy = profile(server, seconds, args.py_spy)
    samples = sample(server, client_processes, seconds, started)
    after = (cpu_seconds(family), cpu_seconds(client_processes), os.getloadavg())
    announce(directory, measure=False, stop=True)
    for process in [*clients, publisher, *([spy] if spy else [])]:
        process.wait(timeout=120)
    cpu = {
        "server_s": after[0] - before[0],
        "clients_s": after[1] - before[1],
        "load_average": {"start": before[2], "end": after[2]},
        "warmup_seconds": warmup,
    }
    return summarise(args, directory, samples, seconds, cpu)


def summarise(
    args: argparse.Namespace,
    directory: Path,
    samples: list[dict[str, float]],
    seconds: float,
    cpu: dict[str, Any],
) -> dict[str, Any]:
    hist = np.zeros(BINS, dtype=np.int64)
    received, frames, failed = 0, 0, 0
    failures: collections.Counter[str] = collections.Counter()
    for index in range(args.client_processes):
        part = json.loads((directory / f"clients{index}.json").read_text(encoding="utf-8"))
        hist += np.asarray(part["hist"], dtype=np.int64)
        received, frames = received + part["received"], frames + part["frames"]
        failed = failed + part["failed"]
        failures.update(part["failures"])
    published = json.loads((directory / "publisher.json").read_text(encoding="utf-8"))["published"]
    cumulative = np.cumsum(hist) / max(hist.sum(), 1)
    percentile = {
        q: round(float(np.searchsorted(cumulative, q / 100)) * BIN_MS, 1) for q in (50, 99, 99.9)
    }
    percents = [s["cpu"] for s in samples]
    rss = [s["rss_mb"] for s in samples]
    events = max(received, 1)
    return {
        "clients": args.clients,
        "client_processes": args.client_processes,
        "symbols": args.symbols,
        "channels_per_client": args.per_client,
        "quotes_per_second_per_symbol": args.rate,
        "seconds": seconds,
        "warmup_seconds": cpu["warmup_seconds"],
        "quotes_published": published,
        "events_received": received,
        "frames_received": frames,
        "clients_failed": failed,
        "client_failures": dict(failures.most_common(5)),
        "events_per_second": round(received / seconds, 1),
        "frames_per_second": round(frames / seconds, 1),
        "latency_ms": {"p50": percentile[50], "p99": percentile[99], "p99_9": percentile[99.9]},
        "server_cpu_percent": {
            "mean": round(100 * cpu["server_s"] / seconds, 1),
            "max": round(max(percents), 1),
        },
        "server_cpu_us_per_event": round(1e6 * cpu["server_s"] / events, 2),
        "server_cpu_us_per_frame": round(1e6 * cpu["server_s"] / max(frames, 1), 2),
        "client_processes_cpu_percent": round(100 * cpu["clients_s"] / seconds, 1),
        "client_cpu_us_per_event": round(1e6 * cpu["clients_s"] / events, 2),
        "machine_load_average": cpu["load_average"],
        "server_rss_mb": {
            "start": rss[0],
            "middle": rss[len(rss) // 2],
            "end": rss[-1],
            "max": max(rss),
        },
        "rss_series_mb": rss[:: max(1, len(rss) // 60)],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "samples": samples,
    }


def soak_verdict(samples: list[dict[str, float]]) -> dict[str, Any]:
    """Fit RSS against time; memory grew if the fitted rise exceeds 2 MB and 1 % of the start.

    The first minute is left out of the fit: allocator pools and caches fill there once.
    """
    minutes = np.array([s["t"] for s in samples]) / 60
    rss = np.array([s["rss_mb"] for s in samples])
    settled = minutes >= minutes[0] + 1 if minutes[-1] - minutes[0] > 2 else minutes >= 0
    slope = float(np.polyfit(minutes[settled], rss[settled], 1)[0])
    rise = slope * float(minutes[settled][-1] - minutes[settled][0])
    return {
        "rss_first_mb": float(rss[0]),
        "rss_last_mb": float(rss[-1]),
        "rss_max_mb": float(rss.max()),
        "slope_mb_per_minute": round(slope, 4),
        "fitted_rise_mb": round(rise, 2),
        "memory_grew": bool(rise > max(2.0, 0.01 * rss[0])),
    }


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "clients", "publish"])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--symbols", type=int, default=50)
    parser.add_argument("--per-client", type=int, default=2, help="quote channels per client")
    parser.add_argument("--rate", type=float, default=20.0, help="quotes/s per symbol")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--soak", type=float, default=0.0, help="run this long instead")
    parser.add_argument("--warmup", type=float, default=120.0, help="at most, until subscribed")
    parser.add_argument("--connect-rate", type=float, default=200.0, help="new clients/s")
    parser.add_argument("--settle", type=float, default=5.0, help="after all are subscribed")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--out", default="", help="default results/ws.json or ws_soak.json")
    parser.add_argument("--py-spy", default="", help="write py-spy's raw stacks here")
    for name in ("--url", "--token", "--window"):
        parser.add_argument(name, default="")
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--deadline", type=float, default=0.0)
    return parser.parse_args(argv)


def main() -> None:
    args = parse(sys.argv[1:])
    if args.mode in ("clients", "publish"):
        work = clients_main if args.mode == "clients" else publisher_main
        Path(args.out).write_text(json.dumps(asyncio.run(work(args))), encoding="utf-8")
        return
    result = measure(args)
    if args.soak:
        output = Path(args.out or SOAK_RESULTS)
        result["soak"] = soak_verdict(result.pop("samples"))
        output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        verdict = result["soak"]
        grew = "memory GREW" if verdict["memory_grew"] else "memory did not grow"
        slope = verdict["slope_mb_per_minute"]
        print(
            f"RSS {verdict['rss_first_mb']} -> {verdict['rss_last_mb']} MB over "
            f"{args.soak / 60:g} min, fitted slope {slope:+} MB/min: {grew}"
        )
    else:
        output = Path(args.out or RESULTS)
        result.pop("samples")
        existing = json.loads(output.read_text(encoding="utf-8")) if output.exists() else {}
        existing["default"] = result
        output.write_text(json.dumps(existing, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "rss_series_mb"}, indent=2))


if __name__ == "__main__":
    main()
