# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack_plan action: load a Compose stack, place it once with the placement lookup, print the plan.

Runs on the controller only and talks to no engine: the facts come from ``flotilla_host_info`` hostvars that
``flotilla.fleet.host_info`` gathered before (see playbooks/plan.yml). Documentation: plugins/modules/stack_plan.py.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.template import trust_as_template
from ansible.utils.display import Display

from ansible_collections.flotilla.fleet.plugins.module_utils._stack_spec import STACK_PLAN_RULES, STACK_PLAN_SPEC
from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._constraints import parse_constraint
from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._errors import PlacementError
from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._hostvars import (
    INFO, INVENTORY_VARS, ZONE_VAR, host_from_vars)
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._errors import StackError
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._model import load_stack
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._plan import (
    HostView, build_plan, placement_error, placement_request)
from ansible_collections.flotilla.fleet.plugins.plugin_utils._plain import plain

display = Display()
PLACEMENT = "flotilla.fleet.placement"
ARGUMENT_SPEC = STACK_PLAN_SPEC
# The hostvars the placement lookup reads; only these are templated (a whole hostvars copy could fail).
_PLACEMENT_VARS = (INFO, ZONE_VAR, *INVENTORY_VARS.values())
# Another host's variables are lazy: they are read inside a template, as the lookup itself would read them.
_HOSTVAR = trust_as_template("hostvars[flotilla_host].get(flotilla_key)")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        _valid, args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC,
            **STACK_PLAN_RULES)
        try:
            plan = self._plan(args, task_vars)
        except (StackError, PlacementError) as error:
            return {**result, "failed": True, "msg": str(error)}
        display.display(plan["text"])
        if plan["unplaced"] and args["fail_on_unplaced"]:
            return {**result, "failed": True, "changed": False, "unplaced": plan["unplaced"],
                    "msg": "%d replica(s) of stack %s found no host: %s" % (
                        len(plan["unplaced"]), plan["stack"],
                        "; ".join("%s: %s" % (item["name"], item["message"]) for item in plan["unplaced"]))}
        # The plan holds the stack's environment, which may hold secrets: the printed text is what to read.
        result.update(changed=False, stack_plan=plan, ansible_facts={"stack_plan": plan}, _ansible_no_log=True)
        return result

    def _plan(self, args, task_vars):
        stack = load_stack(files=args["stack_file"] or (), definition=args["stack_definition"],
                           project_dir=args["stack_project_dir"], env=args["stack_env"],
                           profiles=args["stack_profiles"], name=args["stack_name"],
                           files_dir=args["stack_files_dir"])
        names = _host_names(args["stack_hosts"], task_vars)
        down = set(task_vars.get("ansible_play_hosts_all") or []) - set(task_vars.get("ansible_play_hosts") or [])
        lookup_vars = {name: self._placement_vars(task_vars, name) for name in names}
        views = [_view(name, order, lookup_vars[name], name not in down, stack)
                 for order, name in enumerate(names)]
        request = placement_request(stack, views, task_vars.get("groups") or {}, _matches)
        lookup = self._shared_loader_obj.lookup_loader.get(PLACEMENT, loader=self._loader, templar=self._templar)
        variables = {"hostvars": lookup_vars, "groups": task_vars.get("groups") or {},
                     "ansible_play_hosts_all": task_vars.get("ansible_play_hosts_all"),
                     "ansible_play_hosts": task_vars.get("ansible_play_hosts")}
        try:
            placement = lookup.run([request], variables=variables, hosts=names, project=stack["name"])[0]
        except AnsibleError as error:
            raise StackError("", placement_error(str(getattr(error, "message", error)), stack)) from None
        return build_plan(stack, plain(placement), views)

    def _placement_vars(self, task_vars, name):
        """The variables of host ``name`` that the placement lookup reads, as plain data."""
        if name == task_vars.get("inventory_hostname"):
            values = {key: task_vars[key] for key in _PLACEMENT_VARS if task_vars.get(key) is not None}
        else:
            templar = self._templar.copy_with_new_env(available_variables=task_vars)
            values = {}
            for key in _PLACEMENT_VARS:
                where = {"flotilla_host": name, "flotilla_key": key}
                value = templar.evaluate_expression(_HOSTVAR, local_variables=where)
                if value is not None:
                    values[key] = value
        values = plain(values)
        if isinstance(values.get(INFO), Mapping):
            values[INFO] = _with_node_labels(values[INFO])
        return values


def _host_names(patterns, task_vars):
    groups, hostvars = task_vars.get("groups") or {}, task_vars.get("hostvars") or {}
    # An implicit localhost (no inventory) is a play host but not in hostvars' inventory.
    play_hosts = set(task_vars.get("ansible_play_hosts_all") or [])
    names = []
    for index, pattern in enumerate(patterns):
        if pattern in groups:
            members = groups[pattern]
        elif pattern in hostvars or pattern in play_hosts:
            members = [pattern]
        else:
            raise StackError(f"stack_hosts[{index}]", f"{pattern!r} is neither a host nor a group in the inventory")
        names += [name for name in members if name not in names]
    if not names:
        raise StackError("stack_hosts", f"{', '.join(patterns)} has no hosts")
    return names


def _with_node_labels(info):
    """Swarm's node attributes as host labels, so that ``node.role == manager`` is a plain label constraint."""
    engine = dict(info.get("engine") or {})
    swarm = info.get("swarm") or {}
    labels = dict(engine.get("labels") or {})
    for label, value in (("node.platform.arch", engine.get("arch")), ("node.platform.os", engine.get("os")),
                         ("node.role", swarm.get("role")), ("node.id", swarm.get("node_id"))):
        if value:
            labels.setdefault(label, value)
    engine["labels"] = labels
    return {**info, "engine": engine}


def _view(name, order, values, reachable, stack):
    host = host_from_vars(name, order, values, reachable)
    ours = set(stack["services"])
    cpus = memory = 0
    for container in host.containers:
        if container.project == stack["name"] and container.service in ours:
            continue  # a replica of this stack: the placement counts it with its new request
        usage = dict(container.usage)
        cpus += usage.get("cpus", 0)
        memory += usage.get("memory", 0)
    info = values.get(INFO) if isinstance(values.get(INFO), Mapping) else {}
    networks = info.get("networks")
    if networks is not None:  # listed by facts that have them; otherwise unknown, and not checked
        networks = tuple(item.get("name") if isinstance(item, Mapping) else str(item) for item in networks)
    return HostView(name=name, cpus=host.capacity.get("cpus", 0), memory=host.capacity.get("memory", 0),
                    labels=dict(host.labels), availability=host.state, reserved_cpus=cpus, reserved_memory=memory,
                    volumes=tuple(host.volumes), networks=networks)


def _matches(text, labels):
    return parse_constraint(text, "constraint").matches(labels)
