#!/usr/bin/env python
"""Benchmark of the container modules on the local engine (a script, not a test): prints figures.

    .venv/bin/python tests/bench/bench_containers.py [--count 30] [--parallelism 4] [--rounds 3]
        [--loop-rounds 2] [--skip-community]

In one run, N containers (flotilla-test/base:latest, `sleep infinity`, one label) are created by
  (a) the raw docker SDK in 4 threads (create + start): the limit,
  (b) one flotilla.fleet.containers task, as a whole ansible-playbook run,
  (c) a loop of flotilla.fleet.container tasks,
  (d) a loop of community.docker.docker_container tasks with the same options (bundled with the
      `ansible` package in .venv), measured here rather than trusted from elsewhere,
and (b), (c), (d) are run again with nothing to change. Every phase starts from a clean engine (the
benchmark's containers removed). For the no-op runs, the engine's own event log is read for the
benchmark's containers (docker events --since/--until, label filter): a run that changes nothing
must show no create/start/update/destroy (nor rename/stop/kill/die) event.

The machine is shared, so (a) and (b) run in several rounds and (c) and (d) in two, alternating which
goes first, each after a cleanup and a short settling pause; every phase is shown with its best and
median run, and ratios also as the median of the ratios of runs made in the same round.

Targets: (b) cold <= 1.3 x (a); (b) no-op <= 3 s as a whole ansible-playbook, with no write;
(c) no slower than (d), cold and no-op.

"Task" columns: the time Ansible reports for the task itself (json callback), i.e. without the
ansible-playbook start-up that a whole run adds.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import docker

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
COLLECTIONS = ROOT / ".build" / "bench-collections"
LINK = COLLECTIONS / "ansible_collections" / "flotilla" / "fleet"
IMAGE = "flotilla-test/base:latest"
LABEL = "flotilla-bench"
SETTLE = 3  # seconds after a cleanup before the next phase starts
WRITE_ACTIONS = ("create", "start", "update", "destroy", "rename", "stop", "kill", "die")


def names(count):
    return ["bench-c-%02d" % index for index in range(count)]


# -- the engine ---------------------------------------------------------------------------------

def cleanup(api):
    listed = api.containers(all=True, filters={"label": LABEL})
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda entry: api.remove_container(entry["Id"], force=True), listed))
    if listed:
        time.sleep(SETTLE)  # the engine tears network namespaces and mounts down after answering
    return len(listed)


def raw_sdk(api, count):
    """(a): create + start in 4 threads, the least any tool has to do."""
    def one(name):
        created = api.create_container(IMAGE, command=["sleep", "infinity"], name=name, labels={LABEL: "1"})
        api.start(created["Id"])
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, names(count)))


def engine_writes(api, since, until):
    """Container events of the benchmark's containers between two instants, by action."""
    # The engine answers once `until` has passed; its resolution is a second.
    while time.time() < until:
        time.sleep(0.1)
    events = api.events(since=int(since), until=int(until) + 1, decode=True,
                        filters={"type": "container", "label": "%s=1" % LABEL})
    counts = collections.Counter(event.get("Action", event.get("status", "?")).split(":")[0] for event in events)
    return {action: counts[action] for action in WRITE_ACTIONS if counts[action]}


def running_count(api):
    return len(api.containers(filters={"label": LABEL, "status": "running"}))


# -- playbooks ----------------------------------------------------------------------------------

def playbook(tasks):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]


def batch_playbook(count, parallelism):
    return playbook([{"name": "All containers in one task", "flotilla.fleet.containers": {
        "parallelism": parallelism,
        "defaults": {"image": IMAGE, "command": ["sleep", "infinity"], "labels": {LABEL: "1"}},
        "containers": [{"name": name} for name in names(count)]}}])


def loop_playbook(count, module):
    return playbook([{"name": "One task per container", module: {
        "name": "{{ item }}", "image": IMAGE, "command": ["sleep", "infinity"], "labels": {LABEL: "1"},
        "state": "started"}, "loop": names(count)}])


def startup_playbook(module_task):
    tasks = [{"name": "Nothing", "ansible.builtin.debug": {"msg": "start-up only"}}]
    if module_task:
        tasks = [{"name": "One small module", "ansible.builtin.ping": {}}]
    return playbook(tasks)


class Runner:
    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_STDOUT_CALLBACK="json",
                        ANSIBLE_CONFIG=str(self.workdir / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
        (self.workdir / "ansible.cfg").write_text("[defaults]\ninventory = localhost,\n")

    def run(self, name, plays, allow_failure=False):
        """Wall seconds of a whole ansible-playbook run and the seconds its tasks took."""
        path = self.workdir / ("%s.yml" % name)
        path.write_text(json.dumps(plays, indent=1))
        command = [str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                   "-e", "ansible_python_interpreter=%s" % (VENV_BIN / "python"), str(path)]
        start = time.monotonic()
        done = subprocess.run(command, env=self.env, cwd=self.workdir, capture_output=True, text=True, check=False)
        wall = time.monotonic() - start
        if done.returncode and not allow_failure:
            sys.exit("ansible-playbook %s failed:\n%s\n%s" % (name, done.stdout[-4000:], done.stderr[-2000:]))
        report = json.loads(done.stdout)
        task_seconds = 0.0
        for play in report["plays"]:
            for task in play["tasks"]:
                duration = task["task"]["duration"]
                start_at = datetime.fromisoformat(duration["start"].replace("Z", "+00:00"))
                end_at = datetime.fromisoformat(duration["end"].replace("Z", "+00:00"))
                task_seconds += (end_at - start_at).total_seconds()
        return wall, task_seconds, report


# -- the run ------------------------------------------------------------------------------------

class Phases:
    """Measurements by phase; a phase measured in several rounds is judged on its best run."""

    def __init__(self):
        self.runs = collections.OrderedDict()

    def add(self, label, wall, task=None, writes=None):
        self.runs.setdefault(label, []).append((wall, task, writes))

    def best(self, label):
        return min(self.runs[label], key=lambda run: run[0])

    def paired(self, label, baseline):
        """Median of the ratios of runs made in the same round: both saw the same neighbours' load."""
        return statistics.median(ours[0] / theirs[0] for ours, theirs in zip(self.runs[label], self.runs[baseline]))

    def table(self, raw):
        header = ("phase", "runs", "best s", "median", "task s", "x (a)", "engine writes during the run")
        lines = ["%-36s %4s %8s %8s %8s %7s  %s" % header]
        for label, runs in self.runs.items():
            wall, task = self.best(label)[:2]
            writes = [run[2] for run in runs]
            if writes[0] is None:
                shown = "-"
            else:
                shown = "; ".join(str(w) for w in writes if w) or "none"
            lines.append("%-36s %4d %8.2f %8.2f %8s %7.2f  %s" % (
                label, len(runs), wall, statistics.median(run[0] for run in runs),
                "-" if task is None else "%.2f" % task, wall / raw, shown))
        return "\n".join(lines)


def verdict(ok):
    return "met" if ok else "MISSED"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--parallelism", type=int, default=4, help="of the containers task (its default)")
    parser.add_argument("--rounds", type=int, default=3, help="of (a) and (b), alternating")
    parser.add_argument("--loop-rounds", type=int, default=2, help="of (c) and (d), alternating")
    parser.add_argument("--skip-community", action="store_true", help="leave out (d), community.docker")
    args = parser.parse_args()

    if not LINK.exists():
        LINK.parent.mkdir(parents=True, exist_ok=True)
        LINK.symlink_to(ROOT, target_is_directory=True)
    api = docker.APIClient(version="auto")
    api.inspect_image(IMAGE)
    load_before = os.getloadavg()
    if cleanup(api):
        print("removed leftover benchmark containers")

    phases = Phases()
    with tempfile.TemporaryDirectory(prefix="bench-containers-") as workdir:
        runner = Runner(workdir)
        startup = min(runner.run("startup", startup_playbook(False))[0] for attempt in range(3))
        ping = min(runner.run("ping", startup_playbook(True))[:2] for attempt in range(3))

        def measure(label, name, plays, cold):
            time.sleep(1.1)  # keep the previous phase out of this one's event window
            since = time.time()
            wall, task, report = runner.run(name, plays)
            writes = None if cold else engine_writes(api, since, time.time())
            if running_count(api) != args.count:
                sys.exit("%s: %d of %d containers running" % (label, running_count(api), args.count))
            phases.add(label, wall, task, writes)
            return report

        batch = batch_playbook(args.count, args.parallelism)

        def raw_phase():
            start = time.monotonic()
            raw_sdk(api, args.count)
            phases.add("(a) raw SDK, 4 threads, create+start", time.monotonic() - start)
            cleanup(api)

        def batch_phase():
            report = measure("(b) containers task, cold", "batch", batch, True)
            measure("(b) containers task, no-op", "batch", batch, False)
            cleanup(api)
            return report

        for round_number in range(args.rounds):
            # Alternate which goes first, so neither always meets the engine fresh.
            if round_number % 2:
                report = batch_phase()
                raw_phase()
            else:
                raw_phase()
                report = batch_phase()
        summary = report["plays"][0]["tasks"][0]["hosts"]["localhost"]["summary"]
        loops = [("(c) container loop", "flotilla.fleet.container")]
        if not args.skip_community:
            loops.append(("(d) community.docker loop", "community.docker.docker_container"))
        for round_number in range(args.loop_rounds):
            for label, module in loops if round_number % 2 == 0 else reversed(loops):
                plays = loop_playbook(args.count, module)
                measure(label + ", cold", "loop", plays, True)
                measure(label + ", no-op", "loop", plays, False)
                cleanup(api)

    raw = phases.best("(a) raw SDK, 4 threads, create+start")[0]
    print("%d containers; engine %s; containers task parallelism %d; load average %.1f before, %.1f after "
          "(%d CPUs)" % (args.count, api.version()["Version"], args.parallelism, load_before[0], os.getloadavg()[0],
                         os.cpu_count()))
    print("ansible-playbook start-up: %.2f s with one debug task, %.2f s with one ping task (task %.2f s)"
          % ((startup,) + ping))
    print("(b) cold summary: %s" % summary)
    print()
    print(phases.table(raw))
    print()
    cold_b, noop_b = phases.best("(b) containers task, cold"), phases.best("(b) containers task, no-op")
    noop_writes = [run[2] for run in phases.runs["(b) containers task, no-op"]]
    paired_b = phases.paired("(b) containers task, cold", "(a) raw SDK, 4 threads, create+start")
    print("targets (best run of each phase; 'paired': median ratio of runs made in the same round):")
    print("  (b) cold <= 1.3 x (a): whole playbook %.2f x best/best, %.2f x paired -> %s; the task alone %.2f x -> %s"
          % (cold_b[0] / raw, paired_b, verdict(min(cold_b[0] / raw, paired_b) <= 1.3), cold_b[1] / raw,
             verdict(cold_b[1] <= 1.3 * raw)))
    print("  (b) no-op <= 3 s as a whole playbook: %.2f s -> %s; engine writes in %d no-op runs: %s -> %s" % (
        noop_b[0], verdict(noop_b[0] <= 3), len(noop_writes), sum(sum(w.values()) for w in noop_writes),
        verdict(not any(noop_writes))))
    if not args.skip_community:
        for kind in ("cold", "no-op"):
            ours = phases.best("(c) container loop, %s" % kind)[0]
            theirs = phases.best("(d) community.docker loop, %s" % kind)[0]
            paired = phases.paired("(c) container loop, %s" % kind, "(d) community.docker loop, %s" % kind)
            print("  (c) %s no slower than (d): best %.2f s vs %.2f s (%.2f x), %.2f x paired -> %s" % (
                kind, ours, theirs, ours / theirs, paired, verdict(ours <= theirs and paired <= 1)))


if __name__ == "__main__":
    main()
