"""The flotilla.fleet.placement lookup, loaded the way Ansible loads it."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pytest
from ansible._internal._datatag._tags import TrustedAsTemplate
from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import init_plugin_loader, lookup_loader

COLLECTIONS = Path(__file__).resolve().parents[4] / ".build" / "pytest-collections"
NAME = "flotilla.fleet.placement"


@pytest.fixture(scope="module")
def lookup():
    if "ansible_collections.flotilla.fleet" not in sys.modules:
        init_plugin_loader([str(COLLECTIONS)])
        plugin = lookup_loader.get(NAME)
        if plugin is not None:
            return plugin
    # Other tests imported the collection as a plain package before Ansible's collection finder
    # was installed, and the finder then refuses it: load the plugin the way the loader does.
    from ansible_collections.flotilla.fleet.plugins.lookup import placement as module

    lookup_loader._load_config_defs(NAME, module, module.__file__)
    plugin = object.__new__(module.LookupModule)
    lookup_loader._update_object(obj=plugin, name=NAME, path=module.__file__, redirected_names=[], resolved=NAME)
    plugin.__init__()
    return plugin


def inventory(**hostvars):
    names = list(hostvars)
    return {
        "hostvars": hostvars,
        "groups": {"all": names, "docker": names[:2]},
        "ansible_play_hosts_all": names,
        "ansible_play_hosts": names,
    }


def node(cpus=4, memory="8g", **extra):
    return {"flotilla_cpus": cpus, "flotilla_memory": memory, **extra}


def test_places_on_the_play_hosts_by_default(lookup):
    variables = inventory(n1=node(), n2=node(), n3=node())
    [result] = lookup.run([{"name": "web", "replicas": 3}], variables=variables)
    assert result["services"]["web"]["hosts"] == ["n1", "n2", "n3"]


def test_hosts_option_takes_groups_and_hosts_in_order(lookup):
    variables = inventory(n1=node(), n2=node(), n3=node())
    [result] = lookup.run([{"name": "web", "replicas": 3}], variables=variables, hosts=["n3", "docker"])
    assert list(result["hosts"]) == ["n3", "n1", "n2"]
    [result] = lookup.run([{"name": "web"}], variables=variables, hosts="n2")
    assert list(result["hosts"]) == ["n2"]


def test_a_list_of_services_is_one_term(lookup):
    services = [{"name": "web"}, {"name": "db"}]
    [result] = lookup.run([services], variables=inventory(n1=node()))
    assert list(result["services"]) == ["web", "db"]


def test_options_reach_the_scheduler(lookup):
    variables = inventory(n1=node(), n2=node())
    [result] = lookup.run([{"name": "web", "replicas": 2, "cpus": 1}], variables=variables,
                          strategy="binpack", project="shop")
    assert result["services"]["web"]["hosts"] == ["n1", "n1"]
    assert result["hosts"]["n1"][0]["name"] == "shop-web-1"


def test_hosts_that_failed_in_the_play_get_nothing(lookup):
    variables = inventory(n1=node(), n2=node())
    variables["ansible_play_hosts"] = ["n2"]
    [result] = lookup.run([{"name": "web", "replicas": 2}], variables=variables)
    assert result["services"]["web"]["hosts"] == ["n2", "n2"]
    [result] = lookup.run([{"name": "web", "replicas": 2}], variables=variables, exclude_unreachable=False)
    assert result["services"]["web"]["hosts"] == ["n1", "n2"]


def test_facts_from_host_info_and_running_replicas(lookup):
    facts = {"engine": {"cpus": 1, "memory": 1024**3, "labels": {}}, "swarm": {"node_availability": None},
             "containers": [{"name": "web-1", "service": "web", "replica": 1, "state": "running", "cpus": 0.5}],
             "volumes": []}
    variables = inventory(n1=node(cpus=64, flotilla_host_info=facts), n2=node())
    [result] = lookup.run([{"name": "web", "replicas": 2, "cpus": 1}], variables=variables)
    assert result["services"]["web"]["hosts"] == ["n1", "n2"]
    assert [m["name"] for m in result["moves"]] == ["web-2"]


def test_unknown_host_is_named(lookup):
    with pytest.raises(AnsibleLookupError) as error:
        lookup.run([{"name": "web"}], variables=inventory(n1=node()), hosts=["n1", "n9"])
    assert str(error.value) == "flotilla.fleet.placement: hosts[1]: 'n9' is neither a host nor a group in the inventory"


def test_bad_service_field_is_named(lookup):
    with pytest.raises(AnsibleLookupError) as error:
        lookup.run([{"name": "web", "memory": "12xb"}], variables=inventory(n1=node()))
    assert str(error.value).startswith("flotilla.fleet.placement: services[0].memory: cannot parse '12xb'")


def test_bad_hostvar_is_named(lookup):
    with pytest.raises(AnsibleLookupError) as error:
        lookup.run([{"name": "web"}], variables=inventory(n1=node(memory="lots")))
    assert str(error.value).startswith("flotilla.fleet.placement: hostvars[n1].flotilla_memory: cannot parse 'lots'")


def test_no_hosts_and_no_play_is_an_error(lookup):
    with pytest.raises(AnsibleLookupError) as error:
        lookup.run([{"name": "web"}], variables={"hostvars": {}, "groups": {}})
    assert str(error.value) == "flotilla.fleet.placement: hosts: not set, and there are no play hosts to default to"


def test_bad_option_type_is_refused_by_ansible(lookup):
    with pytest.raises(Exception, match="max_moves"):
        lookup.run([{"name": "web"}], variables=inventory(n1=node()), max_moves="many")


def strings(value):
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def trusted(value):
    """``value`` with every string in it tagged as a template Ansible may render (as inventory
    and playbook strings are)."""
    if isinstance(value, dict):
        return {trusted(key): trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [trusted(item) for item in value]
    return TrustedAsTemplate().tag(value) if isinstance(value, str) else value


def test_returned_strings_are_never_trusted_as_templates(lookup):
    running = {"name": "shop-web-1", "service": "web", "project": "shop", "replica": 1, "state": "running"}
    variables = inventory(
        n1=node(flotilla_labels={"zone": "a", "note": "{{ 'templated' }}"}, flotilla_current=[running],
                flotilla_availability="drain"),
        n2=node(flotilla_zone="b", flotilla_volumes=["data-1"], flotilla_resources={"gpu": 2}),
    )
    services = [
        {"name": "web", "replicas": 2, "ports": [8080], "spread": ["zone"], "resources": {"gpu": 1}},
        {"name": "db", "volumes": ["data-{replica}"]},
        {"name": "huge", "memory": "64g", "constraints": ["note == {{ 'templated' }}"]},
    ]
    [result] = lookup.run([trusted(services)], variables=trusted(variables), project=TrustedAsTemplate().tag("shop"))

    found = list(strings(result))
    assert {"n1", "n2", "web", "shop", "shop-web-1", "8080/tcp", "data-1", "gpu", "host drained"} <= set(found)
    assert "1 host: constraint note == {{ 'templated' }}; 1 host: host drained" in found
    assert [s for s in found if TrustedAsTemplate.is_tagged_on(s)] == []


class Recorded(Mapping):
    """Host variables that count each read and refuse the ones the scheduler has no use for."""

    def __init__(self, variables, unused):
        self.variables, self.unused, self.reads = {**variables, **unused}, set(unused), Counter()

    def __getitem__(self, key):
        if key in self.unused:
            raise AssertionError(f"{key} was read")
        self.reads[key] += 1
        return self.variables[key]

    def __contains__(self, key):  # as HostVarsVars: a look-up without templating
        return key in self.variables

    def __iter__(self):
        return iter(self.variables)

    def __len__(self):
        return len(self.variables)


UNUSED = {"ansible_host": "10.0.0.1", "site_notes": ["rack 4"], "flotilla_cpu": 99}


def test_only_the_variables_the_scheduler_uses_are_read_once_each(lookup):
    facts = {"engine": {"cpus": 2, "memory": 1024**3, "labels": {"zone": "a"}}, "swarm": {}, "containers": [],
             "volumes": []}
    everything = {**node(), "flotilla_host_info": facts, "flotilla_zone": "b", "flotilla_labels": {"disk": "ssd"},
                  "flotilla_availability": "active", "flotilla_resources": {"gpu": 1}, "flotilla_current": [],
                  "flotilla_volumes": ["v"]}
    n1, n2 = Recorded(everything, UNUSED), Recorded(node(), UNUSED)
    [result] = lookup.run([{"name": "web", "replicas": 2, "cpus": 1}], variables=inventory(n1=n1, n2=n2))
    assert result["services"]["web"]["hosts"] == ["n1", "n2"]
    assert set(n1.reads) == set(everything)
    assert max(n1.reads.values()) == 1
    assert set(n2.reads) == set(node())


def test_the_variable_list_is_every_variable_host_from_vars_reads(lookup):
    # imported after the fixture, so that the plugin loader installs its finder first
    from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._hostvars import (
        HOST_VARIABLES, host_from_vars)

    facts = {"engine": {"cpus": 2, "memory": 1024**3}, "swarm": {}, "containers": [], "volumes": []}
    everything = {name: None for name in HOST_VARIABLES}
    everything.update(node(), flotilla_host_info=facts, flotilla_zone="b", flotilla_availability="pause")
    recorded = Recorded(everything, {})
    host = host_from_vars("n1", 0, recorded, True)
    assert host.availability == "pause"
    assert set(recorded.reads) <= set(HOST_VARIABLES)
    assert {"flotilla_host_info", "flotilla_zone", "flotilla_availability"} <= set(recorded.reads)
