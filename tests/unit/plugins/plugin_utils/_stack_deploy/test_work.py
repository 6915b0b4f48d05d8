"""The stack role's plan-to-host logic: checks before any change, host work, levels, secrets, the service map."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.flotilla.fleet.plugins.filter.stack_deploy import (
    FilterModule, stack_deploy_problem, stack_host_work)
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._errors import StackError
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack_deploy import _service_map, _work

HEALTHCHECK = {"test": ["CMD", "true"], "interval": "1s"}


def _service(name, container, **extra):
    return {"name": name, "container": container, "depends_on": {}, "files": [], "build": None, **extra}


def _plan(hosts=None):
    """shop: db (volume, secret, healthcheck), web (2 replicas, port range, depends on db healthy), worker."""
    hosts = hosts or {"h1": [("db", 1), ("web", 1), ("web", 2), ("worker", 1)]}
    secret = {"kind": "secret", "name": "pw", "target": "/run/secrets/pw", "path": "/srv/f/shop/secrets/pw",
              "content": "s3cret"}
    services = {
        "db": _service("db", {"image": "base", "healthcheck": HEALTHCHECK,
                              "networks": [{"name": "shop_default", "aliases": ["db"]}],
                              "mounts": [{"type": "volume", "source": "shop_data", "target": "/data"},
                                         {"type": "bind", "source": secret["path"], "target": secret["target"],
                                          "read_only": True}]},
                       files=[secret]),
        "web": _service("web", {"image": "base", "ports": ["127.0.0.1:18400-18402:8000/tcp"],
                                "networks": [{"name": "shop_default", "aliases": ["web"]}]},
                        depends_on={"db": {"condition": "service_healthy", "required": True}}),
        "worker": _service("worker", {"image": "other", "networks": [{"name": "shop_default", "aliases": ["worker"]}]}),
    }
    placement = {"hosts": {host: [{"service": service, "replica": replica, "name": f"shop-{service}-{replica}"}
                                  for service, replica in replicas] for host, replicas in hosts.items()}}
    return {
        "stack": "shop",
        "services": services,
        "networks": {"default": {"name": "shop_default", "external": False},
                     "outside": {"name": "proxy", "external": True}},
        "volumes": {"data": {"name": "shop_data", "external": False}},
        "container_specs": {name: service["container"] for name, service in services.items()},
        "placement": placement,
        "hosts": {host: {"replicas": entries} for host, entries in placement["hosts"].items()},
    }


def _hashes(plan):
    return {key: value["hash"] for key, value in _work.file_contents(plan, {}).items()}


def test_levels_follow_depends_on():
    assert _work.dependency_levels(_plan()) == [["db", "worker"], ["web"]]


def test_host_work_lists_what_the_host_needs():
    plan = _plan()
    work = _work.host_work(plan, "h1", _hashes(plan), overlay=False)
    assert work["networks"] == [{"key": "default", "name": "shop_default", "driver": "bridge",
                                 "labels": {"flotilla.stack": "shop"}}]
    assert work["volumes"] == [{"key": "data", "name": "shop_data", "services": ["db"],
                                "labels": {"flotilla.stack": "shop"}}]
    assert work["files"] == [{"path": "/srv/f/shop/secrets/pw", "key": "secrets/pw", "mode": "0400"}]
    assert work["images"] == [{"name": "base", "services": ["db", "web"]}, {"name": "other", "services": ["worker"]}]
    assert [[item["name"] for item in level] for level in work["levels"]] == [
        ["shop-db-1", "shop-worker-1"], ["shop-web-1", "shop-web-2"]]
    db, worker = work["levels"][0]
    assert db["state"] == "healthy" and "state" not in worker  # a dependant waits for db's health
    assert db["labels"][_work.FILES_HASH_LABEL] and _work.FILES_HASH_LABEL not in worker["labels"]
    assert work["levels"][1][1]["ports"] == ["127.0.0.1:18401:8000/tcp"]


def test_secret_content_change_changes_only_its_consumers_hash():
    plan = _plan()
    before = _work.host_work(plan, "h1", _hashes(plan), overlay=False)
    changed = copy.deepcopy(plan)
    changed["services"]["db"]["files"][0]["content"] = "rotated"
    after = _work.host_work(changed, "h1", _hashes(changed), overlay=False)
    assert before["levels"][0][0]["labels"] != after["levels"][0][0]["labels"]
    assert before["levels"][0][1] == after["levels"][0][1]
    assert before["levels"][1] == after["levels"][1]


def test_spanning_hosts_gives_attachable_overlays_and_only_each_hosts_resources():
    plan = _plan({"h1": [("db", 1), ("web", 1)], "h2": [("web", 2), ("worker", 1)]})
    assert _work.spans_hosts(plan)
    work = _work.host_work(plan, "h2", _hashes(plan), overlay=True)
    assert work["networks"][0]["driver"] == "overlay" and work["networks"][0]["attachable"] is True
    assert work["volumes"] == [] and work["files"] == []  # no consumer of the volume or the secret on h2


def test_check_refuses_build():
    plan = _plan()
    plan["services"]["web"]["build"] = {"context": "/srv/web"}
    with pytest.raises(StackError) as error:
        _work.deploy_check(plan, {}, {})
    assert str(error.value) == ("stack shop: services.web.build: building images is the image build step's job "
                                "(flotilla.fleet.image_build), which this collection does not have yet; "
                                "give an image: instead")


def test_check_refuses_a_multi_host_stack_outside_a_swarm():
    plan = _plan({"h1": [("db", 1), ("web", 1)], "h2": [("web", 2), ("worker", 1)]})
    facts = {"h1": {"swarm": {"state": "active"}}, "h2": {"swarm": {"state": "inactive"}}}
    assert stack_deploy_problem(plan, facts) == (
        "stack shop: networks: the stack runs on 2 hosts (h1, h2), so its networks are overlays on a swarm, and h2 "
        "is not in one (services db, web, worker): form one with the flotilla.fleet.cluster role first")
    facts["h2"]["swarm"]["state"] = "active"
    assert stack_deploy_problem(plan, facts) == ""


def test_check_refuses_a_host_port_of_two_services(tmp_path):
    plan = _plan()
    plan["container_specs"]["worker"]["ports"] = ["18401:9000/tcp"]
    assert stack_deploy_problem(plan, {}) == (
        "stack shop: services.worker.ports[0]: host port 18401/tcp on h1 is also published by services.web")
    plan["container_specs"]["worker"]["ports"] = ["127.0.0.2:18401:9000/tcp"]  # another address: no clash
    assert stack_deploy_problem(plan, {}) == ""


def test_check_refuses_missing_secret_sources(tmp_path):
    plan = _plan()
    secret = plan["services"]["db"]["files"][0]
    del secret["content"]
    secret["file"] = str(tmp_path / "missing.txt")
    assert stack_deploy_problem(plan, {}) == (
        f"stack shop: secrets.pw.file: {tmp_path}/missing.txt does not exist (used by services.db)")
    (tmp_path / "missing.txt").write_text("from a file")
    assert stack_deploy_problem(plan, {}) == ""
    assert _work.file_contents(plan, {})["secrets/pw"]["content"] == "from a file"
    del secret["file"]
    secret["environment"] = "ST_UNSET_FOR_TEST"
    assert stack_deploy_problem(plan, {}) == (
        "stack shop: secrets.pw.environment: the variable ST_UNSET_FOR_TEST is not set (used by services.db)")
    assert stack_deploy_problem(plan, {}, {"ST_UNSET_FOR_TEST": "x"}) == ""


def test_check_refuses_service_completed_successfully():
    plan = _plan()
    plan["services"]["web"]["depends_on"]["db"]["condition"] = "service_completed_successfully"
    assert stack_deploy_problem(plan, {}) == ("stack shop: services.web.depends_on.db.condition: "
                                              "service_completed_successfully is not supported by the deploy yet")


def test_check_mode_drops_networks_the_run_would_create():
    containers = [{"name": "a", "networks": [{"name": "n1"}, {"name": "n2"}]}, {"name": "b", "networks": [{"name": "n1"}]}]
    assert _work.without_networks(containers, ["n1"]) == [
        {"name": "a", "networks": [{"name": "n2"}]}, {"name": "b", "networks": [{"name": "bridge"}]}]
    assert _work.without_networks(containers, []) is containers


def test_service_map_from_the_containers_results():
    plan = _plan()
    results = {"h1": [
        {"name": "shop-db-1", "action": "unchanged", "id": "d1", "state": "running", "health": "healthy",
         "networks": {"shop_default": {"ip": "172.20.0.2"}}, "published": []},
        {"name": "shop-web-1", "action": "created", "id": "w1", "state": "running", "health": None,
         "networks": {"shop_default": {"ip": "172.20.0.3"}},
         "published": [{"container_port": 8000, "protocol": "tcp", "host_ip": "127.0.0.1", "host_port": 18400}]},
        {"name": "shop-web-3", "action": "removed"},
    ]}
    services = _service_map.service_map(plan, results)["services"]
    assert services["db"]["replicas"] == [{"replica": 1, "host": "h1", "container": "shop-db-1", "id": "d1",
                                           "state": "running", "health": "healthy",
                                           "networks": {"shop_default": "172.20.0.2"}, "published": []}]
    assert [item["container"] for item in services["web"]["replicas"]] == ["shop-web-1"]
    assert services["worker"]["replicas"] == []


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"stack_deploy_problem", "stack_file_contents", "stack_host_work",
                                             "stack_service_map", "stack_status", "stack_without_networks"}
    assert stack_host_work(_plan(), "h1", {"secrets/pw": {"hash": "x"}})["stack"] == "shop"


def test_status_counts_replicas_and_renders_a_table():
    from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack_deploy._status import stack_status
    plan = _plan()
    for entry in plan["hosts"].values():
        entry.update(cpus={"reserved": 0.5, "capacity": 2.0}, memory={"reserved": 1 << 30, "capacity": 4 << 30})
    facts = {"h1": {"containers": [
        {"name": "shop-db-1", "service": "db", "state": "running", "health": "healthy"},
        {"name": "shop-web-1", "service": "web", "state": "running", "health": None},
        {"name": "shop-web-2", "service": "web", "state": "exited", "health": None},
        {"name": "other-web-1", "service": "web", "state": "running", "health": None},
    ]}}
    status = stack_status(plan, facts)
    assert status["services"]["web"] == {"desired": 2, "running": 1, "healthy": 0, "unhealthy": 0,
                                         "with_healthcheck": 0, "where": ["h1"]}
    assert status["services"]["worker"]["running"] == 0
    assert status["text"].split("\n") == [
        "Stack shop: 1 of 3 services at their desired replicas",
        "",
        "SERVICE  DESIRED  RUNNING  HEALTHY  WHERE",
        "db             1        1        1  h1",
        "web            2        1        -  h1",
        "worker         1        0        -  -",
        "",
        "h1    cpus   [#####...............]  25% 0.5 of 2 reserved",
        "      memory [#####...............]  25% 1.0 GiB of 4.0 GiB reserved",
    ]
