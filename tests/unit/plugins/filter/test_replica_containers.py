"""flotilla.fleet.replica_containers: placement -> per-host container specs.

The two scenario files that built these specs with hand-written Jinja now call the filter; the tests render
the Jinja they had on the same input and check that the filter gives exactly the same specs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import jinja2
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.flotilla.fleet.plugins.filter.replica_containers import FilterModule, replica_containers
from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._api import place
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._errors import StackError
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._replicas import replica_containers as build

ROOT = Path(__file__).resolve().parents[4]
JINJA = jinja2.Environment()

# molecule/fleet/converge.yml before the filter (the same Jinja, verbatim).
OLD_FLEET_JINJA = """
{% set specs = [] %}
{% for replica in fleet_placement.hosts[inventory_hostname] %}
{%   set _ = specs.append({
       'name': replica.name,
       'cpus': replica.cpus,
       'memory': replica.memory | string,
       'labels': {'flotilla.service': replica.service, 'flotilla.replica': replica.replica | string},
       'networks': [{'name': 'fleet', 'aliases': [replica.service]}],
     }) %}
{% endfor %}
{{ specs }}
"""
# roles/demo_stack/vars/main.yml before the filter (the same Jinja, verbatim).
OLD_DEMO_JINJA = """
{% set replicas = [] %}
{% for index in range(demo_stack_web_replicas | int) %}
{%   set _ = replicas.append({
       'name': demo_stack_project ~ '-web-' ~ (index + 1),
       'labels': {'flotilla.service': 'web', 'flotilla.replica': (index + 1) | string},
       'command': ['python3', '-m', 'http.server', '8000', '--directory', '/srv'],
       'ports': [demo_stack_bind_address ~ ':' ~ (demo_stack_first_port | int + index) ~ ':8000'],
       'mounts': [{'source': demo_stack_project ~ '-content', 'target': '/srv', 'read_only': true}],
       'networks': [{'name': demo_stack_project, 'aliases': ['web']}],
       'healthcheck': {'test': ['CMD', 'python3', '-c',
                                'import urllib.request; urllib.request.urlopen("http://127.0.0.1:8000/index.html")'],
                       'interval': '1s', 'retries': 30},
     }) %}
{% endfor %}
{{ replicas }}
"""


def _old(template, **variables):
    return ast.literal_eval(JINJA.from_string(template).render(**variables).strip())


def _render(value, variables):
    """The vars file's strings templated the way Ansible would for these simple expressions."""
    if isinstance(value, dict):
        return {key: _render(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item, variables) for item in value]
    if isinstance(value, str) and "{{" in value:
        return JINJA.from_string(value).render(**variables)
    return value


def _converge_play():
    plays = yaml.safe_load((ROOT / "molecule/fleet/converge.yml").read_text())
    return next(play for play in plays if play["hosts"] == "fleet")


def test_fleet_scenario_gives_what_its_jinja_gave():
    play = _converge_play()
    task = next(task for task in play["tasks"] if "flotilla.fleet.containers" in task)
    assert task["flotilla.fleet.containers"]["containers"] == (
        "{{ fleet_placement | flotilla.fleet.replica_containers(inventory_hostname, fleet_specs, "
        "reserve_as_limit=true) }}")
    hosts = [{"name": f"node{index}", "cpus": 2, "memory": "1g", "labels": {"zone": f"zone-{index % 2}"}}
             for index in range(1, 4)]
    placement = place(play["vars"]["fleet_services"], hosts, {"project": "fleet"})
    seen = 0
    for host in hosts:
        old = _old(OLD_FLEET_JINJA, fleet_placement=placement, inventory_hostname=host["name"])
        new = replica_containers(placement, host["name"], play["vars"]["fleet_specs"], reserve_as_limit=True)
        assert new == old
        seen += len(new)
    assert seen == 4  # 3 web + 1 cache: the comparison covered every replica


@pytest.mark.parametrize("replicas", [0, 1, 2, 5])
def test_demo_stack_gives_what_its_jinja_gave(replicas):
    variables = {"demo_stack_project": "flotilla-demo", "demo_stack_web_replicas": replicas,
                 "demo_stack_bind_address": "127.0.0.1", "demo_stack_first_port": 18080,
                 "inventory_hostname": "localhost"}
    role_vars = yaml.safe_load((ROOT / "roles/demo_stack/vars/main.yml").read_text())
    assert " ".join(role_vars["_demo_stack_web"].split()) == (
        "{{ none | flotilla.fleet.replica_containers(inventory_hostname, {'web': _demo_stack_web_spec}, "
        "replicas={'web': demo_stack_web_replicas | int}, project=demo_stack_project) }}")
    spec = _render(role_vars["_demo_stack_web_spec"], variables)
    new = replica_containers(None, "localhost", {"web": spec}, replicas={"web": replicas}, project="flotilla-demo")
    assert new == _old(OLD_DEMO_JINJA, **variables)
    assert [item["ports"] for item in new] == [[f"127.0.0.1:{18080 + index}:8000"] for index in range(replicas)]


PLACEMENT = {"hosts": {
    "h1": [{"service": "web", "replica": 1, "name": "shop-web-1", "cpus": 0.5, "memory": 268435456},
           {"service": "db", "replica": 1, "name": "shop-db-1", "cpus": 0, "memory": 0}],
    "h2": [{"service": "web", "replica": 2, "name": "shop-web-2", "cpus": 0.5, "memory": 268435456}],
    "h3": [],
}}
SPECS = {"web": {"image": "web", "labels": {"tier": "front"}, "ports": ["8080-8081:80", "9000:9000"]},
         "db": {"image": "db", "name": "shop-db", "memory": "1g"}}


def test_specs_per_host():
    assert replica_containers(PLACEMENT, "h1", SPECS, reserve_as_limit=True) == [
        {"image": "web", "name": "shop-web-1", "labels": {"tier": "front", "flotilla.service": "web",
                                                          "flotilla.replica": "1"},
         "ports": ["8080:80", "9000:9000"], "cpus": 0.5, "memory": "268435456"},
        {"image": "db", "name": "shop-db", "memory": "1g",
         "labels": {"flotilla.service": "db", "flotilla.replica": "1"}},
    ]
    assert replica_containers(PLACEMENT, "h2", SPECS) == [
        {"image": "web", "name": "shop-web-2", "labels": {"tier": "front", "flotilla.service": "web",
                                                          "flotilla.replica": "2"},
         "ports": ["8081:80", "9000:9000"]}]
    assert replica_containers(PLACEMENT, "h3", SPECS) == []
    assert SPECS["web"]["labels"] == {"tier": "front"}  # the caller's specs are not changed


def test_registered_as_a_filter():
    assert FilterModule().filters()["replica_containers"] is replica_containers


BAD = [
    ((PLACEMENT, "h4", SPECS), {}, "host: 'h4' is not a host of the placement (its hosts: h1, h2, h3)"),
    (([], "h1", SPECS), {}, "placement: must be the result of the flotilla.fleet.placement lookup (with hosts)"),
    ((PLACEMENT, "h1", {"db": {}}), {}, "service_specs.web: missing: the placement has replicas of this service"),
    ((PLACEMENT, "h1", {"wb": {}, "db": {}}), {},
     "service_specs.web: missing: the placement has replicas of this service (did you mean 'wb'?)"),
    ((PLACEMENT, "h1", ["web"]), {}, "service_specs: must be a mapping of service name to container options, got list"),
    ((PLACEMENT, "h1", {"web": "nginx", "db": {}}), {}, "service_specs.web: must be a mapping of container options, got str"),
    ((PLACEMENT, "h2", {"web": {"name": "fixed"}}), {}, "service_specs.web.name: 'fixed' names one container, "
                                                        "but replica 2 is placed too"),
    (({"hosts": {"h": [{"service": "web", "replica": 3, "name": "w-3"}]}}, "h", {"web": {"ports": ["80-81:80"]}}),
     {}, "service_specs.web.ports[0]: host port range 80-81 has no port left for replica 3"),
    (({"hosts": {"h": [{"service": "web", "replica": 1, "name": "w-1"}]}}, "h", {"web": {"ports": ["81-80:80"]}}),
     {}, "service_specs.web.ports[0]: host port range 81-80 runs backwards"),
    ((None, "h", SPECS), {}, "replicas: without a placement, give replicas: a mapping of service name to count"),
    ((None, "h", SPECS), {"replicas": {"web": -1}}, "replicas.web: must be an integer >= 0, got -1"),
    ((PLACEMENT, "h1", SPECS), {"replicas": {"web": 1}},
     "replicas: only without a placement (the placement already says how many)"),
]


@pytest.mark.parametrize("args, kwargs, message", BAD)
def test_bad_inputs(args, kwargs, message):
    with pytest.raises(StackError) as error:
        build(*args, **kwargs)
    assert str(error.value) == message


def test_filter_error_names_the_filter():
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError) as error:
        replica_containers(PLACEMENT, "h4", SPECS)
    assert error.value.message == ("flotilla.fleet.replica_containers: host: 'h4' is not a host of the placement "
                                   "(its hosts: h1, h2, h3)")


NAMES = st.from_regex(r"[a-z][a-z0-9]{0,7}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(counts=st.dictionaries(NAMES, st.integers(0, 6), min_size=1, max_size=4), project=NAMES)
def test_every_replica_once_named_and_labelled(counts, project):
    specs = {service: {"image": service, "ports": ["127.0.0.1:20000-20009:80"]} for service in counts}
    containers = build(None, "h", specs, replicas=counts, project=project)
    assert len(containers) == sum(counts.values())
    assert len({item["name"] for item in containers}) == len(containers)
    for item in containers:
        service, replica = item["labels"]["flotilla.service"], int(item["labels"]["flotilla.replica"])
        assert item["name"] == f"{project}-{service}-{replica}"
        assert 1 <= replica <= counts[service]
        assert item["ports"] == [f"127.0.0.1:{20000 + replica - 1}:80"]
