"""Measure HTTP latency of a real ``quantdesk serve`` under concurrent clients, with wrk.

Starts the server on a free loopback port against a fresh SQLite database in a temporary
directory, creates a user, and runs ``wrk --latency`` against ``GET /health/live`` and
``POST /api/v1/auth/login``. Prints p50/p99 latency and requests per second, and writes
them to ``benchmarks/results/http.json``.

Run ``make bench`` (it installs wrk when missing) or ``python benchmarks/bench_http.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "http.json"
LOGIN_PATH = "/api/v1/auth/login"
HEALTH_PATH = "/health/live"
BENCH_EMAIL = "bench@example.com"
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class Result:
    """One wrk run: latency percentiles in milliseconds and throughput."""

    endpoint: str
    workers: int
    connections: int
    seconds: int
    p50_ms: float
    p99_ms: float
    requests_per_second: float
    requests: int
    errors: int


def free_port() -> int:
    """Ask the kernel for a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def quantdesk(env: dict[str, str], *args: str) -> None:
    """Run a CLI command of the installed package, failing loudly."""
    subprocess.run([sys.executable, "-m", "quantdesk", *args], env=env, check=True)


def wait_until_live(base_url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Poll the liveness endpoint until it answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with code {server.returncode} before it was live")
        try:
            with urllib.request.urlopen(base_url + HEALTH_PATH, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server was not live after {timeout:.0f}s")


@contextmanager
def running_server(env: dict[str, str], workers: int) -> Iterator[str]:
    """Serve on a free loopback port and stop the server afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "quantdesk", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_live(base_url, server)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)


def to_ms(value: str) -> float:
    """Convert wrk's ``1.23ms``/``456.78us``/``1.02s`` to milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise ValueError(f"unexpected wrk latency {value!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def parse_wrk(output: str) -> dict[str, float]:
    """Pull p50, p99, requests/s, request and error counts from ``wrk --latency`` output."""
    percentiles = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+(\S+)\s*$", output, re.MULTILINE))
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if total is None or rate is None or set(percentiles) != {"50", "99"}:
        raise ValueError(f"could not read wrk output:\n{output}")
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    broken = re.search(r"Socket errors: (.*)$", output, re.MULTILINE)
    errors = int(failed.group(1)) if failed else 0
    errors += sum(int(n) for n in re.findall(r"\d+", broken.group(1))) if broken else 0
    return {
        "p50_ms": to_ms(percentiles["50"]),
        "p99_ms": to_ms(percentiles["99"]),
        "requests_per_second": float(rate.group(1)),
        "requests": float(total.group(1)),
        "errors": float(errors),
    }


def run_wrk(url: str, args: argparse.Namespace, script: Path | None = None) -> dict[str, float]:
    """Run wrk once against ``url`` and parse what it printed."""
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s"]
    command += ["--latency", "--timeout", "10s"]
    if script is not None:
        command += ["-s", str(script)]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout)


def login_script(directory: Path, password: str) -> Path:
    """A wrk Lua script that posts the login form for the benchmark user."""
    script = directory / "login.lua"
    body = f"username={BENCH_EMAIL.replace('@', '%40')}&password={password}"
    script.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = "{body}"\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n',
        encoding="utf-8",
    )
    return script


def server_env(directory: Path) -> dict[str, str]:
    """A fresh SQLite installation with login limits high enough for a load test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANTDESK_")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(
        QUANTDESK_ENV="development",
        QUANTDESK_VAR_DIR=str(directory / "var"),
        QUANTDESK_LOG_LEVEL="WARNING",
        QUANTDESK_LOGIN_ATTEMPTS_PER_ADDRESS="1000000000",
        QUANTDESK_LOGIN_ATTEMPTS_PER_ACCOUNT="1000000000",
    )
    return env


def measure(args: argparse.Namespace) -> list[Result]:
    """Set up a fresh installation and run wrk per worker count and endpoint."""
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="quantdesk-bench-") as tmp:
        directory = Path(tmp)
        env = server_env(directory)
        password = secrets.token_urlsafe(12)
        quantdesk(env, "db", "upgrade")
        quantdesk(env, "users", "create", BENCH_EMAIL, "--password", password)
        script = login_script(directory, password)
        for workers in args.workers:
            with running_server(env, workers) as base_url:
                for path, lua in ((HEALTH_PATH, None), (LOGIN_PATH, script)):
                    figures = run_wrk(base_url + path, args, lua)
                    results.append(_result(path, workers, args, figures))
    return results


def _result(path: str, workers: int, args: argparse.Namespace, figures: dict[str, float]) -> Result:
    method = "POST" if path == LOGIN_PATH else "GET"
    return Result(
        endpoint=f"{method} {path}",
        workers=workers,
        connections=args.connections,
        seconds=args.seconds,
        p50_ms=round(figures["p50_ms"], 2),
        p99_ms=round(figures["p99_ms"], 2),
        requests_per_second=round(figures["requests_per_second"], 1),
        requests=int(figures["requests"]),
        errors=int(figures["errors"]),
    )


def print_table(results: list[Result]) -> None:
    """Print the figures as an aligned table."""
    columns = ("workers", "p50 ms", "p99 ms", "req/s", "errors")
    header = f"{'endpoint':<28} " + " ".join(f"{name:>9}" for name in columns)
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.endpoint:<28} {r.workers:>9} {r.p50_ms:>9.2f} {r.p99_ms:>9.2f} "
            f"{r.requests_per_second:>9.1f} {r.errors:>9}"
        )


def main() -> None:
    """Parse options, measure, print and save."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (or run `make bench`)")
    load_before = os.getloadavg()[0]
    results = measure(args)
    print_table(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_before": round(load_before, 2),  # other work on the cores skews figures
    }
    payload = {"machine": machine, "results": [asdict(r) for r in results]}
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"saved to {RESULTS}")


if __name__ == "__main__":
    main()
