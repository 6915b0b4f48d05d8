#!/usr/bin/env python
"""Benchmark: ship an image from the local engine to the lab's engines (a script, not a test): prints figures.

    tests/lab/lab.py up --nodes 3
    .venv/bin/python tests/bench/bench_image_ship.py [--image flotilla-test/base:latest] [--rounds 2]

Each round removes the image from every lab node, then puts it back by
  (a) `tests/lab/lab.py load-image IMAGE`, the existing path and the baseline: docker save once to a
      temporary file on the controller, then that file streamed to the nodes in parallel threads;
  (b) one flotilla.fleet.image_ship task on `hosts: lab` (forks = nodes), as a whole ansible-playbook run:
      each node's task streams its own docker save into docker load, no file;
  (c) the same Shipper (plugins/plugin_utils/_ship.py) from Python threads, no Ansible: the plugin's cost
      without ansible-playbook around it;
and then (b) again with the image present everywhere (the no-op: no bytes sent). The order of (a), (b), (c)
rotates between rounds; figures are best and median over rounds. The image is left on every node.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
COLLECTIONS = ROOT / ".build" / "bench-collections"
LINK = COLLECTIONS / "ansible_collections" / "flotilla" / "fleet"
LAB_PY = ROOT / "tests" / "lab" / "lab.py"
INVENTORY = ROOT / ".build" / "lab" / "inventory.yml"

PLAYBOOK = """\
- hosts: lab
  gather_facts: false
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  module_defaults:
    group/flotilla.fleet.docker:
      docker_host: "{{ flotilla_docker_host }}"
      ca_path: "{{ flotilla_ca_path }}"
      client_cert: "{{ flotilla_client_cert }}"
      client_key: "{{ flotilla_client_key }}"
      timeout: 600
  tasks:
    - name: Ship
      flotilla.fleet.image_ship:
        name: "%s"
"""


def lab_nodes():
    if not INVENTORY.is_file():
        sys.exit("no lab inventory at %s; run tests/lab/lab.py up --nodes 3" % INVENTORY)
    group = yaml.safe_load(INVENTORY.read_text())["all"]["children"]["lab"]
    certs = group["vars"]
    return {name: dict(host, **certs) for name, host in sorted(group["hosts"].items())}


def node_client(node):
    tls = docker.tls.TLSConfig(client_cert=(node["flotilla_client_cert"], node["flotilla_client_key"]),
                               ca_cert=node["flotilla_ca_path"], verify=node["flotilla_ca_path"])
    api = docker.APIClient(base_url=node["flotilla_docker_host"], tls=tls, version="1.41", timeout=600)
    api.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the lab's CA
    return api


def remove_everywhere(nodes, image):
    for node in nodes.values():
        api = node_client(node)
        try:
            api.remove_image(image, force=True)
        except docker.errors.NotFound:
            pass
        finally:
            api.close()


def present_everywhere(nodes, image_id):
    for node in nodes.values():
        api = node_client(node)
        try:
            if api.inspect_image(image_id)["Id"] != image_id:
                return False
        except docker.errors.NotFound:
            return False
        finally:
            api.close()
    return True


def timed(command, env=None):
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        sys.exit("failed: %s\n%s\n%s" % (" ".join(map(str, command)), done.stdout[-3000:], done.stderr[-3000:]))
    return seconds, done.stdout


def run_lab_load(image):
    return timed([sys.executable, str(LAB_PY), "load-image", image])[0]


def run_playbook(playbook, nodes):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_FORKS=str(len(nodes)))
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)  # stdout must be the json callback's alone
    seconds, out = timed([str(VENV_BIN / "ansible-playbook"), "-i", str(INVENTORY), str(playbook)], env=env)
    results = json.loads(out)["plays"][0]["tasks"][0]["hosts"]
    changed = sum(1 for result in results.values() if result.get("changed"))
    sent = sum(result["image"]["bytes"] for result in results.values())
    return seconds, changed, sent


def run_threads(image, nodes):
    sys.path.insert(0, str(COLLECTIONS))
    from ansible_collections.flotilla.fleet.plugins.module_utils._client import Engine, resolve_connection
    from ansible_collections.flotilla.fleet.plugins.plugin_utils._ship import Shipper, ShipRequest

    def one(node):
        source = Engine(resolve_connection({}))
        target = Engine(resolve_connection({"docker_host": node["flotilla_docker_host"], "timeout": 600,
                                            "ca_path": node["flotilla_ca_path"],
                                            "client_cert": node["flotilla_client_cert"],
                                            "client_key": node["flotilla_client_key"]}))
        return Shipper(source, target, False).ship(ShipRequest({"name": image}))

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        results = list(pool.map(one, nodes.values()))
    return time.monotonic() - started, sum(result["bytes"] for result in results)


def summary(values):
    return "best %6.1f s   median %6.1f s" % (min(values), statistics.median(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--image", default="flotilla-test/base:latest")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    LINK.parent.mkdir(parents=True, exist_ok=True)
    if not LINK.exists():
        LINK.symlink_to(ROOT, target_is_directory=True)
    local = docker.APIClient(version="1.41")
    image_id = local.inspect_image(args.image)["Id"]
    size = local.inspect_image(args.image)["Size"]
    nodes = lab_nodes()
    figures = {"lab.py load-image": [], "image_ship playbook": [], "Shipper threads": [], "image_ship no-op": []}
    sent_per_node = []
    with tempfile.TemporaryDirectory(prefix="bench-ship-") as scratch:
        playbook = Path(scratch) / "ship.yml"
        playbook.write_text(PLAYBOOK % args.image)
        phases = ["lab.py load-image", "image_ship playbook", "Shipper threads"]
        for round_index in range(args.rounds):
            order = phases[round_index % 3:] + phases[:round_index % 3]
            for phase in order:
                remove_everywhere(nodes, args.image)
                time.sleep(2)
                if phase == "lab.py load-image":
                    seconds = run_lab_load(args.image)
                elif phase == "image_ship playbook":
                    seconds, changed, sent = run_playbook(playbook, nodes)
                    if changed != len(nodes):
                        sys.exit("image_ship changed %d of %d nodes" % (changed, len(nodes)))
                    sent_per_node.append(sent / len(nodes))
                else:
                    seconds = run_threads(args.image, nodes)[0]
                if not present_everywhere(nodes, image_id):
                    sys.exit("%s: a node lacks %s afterwards" % (phase, image_id))
                figures[phase].append(seconds)
                print("round %d  %-22s %6.1f s" % (round_index + 1, phase, seconds), flush=True)
            seconds, changed, sent = run_playbook(playbook, nodes)
            if changed or sent:
                sys.exit("no-op run changed %d nodes, sent %d bytes" % (changed, sent))
            figures["image_ship no-op"].append(seconds)
    print()
    print("%s (%s, %.0f MB on disk; about %.0f MB sent per node) to %d lab engines, %d rounds"
          % (args.image, image_id[:19], size / 1e6, (statistics.median(sent_per_node) if sent_per_node else 0) / 1e6,
             len(nodes), args.rounds))
    for phase, values in figures.items():
        print("  %-24s %s" % (phase, summary(values)))
    base = statistics.median(figures["lab.py load-image"])
    print("  image_ship playbook / lab.py load-image (medians): %.2f" % (statistics.median(figures["image_ship playbook"]) / base))
    print("  Shipper threads / lab.py load-image (medians):     %.2f" % (statistics.median(figures["Shipper threads"]) / base))


if __name__ == "__main__":
    main()
