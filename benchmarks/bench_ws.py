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
from pathlib import Path
from typing import Any

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from bench_http import free_port, quantdesk, wait_until_live

RESULTS = Path(__file__).parent / "results" / "ws.json"
BENCH_EMAIL = "ws-bench@example.com"
BIN_MS = 0.1
BINS = 100_000  # 0.1 ms bins up to 10 s


def symbols(count: int) -> list[str]:
    return [f"SYM{number:02d}" for number in range(count)]


# --- the client processes ---------------------------------------------------------------


async def one_client(
    url: str, token: str, channels: list[str], window: tuple[float, float], hist: np.ndarray
) -> int:
    import orjson
    from websockets.asyncio.client import connect

    measure_from, stop = window
    received = 0
    async with connect(url, max_size=2**22, ping_interval=None, open_timeout=120) as socket:
        await socket.send(orjson.dumps({"type": "auth", "token": token}).decode())
        await socket.send(orjson.dumps({"type": "subscribe", "channels": channels}).decode())
        while time.time() < stop:
            try:
                frame = orjson.loads(await asyncio.wait_for(socket.recv(), stop - time.time()))
            except TimeoutError:
                break
            if frame["type"] == "batch" and time.time() >= measure_from:
                now = time.time_ns()
                for event in frame["events"]:
                    bucket = int((now - event["ts"]) / 1e6 / BIN_MS)
                    hist[min(max(bucket, 0), BINS - 1)] += 1
                received += len(frame["events"])
            elif frame["type"] == "ping":
                await socket.send('{"type":"pong"}')
            elif frame["type"] == "error":
                raise SystemExit(f"server error frame: {frame}")
    return received


async def clients_main(args: argparse.Namespace) -> dict[str, Any]:
    import uvloop

    uvloop.install()
    names = symbols(args.symbols)
    hist = np.zeros(BINS, dtype=np.int64)
    tasks = []
    for index in range(args.first, args.first + args.count):
        channels = [f"quotes:{names[(index + k) % len(names)]}" for k in range(args.per_client)]
        tasks.append(
            one_client(args.url, args.token, channels, (args.measure_from, args.stop), hist)
        )
        if index % 50 == 0:
            await asyncio.sleep(0.05)  # connect in waves, not one SYN flood
    counts = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [repr(c) for c in counts if isinstance(c, BaseException)]
    return {
        "hist": hist.tolist(),
        "received": sum(c for c in counts if isinstance(c, int)),
        "failures": failures[:5],
        "failed": len(failures),
    }


# --- the publisher process --------------------------------------------------------------


async def publisher_main(args: argparse.Namespace) -> dict[str, Any]:
    import uvloop

    from quantdesk.messaging.redis import connect_redis
    from quantdesk.services import events

    uvloop.install()
    client = connect_redis(args.redis)
    names, tick = symbols(args.symbols), 0.01
    per_tick = max(1, round(len(names) * args.rate * tick))
    position, price, published = 0, 100.0, 0
    next_tick = time.monotonic()
    while time.time() < args.stop:
        # One pipelined round trip per tick: what RedisBus.publish sends, message by message.
        async with client.pipeline(transaction=False) as pipe:
            for _ in range(per_tick):
                symbol = names[position % len(names)]
                price *= 1 + 1e-4 * (np.random.random() - 0.5)
                body = {"symbol": symbol, "price": round(price, 4), "timestamp_ns": time.time_ns()}
                pipe.publish(f"quantdesk:quotes:{symbol}", events.encode("quote", body))
                position, published = position + 1, published + 1
            await pipe.execute()
        next_tick += tick
        await asyncio.sleep(max(next_tick - time.monotonic(), 0))
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
            wait_until_live(base, server)
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
    warmup = args.warmup
    started = time.time()
    stop = started + warmup + seconds
    url = base.replace("http://", "ws://") + "/api/v1/ws?format=json"
    per_process = args.clients // args.client_processes
    common = ["--symbols", str(args.symbols), "--stop", str(stop)]
    clients = [
        spawn(
            "clients",
            "--url",
            url,
            "--token",
            token,
            "--first",
            str(i * per_process),
            "--count",
            str(per_process),
            "--per-client",
            str(args.per_client),
            "--measure-from",
            str(started + warmup),
            "--out",
            str(directory / f"clients{i}.json"),
            *common,
        )
        for i in range(args.client_processes)
    ]
    publisher = spawn(
        "publish",
        "--redis",
        args.redis,
        "--rate",
        str(args.rate),
        "--out",
        str(directory / "publisher.json"),
        *common,
    )
    time.sleep(warmup)
    samples = sample(server, [psutil.Process(c.pid) for c in clients], seconds, started)
    for process in [*clients, publisher]:
        process.wait(timeout=120)
    return summarise(args, directory, samples, seconds)


def summarise(
    args: argparse.Namespace, directory: Path, samples: list[dict[str, float]], seconds: float
) -> dict[str, Any]:
    hist = np.zeros(BINS, dtype=np.int64)
    received, failed, failures = 0, 0, []
    for index in range(args.client_processes):
        part = json.loads((directory / f"clients{index}.json").read_text(encoding="utf-8"))
        hist += np.asarray(part["hist"], dtype=np.int64)
        received, failed = received + part["received"], failed + part["failed"]
        failures += part["failures"]
    published = json.loads((directory / "publisher.json").read_text(encoding="utf-8"))["published"]
    cumulative = np.cumsum(hist) / max(hist.sum(), 1)
    percentile = {
        q: round(float(np.searchsorted(cumulative, q / 100)) * BIN_MS, 1) for q in (50, 99, 99.9)
    }
    cpu = [s["cpu"] for s in samples]
    rss = [s["rss_mb"] for s in samples]
    return {
        "clients": args.clients,
        "client_processes": args.client_processes,
        "symbols": args.symbols,
        "channels_per_client": args.per_client,
        "quotes_per_second_per_symbol": args.rate,
        "seconds": seconds,
        "quotes_published": published,
        "events_received": received,
        "clients_failed": failed,
        "client_failures_sample": failures[:3],
        "events_per_second": round(received / seconds, 1),
        "latency_ms": {"p50": percentile[50], "p99": percentile[99], "p99_9": percentile[99.9]},
        "server_cpu_percent": {"mean": round(float(np.mean(cpu)), 1), "max": round(max(cpu), 1)},
        "client_processes_cpu_percent": round(
            float(np.mean([s["client_cpu"] for s in samples])), 1
        ),
        "machine_load_average": round(os.getloadavg()[0], 2),
        "server_rss_mb": {
            "start": rss[0],
            "middle": rss[len(rss) // 2],
            "end": rss[-1],
            "max": max(rss),
        },
        "rss_series_mb": rss[:: max(1, len(rss) // 60)],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
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
    parser.add_argument("--warmup", type=float, default=30.0)
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--out", default=str(RESULTS))
    for name in ("--url", "--token"):
        parser.add_argument(name, default="")
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--stop", type=float, default=0.0)
    parser.add_argument("--measure-from", type=float, default=0.0)
    return parser.parse_args(argv)


def main() -> None:
    args = parse(sys.argv[1:])
    if args.mode in ("clients", "publish"):
        work = clients_main if args.mode == "clients" else publisher_main
        Path(args.out).write_text(json.dumps(asyncio.run(work(args))), encoding="utf-8")
        return
    result = measure(args)
    output = Path(args.out)
    existing = json.loads(output.read_text(encoding="utf-8")) if output.exists() else {}
    existing["soak" if args.soak else "default"] = result
    output.write_text(json.dumps(existing, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "rss_series_mb"}, indent=2))


if __name__ == "__main__":
    main()
