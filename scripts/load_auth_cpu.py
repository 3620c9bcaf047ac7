"""Server CPU per request with authentication on and off, alternated in one run.

Called by scripts/load-auth-cpu.sh with two running servers of the same build: the demo
(authentication on, tokens from its issuer) and `serve` with authentication off. Each round
mints one single-use token per request ahead (the demo signs them; that CPU is not counted),
then sends the same request to each server from CONCURRENCY keep-alive connections and reads
the server's user + system CPU time from /proc before and after. Rounds alternate the servers, so
a busy machine affects both alike; the medians are the figures.
"""

import argparse
import datetime
import http.client
import json
import os
import re
import statistics
import threading
import urllib.parse

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the ")".
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def shifted_to_today(request, written_for=datetime.date(2026, 11, 25)):
    shift = datetime.date.today() - written_for

    def move(value):
        if isinstance(value, str):
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                return (datetime.date.fromisoformat(value) + shift).isoformat()
            return value
        if isinstance(value, list):
            return [move(item) for item in value]
        if isinstance(value, dict):
            return {key: move(item) for key, item in value.items()}
        return value

    return move(request)


def mint(base, aud, count):
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    tokens = []
    for _ in range(count):
        connection.request("GET", "/demo/token?" + urllib.parse.urlencode({"aud": aud}))
        response = connection.getresponse()
        body = response.read().decode()
        if response.status != 200:
            raise SystemExit(f"minting a token failed: HTTP {response.status}")
        tokens.append(body.strip())
    connection.close()
    return tokens


def send_all(base, path, body, count, concurrency, tokens=None):
    url = urllib.parse.urlsplit(base)
    next_index = iter(range(count))
    lock = threading.Lock()
    failures = []

    def worker():
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                break
            headers = {"Content-Type": "application/json"}
            if tokens is not None:
                headers["Authorization"] = "Bearer " + tokens[index]
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append(response.status)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. HTTP {failures[0]}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--auth-base", required=True)
    parser.add_argument("--auth-pid", type=int, required=True)
    parser.add_argument("--open-base", required=True)
    parser.add_argument("--open-pid", type=int, required=True)
    parser.add_argument("--request", required=True)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    with open(args.request) as file:
        request = shifted_to_today(json.load(file))
    service = {"order-select": "oms-relapse-order-select", "order-sign": "oms-relapse-order-sign"}
    path = "/cds-services/" + service[request["hook"]]
    body = json.dumps(request).encode()

    with_auth, without_auth = [], []
    for round_number in range(1, args.rounds + 1):
        tokens = mint(args.auth_base, args.auth_base + path, args.requests)
        before = cpu_seconds(args.auth_pid)
        send_all(args.auth_base, path, body, args.requests, args.concurrency, tokens)
        with_auth.append((cpu_seconds(args.auth_pid) - before) / args.requests * 1000)

        before = cpu_seconds(args.open_pid)
        send_all(args.open_base, path, body, args.requests, args.concurrency)
        without_auth.append((cpu_seconds(args.open_pid) - before) / args.requests * 1000)
        print(
            f"round {round_number}: {with_auth[-1]:.3f} ms CPU per request with auth, "
            f"{without_auth[-1]:.3f} ms without"
        )
    on, off = statistics.median(with_auth), statistics.median(without_auth)
    print(
        f"median of {args.rounds} rounds of {args.requests} requests ({args.concurrency} connections): "
        f"{on:.3f} ms with auth, {off:.3f} ms without; auth adds {on - off:.3f} ms of server CPU per request"
    )


if __name__ == "__main__":
    main()
