"""The placement lookup as users reach it, for bench_placement.py: a generated inventory read by
Ansible's own inventory and variable managers, the lookup called through Ansible's templar in
this process, and whole ansible-playbook runs.

Figures are CPU seconds (user + system), so other work on the shared machine stretches wall time
but not the figures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

EXPRESSION = "{{ lookup('flotilla.fleet.placement', services, hosts='fleet') }}"
# Variables every host has beside the scheduler's: the lookup must not pay for templating them.
UNRELATED = {"ansible_host": "127.0.0.1", "backup_enabled": True, "site_notes": ["rack {{ 40 }}", "owner ops"]}


def host_info(host: dict) -> dict:
    """What flotilla.fleet.host_info registers for a host of the benchmark's cluster."""
    return {
        "engine": {"cpus": host["cpus"], "memory": host["memory"], "labels": host.get("labels", {}),
                   "resources": {}, "version": "24.0.7", "os": "linux", "arch": "x86_64"},
        "swarm": {"node_availability": None, "node_labels": {}},
        "containers": [],
        "volumes": [],
    }


def write_inventory(hosts: list, path: Path) -> Path:
    """One group ``fleet``; every host carries host_info facts as ``flotilla_host_info``."""
    members = {h["name"]: {**UNRELATED, "flotilla_host_info": host_info(h)} for h in hosts}
    path.write_text(json.dumps({"all": {"children": {"fleet": {"hosts": members}}}}))
    return path


def peak_rss() -> int:
    """This process's peak RSS since it started (ru_maxrss would include the parent's, at exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


class Session:
    """Ansible's inventory, variables and templar over one inventory file, in this process."""

    def __init__(self, inventory: Path) -> None:
        from ansible.inventory.manager import InventoryManager
        from ansible.parsing.dataloader import DataLoader
        from ansible.vars.hostvars import HostVars
        from ansible.vars.manager import VariableManager

        self.loader = DataLoader()
        self.inventory = InventoryManager(loader=self.loader, sources=[str(inventory)])
        self.variables = VariableManager(loader=self.loader, inventory=self.inventory)
        HostVars(self.inventory, self.variables, self.loader)  # registers itself as hostvars

    def lookup(self, services: list) -> dict:
        """Template ``EXPRESSION`` as a task argument is. Returns the result and CPU seconds: in
        the package placing (``place_hosts``, result included), in the rest of the plugin (reading
        hostvars and terms, and whatever else the plugin does around the package), and in the
        whole template call (the plugin plus ansible-core's finalisation of the returned structure)."""
        from ansible.plugins.loader import lookup_loader
        from ansible.template import Templar, trust_as_template

        plugin_module = sys.modules[type(lookup_loader.get("flotilla.fleet.placement")).__module__]
        spent = {"plugin": 0.0, "placing": 0.0}
        run, place_hosts = plugin_module.LookupModule.run, plugin_module.place_hosts

        def timed_run(plugin, *args, **kwargs):
            start = time.process_time()
            try:
                return run(plugin, *args, **kwargs)
            finally:
                spent["plugin"] += time.process_time() - start
                spent["plugin_peak_rss"] = peak_rss()

        def timed_place_hosts(*args, **kwargs):
            start = time.process_time()
            try:
                return place_hosts(*args, **kwargs)
            finally:
                spent["placing"] += time.process_time() - start

        variables = self.variables.get_vars()  # play-level: hostvars and groups, as a task sees them
        variables["services"] = services
        templar = Templar(loader=self.loader, variables=variables)
        plugin_module.LookupModule.run, plugin_module.place_hosts = timed_run, timed_place_hosts
        try:
            start = time.process_time()
            out = templar.template(trust_as_template(EXPRESSION))
            total = time.process_time() - start
        finally:
            plugin_module.LookupModule.run, plugin_module.place_hosts = run, place_hosts
        return out, {"hostvars": spent["plugin"] - spent["placing"], "placing": spent["placing"],
                     "plugin": spent["plugin"], "template": total, "plugin_peak_rss": spent["plugin_peak_rss"]}


PLAYBOOK = """
- name: Place the fleet with one lookup call
  hosts: localhost
  gather_facts: false
  vars_files: [services.json]
  tasks:
    - name: Place
      ansible.builtin.set_fact:
        placement: "{placement}"
    - name: Show the summary
      ansible.builtin.debug:
        msg: "placed {{{{ placement.summary.placed }}}} of {{{{ placement.summary.replicas }}}}"
"""
WITH_LOOKUP = EXPRESSION
# The same result, read from a file by a trivial lookup: what ansible-core alone costs to carry a
# structure of that size through set_fact (finalising it, sending it from the worker, storing it).
STORED = "{{ lookup('bench_stored', 'result.json') }}"
STORED_PLUGIN = """
import json
import os

from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        with open(os.path.join(os.path.dirname(__file__), "..", terms[0])) as stored:
            return [json.load(stored)]
"""
# The same play over the same inventory, without the lookup.
WITHOUT_LOOKUP = "{{ {'summary': {'placed': 0, 'replicas': services | map(attribute='replicas') | sum}} }}"


def playbook_runs(hosts: list, services: list, result: dict, workdir: Path, collections: Path) -> dict:
    """CPU seconds and peak RSS of ansible-playbook with the lookup task, with ``result`` (the
    placement the package computes for the same input) read from a file instead, and without."""
    write_inventory(hosts, workdir / "inventory.json")
    (workdir / "services.json").write_text(json.dumps({"services": services}))
    (workdir / "result.json").write_text(json.dumps(result))
    (workdir / "lookup_plugins").mkdir(exist_ok=True)
    (workdir / "lookup_plugins" / "bench_stored.py").write_text(STORED_PLUGIN)
    figures = {}
    for label, placement in (("without", WITHOUT_LOOKUP), ("stored", STORED), ("with", WITH_LOOKUP)):
        playbook = workdir / f"{label}.yml"
        playbook.write_text(PLAYBOOK.format(placement=placement))
        figures[label] = _run_playbook(playbook, workdir, collections)
    return figures


# Runs a command in a grandchild and reports its CPU and peak RSS: a process started straight from
# the benchmark would report the benchmark's own peak RSS (Linux carries it over at exec).
_MEASURE = """
import json, os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_pid, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss * 1024}, out)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _run_playbook(playbook: Path, workdir: Path, collections: Path) -> dict:
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(collections), "ANSIBLE_LOCALHOST_WARNING": "false",
           "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORKS": "1"}
    figures, log = workdir / "figures.json", workdir / f"{playbook.stem}.log"
    command = [sys.executable, "-c", _MEASURE, str(figures),
               str(Path(sys.executable).parent / "ansible-playbook"), "-i", "inventory.json", playbook.name]
    with open(log, "w") as output:
        done = subprocess.run(command, cwd=workdir, env=env, stdout=output, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{playbook.name} failed, see {log}")
    summary = ""
    for line in log.read_text().splitlines():
        if '"msg"' in line:
            summary = line.split('"msg":', 1)[1].strip().strip('"')
    return {**json.loads(figures.read_text()), "summary": summary}
