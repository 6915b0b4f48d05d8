"""The plan: stack model + hosts -> placement request -> stack_plan (data and the printed text)."""

from __future__ import annotations

import pytest
from stack_helpers import load

from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._api import place
from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._constraints import parse_constraint
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._errors import StackError
from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._errors import PlacementError
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._plan import (
    HostView, build_plan, placement_error, placement_request)
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._render import size_text, usage_bar

GIB = 1024 ** 3


def matches(text, labels):
    return parse_constraint(text, "constraint").matches(labels)


def hosts(count=3, cpus=2, memory=4 * GIB, **extra):
    return [HostView(name=f"h{index}", cpus=cpus * 1000, memory=memory,
                     labels={"zone": "eu" if index % 2 else "us", **extra.get("labels", {})},
                     volumes=tuple(extra.get("volumes", {}).get(f"h{index}", ())),
                     networks=extra.get("networks"))
            for index in range(1, count + 1)]


def plan_of(stack, views, groups=None):
    request = placement_request(stack, views, groups or {}, matches)
    host_dicts = [{"name": view.name, "cpus": view.cpus / 1000, "memory": view.memory, "labels": view.labels,
                   "volumes": list(view.volumes), "availability": view.availability} for view in views]
    return build_plan(stack, place(request, host_dicts, {"project": stack["name"]}), views)


SHOP = """
name: shop
services:
  web:
    image: web
    ports: ["8080:8000"]
    deploy:
      replicas: 3
      resources: {reservations: {cpus: "0.5", memory: 512M}}
      placement: {preferences: [{spread: node.labels.zone}]}
  db:
    image: db
    deploy:
      resources: {reservations: {cpus: "1", memory: 2G}}
      placement: {constraints: [node.labels.zone == eu]}
    expose: ["5432"]
"""


def test_plan_per_host_with_bars_and_text(tmp_path):
    plan = plan_of(load(tmp_path, SHOP), hosts())
    # db (the larger request, placed first) takes h1 (zone eu); web spreads over the zones and hosts.
    assert {name: [item["name"] for item in host["replicas"]] for name, host in plan["hosts"].items()} == {
        "h1": ["shop-db-1", "shop-web-3"], "h2": ["shop-web-1"], "h3": ["shop-web-2"]}
    assert plan["hosts"]["h1"]["cpus"] == {"reserved": 1.5, "capacity": 2.0}
    assert plan["hosts"]["h1"]["memory"] == {"reserved": int(2.5 * GIB), "capacity": 4 * GIB}
    assert plan["unplaced"] == []
    assert plan["container_specs"]["web"]["ports"] == ["8080:8000/tcp"]
    assert plan["text"] == "\n".join([
        "Stack shop: 4 of 4 replicas placed on 3 of 3 hosts",
        "",
        "h1    cpus   [###############.....]  75% 1.5 of 2",
        "      memory [############........]  62% 2.5 GiB of 4.0 GiB",
        "  shop-db-1  (1 cpus, 2.0 GiB)",
        "  shop-web-3  (0.5 cpus, 512.0 MiB, ports 8080/tcp)",
        "",
        "h2    cpus   [#####...............]  25% 0.5 of 2",
        "      memory [##..................]  12% 512.0 MiB of 4.0 GiB",
        "  shop-web-1  (0.5 cpus, 512.0 MiB, ports 8080/tcp)",
        "",
        "h3    cpus   [#####...............]  25% 0.5 of 2",
        "      memory [##..................]  12% 512.0 MiB of 4.0 GiB",
        "  shop-web-2  (0.5 cpus, 512.0 MiB, ports 8080/tcp)",
        "",
        "Warnings:",
        "  services.db.expose: ignored (documentation only: containers on a shared network reach every port anyway)",
    ])


def test_fixed_host_port_replicas_need_distinct_hosts_and_the_plan_says_which_port(tmp_path):
    plan = plan_of(load(tmp_path, SHOP.replace("replicas: 3", "replicas: 4")), hosts())
    assert [(item["service"], item["name"], item["message"]) for item in plan["unplaced"]] == [
        ("web", "shop-web-4", "3 hosts: host port 8080/tcp in use")]
    assert "  shop-web-4 (service web): 3 hosts: host port 8080/tcp in use" in plan["text"].splitlines()


def test_reservations_above_every_host_name_the_service_and_the_largest_free_room(tmp_path):
    stack = load(tmp_path, SHOP.replace("memory: 2G", "memory: 6G"))
    plan = plan_of(stack, hosts())
    assert [(item["service"], item["message"]) for item in plan["unplaced"]] == [
        ("db", "2 hosts: insufficient memory; 1 host: constraint zone == eu; "
               "largest free room: 1.5 cpus (h1), 3.5 GiB memory (h1)")]


def test_global_mode_runs_one_replica_per_eligible_host(tmp_path):
    stack = load(tmp_path, """
        name: agents
        services:
          agent:
            image: agent
            deploy:
              mode: global
              placement: {constraints: [node.labels.zone == eu]}
    """)
    views = hosts(4)
    views[2].availability = "drain"  # h3: eu, but drained
    plan = plan_of(stack, views)
    assert {name: [item["name"] for item in host["replicas"]] for name, host in plan["hosts"].items()} == {
        "h1": ["agents-agent-1"], "h2": [], "h3": [], "h4": []}


def test_x_flotilla_hosts_restricts_a_service_to_a_group(tmp_path):
    stack = load(tmp_path, """
        name: pinned
        services:
          web: {image: web, deploy: {replicas: 2}, x-flotilla: {hosts: [edge]}}
          db: {image: db, x-flotilla: {hosts: h3}}
    """)
    plan = plan_of(stack, hosts(), {"edge": ["h1", "h2", "elsewhere"]})
    assert {name: [item["name"] for item in host["replicas"]] for name, host in plan["hosts"].items()} == {
        "h1": ["pinned-web-1"], "h2": ["pinned-web-2"], "h3": ["pinned-db-1"]}
    with pytest.raises(StackError) as error:
        plan_of(stack, hosts(), {})
    assert str(error.value) == "services.web.x-flotilla.hosts[0]: 'edge' is neither a host of stack_hosts nor a group"


EXTERNAL = """
name: ext
services:
  app:
    image: app
    volumes: [data:/data]
    networks: [corp]
volumes:
  data: {external: true, name: shared-data}
networks:
  corp: {external: true, name: corp-net}
"""


def test_external_volume_and_network_must_exist(tmp_path):
    stack = load(tmp_path, EXTERNAL)
    with pytest.raises(StackError) as error:
        plan_of(stack, hosts())
    assert str(error.value) == ("volumes.data: external volume 'shared-data' does not exist on any host "
                                "(h1, h2, h3): create it first")
    with pytest.raises(StackError) as error:
        plan_of(stack, hosts(volumes={"h2": ["shared-data"]}, networks=("bridge",)))
    assert str(error.value) == "networks.corp: external network 'corp-net' does not exist on h1, h2, h3: create it first"
    # Where the volume is, the replica goes (a local volume pins it).
    plan = plan_of(stack, hosts(volumes={"h2": ["shared-data"]}, networks=("corp-net",)))
    assert [item["name"] for item in plan["hosts"]["h2"]["replicas"]] == ["ext-app-1"]
    # Facts that do not list networks: not checked (unknown, not missing).
    assert plan_of(stack, hosts(volumes={"h1": ["shared-data"]}))["unplaced"] == []


def test_container_names_come_from_the_placement_scoped_by_stack(tmp_path):
    plan = plan_of(load(tmp_path, SHOP), hosts())
    names = sorted(item["name"] for entries in plan["placement"]["hosts"].values() for item in entries)
    assert names == sorted(name for service in plan["services"].values() for name in service["containers"])


@pytest.mark.parametrize("used, capacity, text", [
    (0, 2, "[....................]   0%"),
    (1, 2, "[##########..........]  50%"),
    (3, 2, "[####################] 150%"),
    (0, 0, "[....................]   0%"),
])
def test_usage_bar(used, capacity, text):
    assert usage_bar(used, capacity) == text


def test_size_text():
    assert [size_text(value) for value in (512, 1536, 3 * 1024 ** 2, 5 * GIB)] == [
        "512 B", "1.5 KiB", "3.0 MiB", "5.0 GiB"]


@pytest.mark.parametrize("x_flotilla, message", [
    ("{priority: high}", "services.web.x-flotilla.priority: must be an integer, got 'high'"),
    ("{constraints: ['zone <> a']}", "services.web.x-flotilla.constraints[0]: unknown operator '<>' in 'zone <> a' "
                                     "(use ==, !=, in, not in, exists, not exists, regex, <, <=, >, >=)"),
    ("{affinity: [cahce]}", "services.web.x-flotilla.affinity[0].service: unknown service 'cahce' "
                            "(did you mean 'cache'?)"),
])
def test_scheduler_errors_name_the_service_and_its_x_flotilla_key(tmp_path, x_flotilla, message):
    stack = load(tmp_path, f"""
        name: xf
        services:
          cache: {{image: cache}}
          web: {{image: web, x-flotilla: {x_flotilla}}}
    """)
    with pytest.raises(PlacementError) as error:
        plan_of(stack, hosts())
    assert placement_error("flotilla.fleet.placement: " + str(error.value), stack) == message


def test_a_re_plan_of_a_deployed_stack_moves_nothing(tmp_path):
    stack = load(tmp_path, SHOP)
    views = hosts()
    running = {"h3": ["web-1"], "h1": ["web-2"], "h2": ["web-3"]}  # not where a fresh plan would put them
    request = placement_request(stack, views, {}, matches)
    host_dicts = [{"name": view.name, "cpus": view.cpus / 1000, "memory": view.memory, "labels": view.labels,
                   "containers": [{"name": f"shop-{item}", "service": item.split("-")[0], "project": "shop",
                                   "replica": int(item.split("-")[1]), "state": "running"}
                                  for item in running[view.name]]}
                  for view in views]
    plan = build_plan(stack, place(request, host_dicts, {"project": "shop"}), views)
    assert {name: [item["name"] for item in host["replicas"] if item["service"] == "web"]
            for name, host in plan["hosts"].items()} == {
        "h1": ["shop-web-2"], "h2": ["shop-web-3"], "h3": ["shop-web-1"]}
    assert [move["action"] for move in plan["moves"]] == ["start"]  # only db, which did not run yet
