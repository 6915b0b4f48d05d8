"""The stack_plan action's own helpers: which hosts, what each host looks like to the plan."""

from __future__ import annotations

import pytest

from ansible_collections.flotilla.fleet.plugins.action.stack_plan import _host_names, _view, _with_node_labels
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._errors import StackError

INFO = {
    "engine": {"cpus": 4, "memory": 8 * 1024 ** 3, "arch": "arm64", "os": "linux", "labels": {"zone": "eu"}},
    "swarm": {"role": "manager", "node_id": "n1"},
    "containers": [
        {"name": "shop-web-1", "service": "web", "replica": 1, "project": "shop", "state": "running",
         "cpus": 0.5, "memory": 1024 ** 3},
        {"name": "other", "service": None, "project": None, "state": "running", "cpus": 1, "memory": 2 * 1024 ** 3},
        {"name": "old", "service": None, "project": None, "state": "exited", "cpus": 1, "memory": 1024 ** 3},
    ],
    "volumes": [{"name": "shop_data", "driver": "local"}, {"name": "nfs", "driver": "nfs"}],
}


def test_swarm_and_platform_attributes_become_labels():
    labels = _with_node_labels(INFO)["engine"]["labels"]
    assert labels == {"zone": "eu", "node.platform.arch": "arm64", "node.platform.os": "linux",
                      "node.role": "manager", "node.id": "n1"}
    assert INFO["engine"]["labels"] == {"zone": "eu"}  # the facts themselves are not changed


def test_view_counts_only_what_is_not_this_stacks():
    view = _view("h1", 0, {"flotilla_host_info": _with_node_labels(INFO)}, True,
                 {"name": "shop", "services": {"web": {}}})
    # shop-web-1 is this stack's (the placement counts it with its new request); the exited one holds nothing.
    assert (view.cpus, view.memory, view.reserved_cpus, view.reserved_memory) == (4000, 8 * 1024 ** 3, 1000,
                                                                                  2 * 1024 ** 3)
    assert view.volumes == ("shop_data",)
    assert view.networks is None
    assert view.labels["node.role"] == "manager"


def test_host_names_expand_groups_in_order_without_repeats():
    task_vars = {"groups": {"web": ["h2", "h1"], "all": ["h1", "h2", "h3"]}, "hostvars": {"h1": {}, "h2": {}, "h3": {}},
                 "ansible_play_hosts_all": ["localhost"]}
    assert _host_names(["web", "h3", "h1", "localhost"], task_vars) == ["h2", "h1", "h3", "localhost"]
    with pytest.raises(StackError) as error:
        _host_names(["db"], task_vars)
    assert str(error.value) == "stack_hosts[0]: 'db' is neither a host nor a group in the inventory"
    with pytest.raises(StackError) as error:
        _host_names(["empty"], {"groups": {"empty": []}})
    assert str(error.value) == "stack_hosts: empty has no hosts"
