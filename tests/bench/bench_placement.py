#!/usr/bin/env python
"""Benchmark of the placement scheduler (a script, not a test): prints figures, asserts nothing.

    .venv/bin/python tests/bench/bench_placement.py [--quick] [--no-pin] [--no-playbook] [--scale]
        [--collections PATH]

Every figure is printed next to a baseline measured in the same run: a naive scheduler that,
for each replica, scans every host and takes the least allocated (spread) or the first that
fits (first-fit, for packing). Speed runs are pinned to one core. Packing quality is hosts
used / lower bound (max over resources of ceil(total demand / host capacity)) and, on small
instances, hosts used / exact optimum from an integer program solved by PuLP (bench-only).

Speed is measured for the package alone and through the lookup, the way users call it: a
generated inventory (host_info facts per host, plus unrelated variables) read by Ansible's
inventory and variable managers, and lookup('flotilla.fleet.placement', ...) templated by
Ansible's templar in this process, split into reading hostvars, placing, and ansible-core
finalising the returned structure; then whole ansible-playbook runs over a 5,000-host inventory,
with and without the lookup task. --scale adds 1,000,000 replicas / 10,000 hosts through the
lookup (CPU and peak memory, each case in its own process). --collections measures another
checkout (a directory holding ansible_collections/flotilla/fleet), to compare before and after.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from placement_ansible import Session, peak_rss, playbook_runs, write_inventory

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".build" / "pytest-collections"
LINK = COLLECTIONS / "ansible_collections" / "flotilla" / "fleet"

GIB = 1024**3
MIB = 1024**2
ZONES = ["eu-1", "eu-2", "eu-3", "us-1", "us-2"]
REQUESTS = {"cpus": [0.1, 0.25, 0.5, 1], "memory": [128, 256, 512, 1024, 2048]}
SMALL_REQUESTS = {"cpus": [0.05, 0.1, 0.125], "memory": [32, 64, 128]}  # 1M replicas on 10,000 hosts
place = None  # the package's place(), from the checkout measured (see load())


def load(collections: Path) -> None:
    """Import the package through Ansible's collection loader, as the lookup plugin is."""
    global place
    if collections == COLLECTIONS and not LINK.exists():
        LINK.parent.mkdir(parents=True, exist_ok=True)
        LINK.symlink_to(ROOT, target_is_directory=True)
    from ansible.plugins.loader import init_plugin_loader

    init_plugin_loader([str(collections)])
    from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._api import place as found

    place = found


# -- instances ----------------------------------------------------------------------------------

def cluster_instance(hosts: int, services: int, replicas: int, seed: int, requests: dict | None = None) -> tuple[list, list]:
    """Heterogeneous hosts in five zones; services with cpus+memory, label constraints, zone spread."""
    requests = requests or REQUESTS
    rng = random.Random(seed)
    host_list = [
        {"name": f"host{i:05d}", "cpus": rng.choice([8, 16, 32]), "memory": rng.choice([32, 64, 128]) * GIB,
         "labels": {"zone": ZONES[i % len(ZONES)], "disk": rng.choice(["ssd", "hdd"]),
                    "tier": rng.choice(["gold", "silver", "bronze"])}}
        for i in range(hosts)
    ]
    constraint_choices = [[], [], ["disk == ssd"], ["tier in gold,silver"], ["disk != hdd", "tier != bronze"],
                          ["zone regex (eu|us)-[12]"]]
    service_list = [
        {"name": f"svc{s:04d}", "replicas": replicas, "cpus": rng.choice(requests["cpus"]),
         "memory": rng.choice(requests["memory"]) * MIB,
         "constraints": rng.choice(constraint_choices), "spread": [{"label": "zone", "max_skew": 1}]}
        for s in range(services)
    ]
    return service_list, host_list


def packing_instance(rng: random.Random, max_replicas: int) -> tuple[list, list]:
    """Identical hosts (8 cpus, 32 GiB); services with random cpus/memory requests."""
    services, total = [], 0
    while total < max_replicas:
        count = min(rng.randint(1, max(2, max_replicas // 6)), max_replicas - total)
        services.append({"name": f"s{len(services)}", "replicas": count,
                         "cpus": rng.choice([0.25, 0.5, 1, 1.5, 2, 3]),
                         "memory": rng.choice([512, 1024, 2048, 4096, 6144, 8192]) * MIB})
        total += count
    cpus = sum(s["cpus"] * s["replicas"] for s in services)
    memory = sum(s["memory"] * s["replicas"] for s in services)
    hosts = [{"name": f"h{i:03d}", "cpus": 8, "memory": 32 * GIB}
             for i in range(2 * max(math.ceil(cpus / 8), math.ceil(memory / (32 * GIB))) + 2)]
    return services, hosts


def lower_bound(services: list, host: dict) -> int:
    cpus = sum(s["cpus"] * s["replicas"] for s in services)
    memory = sum(s["memory"] * s["replicas"] for s in services)
    return max(math.ceil(cpus / host["cpus"] - 1e-9), math.ceil(memory / host["memory"]))


# -- baseline -----------------------------------------------------------------------------------

def naive_place(services: list, hosts: list, strategy: str, budget: int | None = None) -> tuple[int, int]:
    """Scan every host for every replica. Returns (placed, hosts used); stops after ``budget``."""
    free_cpu = [h["cpus"] * 1000 for h in hosts]
    free_mem = [h["memory"] for h in hosts]
    cap_cpu, cap_mem = list(free_cpu), list(free_mem)
    placed = 0
    replicas = [s for s in services for _replica in range(s["replicas"])]
    if strategy == "first-fit":  # first-fit decreasing by dominant share
        replicas.sort(key=lambda s: -max(s["cpus"] / 8, s["memory"] / (32 * GIB)))
    for service in replicas:
        cpu, mem = int(service["cpus"] * 1000), service["memory"]
        eligible = [i for i, h in enumerate(hosts) if _naive_match(service.get("constraints", []), h["labels"] if "labels" in h else {})]
        best, best_score = None, None
        for i in eligible:
            if free_cpu[i] >= cpu and free_mem[i] >= mem:
                if strategy == "first-fit":
                    best = i
                    break
                score = (cap_cpu[i] - free_cpu[i]) / cap_cpu[i] + (cap_mem[i] - free_mem[i]) / cap_mem[i]
                if best_score is None or score < best_score:
                    best, best_score = i, score
        if best is not None:
            free_cpu[best] -= cpu
            free_mem[best] -= mem
            placed += 1
        if budget is not None and placed >= budget:
            break
    return placed, sum(1 for i in range(len(hosts)) if free_cpu[i] != cap_cpu[i] or free_mem[i] != cap_mem[i])


def _naive_match(constraints: list, labels: dict) -> bool:
    for text in constraints:
        label, op, value = text.split(" ", 2)
        if op == "==" and labels.get(label) != value or op == "!=" and labels.get(label) == value:
            return False
        if op == "in" and labels.get(label) not in value.split(","):
            return False
        if op == "regex" and not re.fullmatch(value, labels.get(label, "")):
            return False
    return True


# -- exact optimum ------------------------------------------------------------------------------

def optimum(services: list, host: dict, upper: int) -> int | None:
    """Fewest hosts, by an integer program over replica counts per (service, host)."""
    import pulp

    problem = pulp.LpProblem("binpack", pulp.LpMinimize)
    bins = range(upper)
    used = [pulp.LpVariable(f"y{b}", cat="Binary") for b in bins]
    count = {(s, b): pulp.LpVariable(f"x{s}_{b}", 0, svc["replicas"], cat="Integer")
             for s, svc in enumerate(services) for b in bins}
    problem += pulp.lpSum(used)
    for s, svc in enumerate(services):
        problem += pulp.lpSum(count[s, b] for b in bins) == svc["replicas"]
    for b in bins:
        problem += pulp.lpSum(count[s, b] * round(svc["cpus"] * 1000) for s, svc in enumerate(services)) <= 8000 * used[b]
        problem += pulp.lpSum(count[s, b] * (svc["memory"] // MIB) for s, svc in enumerate(services)) <= 32768 * used[b]
        if b:
            problem += used[b] <= used[b - 1]  # symmetry breaking
    status = problem.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=60))
    return round(pulp.value(problem.objective)) if status == pulp.LpStatusOptimal else None


# -- runs -------------------------------------------------------------------------------------

def timed(function, *args, **kwargs):
    """(value, wall seconds, cpu seconds). CPU time is what the targets are judged on: on a
    shared machine other processes stretch wall time but not the time this one computes."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - wall, time.process_time() - cpu


def peak_memory(function, *args, **kwargs) -> int:
    tracemalloc.start()
    function(*args, **kwargs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def speed(label: str, services: list, hosts: list, target: float, baseline_budget: int | None) -> None:
    total = sum(s["replicas"] for s in services)
    for strategy in ("spread", "binpack"):
        out, wall, cpu = timed(place, services, hosts, {"strategy": strategy})
        placed = out["summary"]["placed"]
        verdict = "meets" if cpu <= target else "MISSES"
        print(f"  {label:<42} {strategy:<8} cpu {cpu * 1000:8.1f} ms (wall {wall * 1000:8.1f})  "
              f"{placed / cpu:8,.0f} placements/s  placed {placed:,}/{total:,}  ({verdict} {target * 1000:,.0f} ms)")
    budget = baseline_budget or total
    (placed, _used), wall, cpu = timed(naive_place, services, hosts, "spread", budget)
    note = "" if budget >= total else f" (first {placed:,} replicas, extrapolated)"
    scale = total / placed
    print(f"  {'baseline: naive scan of all hosts':<42} {'spread':<8} cpu {cpu * scale * 1000:8.1f} ms "
          f"(wall {wall * scale * 1000:8.1f})  {placed / cpu:8,.0f} placements/s{note}")
    print(f"  peak traced memory of one spread run: {peak_memory(place, services, hosts) / MIB:,.1f} MiB")


def quality(instances: int, max_replicas: int, exact: bool, seed: int) -> None:
    rng = random.Random(seed)
    ours, naive, versus_optimum, seconds = [], [], [], []
    for _instance in range(instances):
        services, hosts = packing_instance(rng, rng.randint(max(4, max_replicas // 3), max_replicas))
        bound = lower_bound(services, hosts[0])
        out, _wall, cpu = timed(place, services, hosts, {"strategy": "binpack"})
        used = out["summary"]["hosts_used"]
        ours.append(used / bound)
        seconds.append(cpu)
        naive.append(naive_place(services, hosts, "first-fit")[1] / bound)
        if exact:
            best = optimum(services, hosts[0], min(len(hosts), used))
            if best:
                versus_optimum.append(used / best)
    print(f"  hosts used / lower bound over {instances} instances (<= {max_replicas} replicas): "
          f"median {statistics.median(ours):.3f} worst {max(ours):.3f}   "
          f"baseline first-fit-decreasing: median {statistics.median(naive):.3f} worst {max(naive):.3f}")
    print(f"  cpu per binpack run (greedy pass + improvement search): median {statistics.median(seconds) * 1000:.1f} ms"
          f" max {max(seconds) * 1000:.1f} ms")
    if exact:
        print(f"  hosts used / exact optimum (PuLP, {len(versus_optimum)} solved): "
              f"median {statistics.median(versus_optimum):.3f} worst {max(versus_optimum):.3f}  (target worst <= 1.10)")


def through_lookup(label: str, services: list, hosts: list, target: float, repeats: int, workdir: Path) -> None:
    """The lookup templated by Ansible over a real inventory, beside the package alone."""
    start = time.process_time()
    session = Session(write_inventory(hosts, workdir / f"inventory-{len(hosts)}.json"))
    parsed = time.process_time() - start
    runs = [session.lookup(services) for _repeat in range(repeats)]
    package = [timed(place, services, hosts) for _repeat in range(repeats)]
    spent = {key: statistics.median(figures[key] for _out, figures in runs) for key in runs[0][1]}
    alone = statistics.median(cpu for _out, _wall, cpu in package)
    same = "same placement" if runs[-1][0]["services"] == package[-1][0]["services"] else "PLACEMENT DIFFERS"
    verdict = "meets" if spent["plugin"] <= target else "MISSES"
    note = f"median of {repeats}, " if repeats > 1 else ""
    print(f"  {label:<42} lookup   cpu {spent['plugin'] * 1000:8.1f} ms = placing {spent['placing'] * 1000:,.1f}"
          f" + hostvars and the rest {spent['hostvars'] * 1000:,.1f}  ({note}{verdict} {target * 1000:,.0f} ms; {same})")
    values = count_values(runs[-1][0])
    finalising = spent["template"] - spent["plugin"]
    print(f"  {'':<42} + ansible-core finalising the result: whole template call {spent['template'] * 1000:8.1f} ms"
          f" ({values:,} values, {finalising / values * 1e6:.1f} us each)")
    print(f"  {'baseline: the package alone, same input':<42} {'spread':<8} cpu {alone * 1000:8.1f} ms"
          f"  (inventory of {len(hosts):,} hosts parsed by Ansible in {parsed:.1f} s, not counted)")


def count_values(value: object) -> int:
    """Containers and scalars in a result, each of which ansible-core finalises one by one."""
    if isinstance(value, dict):
        return 1 + sum(count_values(item) for item in value.values())
    if isinstance(value, list):
        return 1 + sum(count_values(item) for item in value)
    return 1


def playbook(hosts: list, services: list, collections: Path, workdir: Path) -> None:
    """Whole ansible-playbook runs over the inventory: one lookup call, beside the same play without it."""
    figures = playbook_runs(hosts, services, place(services, hosts), workdir, collections)
    with_lookup, stored, without = figures["with"], figures["stored"], figures["without"]
    total = sum(s["replicas"] for s in services)
    label = f"{total:,} replicas / {len(hosts):,} hosts"
    print(f"  {label:<42} with the lookup     cpu {with_lookup['cpu']:7.2f} s  peak RSS {with_lookup['rss'] / MIB:7,.0f} MiB"
          f"  ({with_lookup['summary']})")
    print(f"  {'baseline: the same result read from a file':<42} {'':<19} cpu {stored['cpu']:7.2f} s  peak RSS {stored['rss'] / MIB:7,.0f} MiB"
          f"  ({stored['summary']})")
    print(f"  {'baseline: same play without the lookup':<42} {'':<19} cpu {without['cpu']:7.2f} s  peak RSS {without['rss'] / MIB:7,.0f} MiB")
    print(f"  {'the lookup as a playbook pays for it':<42} {'':<19} cpu {with_lookup['cpu'] - without['cpu']:7.2f} s"
          f" = scheduling {with_lookup['cpu'] - stored['cpu']:.2f} + ansible-core carrying the result {stored['cpu'] - without['cpu']:.2f}")


SCALE = dict(hosts=10_000, services=2_000, replicas=500, seed=5, requests=SMALL_REQUESTS)


def scale(collections: Path) -> None:
    """1,000,000 replicas / 10,000 hosts, each case in its own process so that peak RSS is its own."""
    for case in ("scale-package", "scale-lookup"):
        command = [sys.executable, __file__, "--case", case, "--collections", str(collections), "--no-pin"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        print(done.stdout, end="" if done.returncode == 0 else f"  {case} failed: {done.stderr[-2000:]}\n")


def run_case(case: str) -> None:
    services, hosts = cluster_instance(SCALE["hosts"], SCALE["services"], SCALE["replicas"], SCALE["seed"], SCALE["requests"])
    total = sum(s["replicas"] for s in services)
    label = f"{total:,} replicas / {len(services):,} svc / {len(hosts):,} hosts"
    if case == "scale-package":
        before = _rss()
        out, wall, cpu = timed(place, services, hosts)
        print(f"  {label:<42} package  cpu {cpu:8.1f} s  (wall {wall:.1f})  placed {out['summary']['placed']:,}"
              f"  peak RSS {peak_rss() / GIB:.2f} GiB (input alone {before / GIB:.2f} GiB)")
        return
    with tempfile.TemporaryDirectory(prefix="bench-placement-") as workdir:
        session = Session(write_inventory(hosts, Path(workdir) / "inventory.json"))
        before = _rss()
        out, spent = session.lookup(services)
    print(f"  {label:<42} lookup   cpu {spent['plugin']:8.1f} s = placing {spent['placing']:.1f} + hostvars and the rest {spent['hostvars']:.1f}"
          f"  placed {out['summary']['placed']:,}  (aim 60 s)  peak RSS when it returns {spent['plugin_peak_rss'] / GIB:.2f} GiB")
    print(f"  {'':<42} + ansible-core finalising the result ({count_values(out):,} values): whole template call {spent['template']:8.1f} s"
          f"  peak RSS {peak_rss() / GIB:.2f} GiB (inventory and input {before / GIB:.2f} GiB; aim 2 GiB)")


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 100,000-replica runs and the ILP")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the process to one core")
    parser.add_argument("--no-playbook", action="store_true", help="skip the ansible-playbook runs")
    parser.add_argument("--scale", action="store_true", help="add 1,000,000 replicas / 10,000 hosts (several minutes)")
    parser.add_argument("--collections", type=Path, default=COLLECTIONS,
                        help="directory holding ansible_collections/flotilla/fleet (default: this checkout)")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # one scale case, in a child process
    args = parser.parse_args()
    load(args.collections.resolve())
    if args.case:
        run_case(args.case)
        return
    if not args.no_pin and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"python {sys.version.split()[0]}, cores used: {len(os.sched_getaffinity(0))} of {os.cpu_count()}, "
          f"load average {average} (other work on the machine slows every figure, baseline included)")
    print(f"collection measured: {(args.collections / 'ansible_collections/flotilla/fleet').resolve()}")
    small = cluster_instance(50, 20, 50, seed=1)
    large = None if args.quick else cluster_instance(5000, 1000, 100, seed=2)
    print("speed: the package alone")
    speed("1,000 replicas / 20 services / 50 hosts", *small, 0.050, None)
    if large:
        speed("100,000 replicas / 1,000 svc / 5,000 hosts", *large, 5.0, 2000)
    with tempfile.TemporaryDirectory(prefix="bench-placement-") as workdir:
        print("speed: through the lookup (Ansible's templar, hostvars from a generated inventory with host_info facts)")
        through_lookup("1,000 replicas / 20 services / 50 hosts", *small, 0.050, 5, Path(workdir))
        if large:
            through_lookup("100,000 replicas / 1,000 svc / 5,000 hosts", *large, 5.0, 1, Path(workdir))
        if not args.no_playbook:
            print("speed: whole ansible-playbook runs, one lookup call over a 5,000-host inventory")
            services, hosts = large or cluster_instance(5000, 20, 50, seed=2)
            playbook(hosts, services, args.collections, Path(workdir))
    if args.scale:
        print("scale: 1,000,000 replicas / 10,000 hosts (each in its own process)")
        scale(args.collections)
    print("packing quality (binpack)")
    quality(100, 400, exact=False, seed=3)
    quality(30 if args.quick else 100, 60, exact=not args.quick, seed=4)
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
