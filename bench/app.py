"""Measure the workshop app under a class (run by hand, never as a timed test).

    python bench/app.py                 # all three figures against a fresh server on 127.0.0.1
    python bench/app.py --connections 200 --skip-fairness

Starts `channelsim app` on a copy of scenarios/workshop_intro.yaml in a scratch folder (its own
process, a free port on 127.0.0.1) and prints:
- malformed requests: how many were answered 4xx, 5xx, or not at all, and the tracebacks the
  server printed on its stderr;
- simultaneous connections: how many of N clients opening at once (GET /api/scenario) were reset
  or refused, and the slowest answer;
- fairness: how long a 1-replication Simulate waits when a 20-replication one started just before.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVE = "from channelsim.app import make_server; s = make_server({path!r}, 0); print(s.url, flush=True); s.serve_forever()"
DEEP = b"[" * 100_000 + b"]" * 100_000
# each: (what it tries, the body as sent)
MALFORMED: list[tuple[str, bytes]] = [
    ("values a list", b'{"values": [1, 2]}'),
    ("values an int", b'{"values": 5}'),
    ("values null", b'{"values": null}'),
    ("values a string", b'{"values": "x"}'),
    ("replications Infinity", b'{"values": {}, "replications": Infinity}'),
    ("replications NaN", b'{"values": {}, "replications": NaN}'),
    ("replications -Infinity", b'{"values": {}, "replications": -Infinity}'),
    ("replications []", b'{"values": {}, "replications": []}'),
    ("replications {}", b'{"values": {}, "replications": {}}'),
    ("replications true", b'{"values": {}, "replications": true}'),
    ("replications 1e300", b'{"values": {}, "replications": 1e300}'),
    ("replications 2.5", b'{"values": {}, "replications": 2.5}'),
    ("replications a string", b'{"values": {}, "replications": "3"}'),
    ("replications 0", b'{"values": {}, "replications": 0}'),
    ("replications 10**400", b'{"values": {}, "replications": 1' + b"0" * 400 + b"}"),
    ("deep nesting [", DEEP),
    ("deep nesting {", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
    ("deep values", b'{"values": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
    ("not JSON", b"{nope"),
    ("not UTF-8", b'{"values": "\xff"}'),
    ("a list body", b"[]"),
    ("a number body", b"5"),
    ("spend 5e6", b'{"values": {"sources.search_ads.spend_per_week": 5e6}}'),
    ("spend 1e300", b'{"values": {"sources.search_ads.spend_per_week": 1e300}}'),
    ("spend 1e309", b'{"values": {"sources.search_ads.spend_per_week": 1e309}}'),
    ("spend true", b'{"values": {"sources.search_ads.spend_per_week": true}}'),
    ("spend a list", b'{"values": {"sources.search_ads.spend_per_week": [1]}}'),
    ("spend null", b'{"values": {"sources.search_ads.spend_per_week": null}}'),
    ("spend below min", b'{"values": {"sources.search_ads.spend_per_week": 10}}'),
    ("price 50", b'{"values": {"channels.marketplace.price_index": 50}}'),
    ("tier a list", b'{"values": {"incentives.distributor_bonus.current.dist_north": ["gold"]}}'),
    ("tier a dict", b'{"values": {"incentives.distributor_bonus.current.dist_north": {}}}'),
    ("optimize values a list", b'{"values": [1]}'),
    ("save name a list", b'{"name": ["a"], "values": {}}'),
    ("save name an int", b'{"name": 5, "values": {}}'),
    ("save name null", b'{"name": null, "values": {}}'),
    ("save name 100,000 chars", b'{"name": "' + b"a" * 100_000 + b'", "values": {}}'),
    ("save description a dict", b'{"name": "ok_name", "description": {}, "values": {}}'),
    ("save description 100,000 chars", b'{"name": "ok_name2", "description": "' + b"d" * 100_000 + b'"}'),
    ("save overwrite a string", b'{"name": "ok_name3", "overwrite": "yes", "values": {}}'),
    ("save values a list", b'{"name": "ok_name4", "values": [1]}'),
    ("save spend 5e6", b'{"name": "ok_name5", "values": {"sources.search_ads.spend_per_week": 5e6}}'),
]


def _start(folder: Path) -> tuple[subprocess.Popen[str], str]:
    target = folder / "workshop_intro.yaml"
    shutil.copy(ROOT / "scenarios" / "workshop_intro.yaml", target)
    code = SERVE.format(path=str(target))
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def _request(url: str, method: str, path: str, body: bytes | None, token: str, timeout: float = 120) -> int:
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    headers = {"Content-Type": "application/json", "X-Channelsim-Token": token}
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _token(url: str) -> str:
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", "/")
    page = conn.getresponse().read()
    conn.close()
    found = re.search(rb'<meta name="channelsim-token" content="([^"]+)">', page)
    assert found
    return found.group(1).decode()


def malformed(url: str, token: str) -> dict[str, Any]:
    counts = {"4xx": 0, "5xx": 0, "no answer": 0, "2xx": 0}
    failed = []
    for what, body in MALFORMED:
        path = (
            "/api/save"
            if what.startswith("save")
            else "/api/optimize"
            if what.startswith("optimize")
            else "/api/simulate"
        )
        try:
            status = _request(url, "POST", path, body, token)
        except OSError as err:
            counts["no answer"] += 1
            failed.append(f"{what}: {type(err).__name__}")
            continue
        kind = f"{status // 100}xx"
        counts[kind] = counts.get(kind, 0) + 1
        if kind != "4xx":
            failed.append(f"{what}: {status}")
    return {"tried": len(MALFORMED), **counts, "not 4xx": failed}


def connections(url: str, count: int) -> dict[str, Any]:
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    request = f"GET /api/scenario HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()
    outcome: list[str] = []
    slowest = [0.0]
    gate = threading.Barrier(count)

    def one() -> None:
        gate.wait()
        started = time.perf_counter()
        try:
            with socket.create_connection((host, int(port)), timeout=30) as conn:
                conn.sendall(request)
                answer = b""
                while chunk := conn.recv(65536):
                    answer += chunk
            outcome.append("ok" if answer.startswith(b"HTTP/1.0 200") else "bad answer")
        except OSError as err:
            outcome.append(type(err).__name__)
        slowest[0] = max(slowest[0], time.perf_counter() - started)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally = {name: outcome.count(name) for name in sorted(set(outcome))}
    return {"clients": count, **tally, "slowest_s": round(slowest[0], 2)}


def fairness(url: str, token: str) -> dict[str, Any]:
    def post(reps: int, into: dict[str, float]) -> None:
        started = time.perf_counter()
        _request(
            url, "POST", "/api/simulate", json.dumps({"values": {}, "replications": reps}).encode(), token
        )
        into[str(reps)] = time.perf_counter() - started

    alone: dict[str, float] = {}
    post(1, alone)
    times: dict[str, float] = {}
    long = threading.Thread(target=post, args=(20, times))
    long.start()
    time.sleep(0.3)  # the long one is simulating
    post(1, times)
    long.join()
    return {
        "1 alone_s": round(alone["1"], 2),
        "1 behind 20_s": round(times["1"], 2),
        "20_s": round(times["20"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--skip-fairness", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        proc, url = _start(Path(folder))
        try:
            token = _token(url)
            print("malformed requests:", json.dumps(malformed(url, token), indent=1))
            print("simultaneous connections:", connections(url, args.connections))
            if not args.skip_fairness:
                print("fairness:", fairness(url, token))
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=30)
        print("tracebacks on the server's stderr:", err.count("Traceback"))


if __name__ == "__main__":
    main()
