#!/usr/bin/env python
"""Benchmark of the ingress on the local engine (a script, not a test): prints figures.

    .venv/bin/python tests/bench/bench_ingress.py [--requests 1000] [--rounds 3] [--concurrency 1 4]
        [--prefix bench-ingress] [--port 18580]

One replica (flotilla-test/base, `python3 -m http.server`) is published on 127.0.0.1; an ingress
(flotilla/haproxy, built by tests/images/build.py haproxy) runs in front of it on a shared network, its
config rendered and applied by the collection's own code (the filter's plan, the ingress_config
converger). Then, on loopback only, a bounded client (one new connection per request, `Connection:
close`) measures requests/s

  (a) straight to the replica's published port: the baseline,
  (b) through the ingress's published port,

in alternating rounds (the machine is shared), and prints the median of each, the best, and the
overhead of the ingress, (a - b) / a. Target: < 15 %. Every resource is removed at the end.

The replica speaks HTTP/1.0 and closes every connection, so the ingress path pays two connection setups
per request (client to HAProxy, HAProxy to replica) where the baseline pays one: the conservative case.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
import docker.errors

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".build" / "bench-collections"
LINK = COLLECTIONS / "ansible_collections" / "flotilla" / "fleet"
REPLICA_IMAGE = "flotilla-test/base:latest"
INGRESS_IMAGE = "flotilla/haproxy:latest"
REPLICA_PORT = 8000


def collection_imports():
    if not LINK.exists():
        LINK.parent.mkdir(parents=True, exist_ok=True)
        LINK.symlink_to(ROOT, target_is_directory=True)
    sys.path.insert(0, str(COLLECTIONS))
    from ansible_collections.flotilla.fleet.plugins.module_utils._client import Engine, resolve_connection
    from ansible_collections.flotilla.fleet.plugins.module_utils._ingress import IngressConfigConverger
    from ansible_collections.flotilla.fleet.plugins.plugin_utils._ingress._api import ingress_plan
    return Engine, resolve_connection, IngressConfigConverger, ingress_plan


# -- the engine ---------------------------------------------------------------------------------

def remove(client, prefix):
    for name in ("%s-lb" % prefix, "%s-replica" % prefix):
        try:
            client.containers.get(name).remove(force=True)
        except docker.errors.NotFound:
            pass
    for getter, name in ((client.volumes.get, "%s-lb-config" % prefix), (client.networks.get, "%s-net" % prefix)):
        try:
            getter(name).remove()
        except docker.errors.NotFound:
            pass


def wait_for(url_port, deadline=20):
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        try:
            request(url_port)
            return
        except (OSError, http.client.HTTPException, RuntimeError):
            time.sleep(0.2)
    raise SystemExit("nothing answers on 127.0.0.1:%d within %ss" % (url_port, deadline))


def set_up(client, args, imports):
    Engine, resolve_connection, IngressConfigConverger, ingress_plan = imports
    try:
        client.images.get(INGRESS_IMAGE)
    except docker.errors.ImageNotFound:
        raise SystemExit("%s is missing: build it with tests/images/build.py haproxy" % INGRESS_IMAGE)
    network = client.networks.create("%s-net" % args.prefix)
    replica = client.containers.run(
        REPLICA_IMAGE, name="%s-replica" % args.prefix, detach=True, network=network.name,
        command=["sh", "-c", "mkdir -p /srv && echo replica > /srv/index.html && exec python3 -m http.server "
                 "%d --bind 0.0.0.0 --directory /srv 2>/dev/null" % REPLICA_PORT],
        ports={"%d/tcp" % REPLICA_PORT: ("127.0.0.1", args.port + 1)})
    replica.reload()
    address = replica.attrs["NetworkSettings"]["Networks"][network.name]["IPAddress"]
    routes = [{"stack": "bench", "service": "web", "port": args.port,
               "upstreams": [{"name": replica.name, "address": address, "port": REPLICA_PORT}]}]
    plan = ingress_plan([], routes, bind_address="127.0.0.1")
    client.volumes.create("%s-lb-config" % args.prefix)
    client.containers.run(
        INGRESS_IMAGE, name="%s-lb" % args.prefix, detach=True, network=network.name,
        volumes={"%s-lb-config" % args.prefix: {"bind": "/usr/local/etc/haproxy", "mode": "rw"}},
        ports={"%d/tcp" % args.port: ("127.0.0.1", args.port)})
    engine = Engine(resolve_connection({}, {}))
    IngressConfigConverger(engine, False).converge({
        "container": "%s-lb" % args.prefix, "config": plan["config"], "routes": plan["routes"],
        "backends": plan["backends"], "config_dir": "/usr/local/etc/haproxy", "reload_timeout": 10})
    wait_for(args.port + 1)
    wait_for(args.port)


# -- the client ---------------------------------------------------------------------------------

def request(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/", headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError("HTTP %d" % response.status)
    finally:
        connection.close()


def measure(port, count, concurrency):
    """(requests/s, failures) for `count` requests made by `concurrency` threads."""
    failures = 0

    def worker(share):
        failed = 0
        for _request in range(share):
            try:
                request(port)
            except (OSError, http.client.HTTPException, RuntimeError):
                failed += 1
        return failed

    shares = [count // concurrency + (1 if index < count % concurrency else 0) for index in range(concurrency)]
    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        failures = sum(pool.map(worker, shares))
    return count / (time.monotonic() - started), failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--prefix", default="bench-ingress")
    parser.add_argument("--port", type=int, default=18580, help="ingress port; the replica gets port + 1")
    args = parser.parse_args(argv)
    client = docker.from_env(timeout=120)
    imports = collection_imports()
    remove(client, args.prefix)
    try:
        set_up(client, args, imports)
        for port in (args.port + 1, args.port):  # warm both paths up
            measure(port, 50, 1)
        print("requests/s, %d requests per measurement, %d rounds, loopback only" % (args.requests, args.rounds))
        print("%-12s %-28s %-28s %s" % ("concurrency", "(a) straight to the replica", "(b) through the ingress",
                                        "overhead of (b), median (best)"))
        for concurrency in args.concurrency:
            direct, through, failed = [], [], 0
            for round_number in range(args.rounds):
                order = [("direct", args.port + 1), ("ingress", args.port)]
                for kind, port in order if round_number % 2 == 0 else reversed(order):
                    rate, failures = measure(port, args.requests, concurrency)
                    failed += failures
                    (direct if kind == "direct" else through).append(rate)
            median_a, median_b = statistics.median(direct), statistics.median(through)
            overhead = (median_a - median_b) / median_a * 100
            best = (max(direct) - max(through)) / max(direct) * 100
            print("%-12d %-28s %-28s %.1f %% (%.1f %%)%s" % (
                concurrency, "%.0f (best %.0f)" % (median_a, max(direct)),
                "%.0f (best %.0f)" % (median_b, max(through)), overhead, best,
                "" if not failed else "  [%d requests failed]" % failed))
        print("target: overhead < 15 %")
    finally:
        remove(client, args.prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
