"""Traffic and RSS sampling for scripts/soak.sh (standard library only, loopback only).

Mixed traffic runs throughout: small service calls, whole records and health probes from a few
threads. Every 30 s a burst of large (~5 MB) requests is sent from 4 threads at once. RSS is
read from /proc/PID/status every 250 ms. At the end: idle, peak and per-burst recovery.
"""

import argparse
import json
import threading
import time
import urllib.error
import urllib.request

BURST_EVERY_S = 30
BURST_SIZE = 4
RECOVERY_WINDOW_S = 10
RECOVERY_FACTOR = 1.5


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def post(url, body):
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return "error"


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return "error"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--duration", type=int, default=120)
    parser.add_argument("--small", required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--large", required=True)
    args = parser.parse_args()

    base = f"http://127.0.0.1:{args.port}"
    bodies = {}
    for name, path in (("small", args.small), ("record", args.record), ("large", args.large)):
        with open(path, "rb") as file:
            request = json.load(file)
        hook = request.get("hook", "order-sign")
        bodies[name] = (f"{base}/cds-services/oms-relapse-{hook}", json.dumps(request).encode())
    print(f"large request: {len(bodies['large'][1]) / 1e6:.1f} MB")

    time.sleep(1)
    idle = rss_kib(args.pid)
    samples = []  # (seconds since start, KiB)
    statuses = {}
    lock = threading.Lock()
    stop = threading.Event()
    started = time.monotonic()

    def count(kind, status):
        with lock:
            statuses[(kind, status)] = statuses.get((kind, status), 0) + 1

    def sampler():
        while not stop.is_set():
            samples.append((time.monotonic() - started, rss_kib(args.pid)))
            time.sleep(0.25)

    def mixed(kind):
        url, body = bodies.get(kind, (None, None))
        while not stop.is_set():
            if kind == "health":
                count(kind, get(f"{base}/healthz"))
                time.sleep(0.05)
            else:
                count(kind, post(url, body))

    threads = [threading.Thread(target=sampler)]
    threads += [threading.Thread(target=mixed, args=(k,)) for k in ("small", "small", "record", "health")]
    for thread in threads:
        thread.start()

    bursts = []
    while time.monotonic() - started < args.duration - RECOVERY_WINDOW_S:
        time.sleep(min(BURST_EVERY_S, max(0, args.duration - RECOVERY_WINDOW_S - (time.monotonic() - started))))
        if time.monotonic() - started >= args.duration - RECOVERY_WINDOW_S:
            break
        burst_started = time.monotonic() - started
        url, body = bodies["large"]
        senders = [
            threading.Thread(target=lambda: count("large", post(url, body)))
            for _ in range(BURST_SIZE)
        ]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        bursts.append((burst_started, time.monotonic() - started))
    time.sleep(RECOVERY_WINDOW_S)
    stop.set()
    for thread in threads:
        thread.join()

    peak = max(kib for _, kib in samples)
    # The working set of the mixed traffic alone: the highest RSS in the 5 s before the first
    # burst (the bursts are what must not leave memory behind).
    first = bursts[0][0] if bursts else args.duration
    steady = max((kib for t, kib in samples if first - 5 <= t < first), default=idle)
    print(f"duration {args.duration} s, {len(bursts)} bursts of {BURST_SIZE} large requests")
    print(
        f"idle RSS {idle / 1024:.1f} MiB, mixed traffic before the first burst "
        f"{steady / 1024:.1f} MiB, peak RSS {peak / 1024:.1f} MiB"
    )
    recovered_all = True
    for burst_started, burst_ended in bursts:
        during = max(kib for t, kib in samples if burst_started <= t <= burst_ended)
        window = [(t, kib) for t, kib in samples if burst_ended < t <= burst_ended + RECOVERY_WINDOW_S]
        back = next((t - burst_ended for t, kib in window if kib <= RECOVERY_FACTOR * steady), None)
        after = window[-1][1] if window else None
        recovered_all &= back is not None
        back_text = (
            f"back under {RECOVERY_FACTOR}x the mixed-traffic RSS after {back:.1f} s"
            if back is not None
            else f"NOT back under {RECOVERY_FACTOR}x the mixed-traffic RSS within 10 s"
        )
        print(
            f"burst at {burst_started:5.1f} s: peak {during / 1024:.1f} MiB, "
            f"{after / 1024 if after else float('nan'):.1f} MiB 10 s later "
            f"({after / idle if after else float('nan'):.1f}x idle), {back_text}"
        )
    print("responses:", ", ".join(f"{k}={s}:{n}" for (k, s), n in sorted(statuses.items(), key=str)))
    raise SystemExit(0 if recovered_all else 1)


if __name__ == "__main__":
    main()
