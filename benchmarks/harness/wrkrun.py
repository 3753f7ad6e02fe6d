"""Runs wrk with cycle.lua and turns its summary line into numbers."""
import json
import subprocess
from pathlib import Path

CYCLE = Path(__file__).with_name("cycle.lua")


def parse(output):
    """The WRKJSON line of wrk's output as a result dict (throughput in requests/s, latencies in ms)."""
    for line in output.splitlines():
        if line.startswith("WRKJSON "):
            raw = json.loads(line[len("WRKJSON "):])
            seconds = raw["duration_us"] / 1e6
            latency = raw["latency_us"]
            errors = raw["errors"]
            return {
                "requests": raw["requests"],
                "seconds": round(seconds, 3),
                "throughput": round(raw["requests"] / seconds, 1) if seconds else 0.0,
                "bytes_per_request": round(raw["bytes"] / raw["requests"]) if raw["requests"] else 0,
                "errors": sum(errors.values()),
                "non_2xx": errors["status"],
                "latency_ms": {name: round(latency[name] / 1000, 3) for name in ("mean", "p50", "p90", "p99", "max")},
            }
    raise ValueError("no WRKJSON line in wrk's output:\n" + output[-2000:])


def run(base, paths_file, concurrency, seconds, accept=""):
    threads = 1 if concurrency == 1 else 2
    command = ["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{seconds}s", "--timeout", "10s",
               "-s", str(CYCLE), base, "--", str(paths_file), accept]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr[-1000:]} {completed.stdout[-1000:]}")
    return parse(completed.stdout)
