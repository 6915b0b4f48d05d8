"""The containers module's batch: validation of every item first, prune, isolation of failures, summary."""

import json
import threading

import pytest
from ansible.module_utils.testing import patch_module_args
from docker.errors import APIError

from ansible_collections.flotilla.fleet.plugins.module_utils import _client
from ansible_collections.flotilla.fleet.plugins.module_utils._client import Engine, FleetError, resolve_connection
from ansible_collections.flotilla.fleet.plugins.module_utils._container_batch import (
    BatchConverger, build_requests, combined_diff, summarize)
from ansible_collections.flotilla.fleet.plugins.modules import container as container_module
from ansible_collections.flotilla.fleet.plugins.modules import containers as containers_module

from test_container import FakeEngineApi, assert_no_writes, container


def item(name, **options):
    return dict({"name": name, "image": "base:latest", "stop_timeout": 1}, **options)


def run(api, items, check_mode=False, project=None, prune=False, defaults=None, parallelism=4):
    engine = Engine(resolve_connection({}, environ={}), api=api)
    requests = build_requests(items, defaults, project)
    return BatchConverger(engine, check_mode, parallelism).run(requests, project, prune)


def listing(api):
    """What GET /containers/json says about the fake engine's containers."""
    return [{"Names": [c["Name"]], "Labels": c["Config"]["Labels"]} for c in api.store.values()]


def fake():
    api = FakeEngineApi()
    api.containers.side_effect = lambda all: listing(api)
    return api


@pytest.mark.parametrize("items, defaults, project, message", [
    ([item("a"), item("a")], None, None, "containers[1].name: a is listed twice (also containers[0])"),
    ([item("a"), item("b", memory="1x")], None, None,
     "containers[1].memory: cannot parse '1x' as a size (use bytes or a number with k, m, g or t, e.g. 512m)"),
    ([item("a", docker_host="tcp://x:2376")], None, None,
     "containers[0].docker_host: not a container option (connection options are set once for the task)"),
    ([item("a")], {"imgae": "x"}, None,
     "defaults.imgae: not a container option (see flotilla.fleet.container for the options)"),
    ([{"image": "x"}], None, None, "containers[0]: missing required arguments: name"),
    ([item("a", state="runnin")], None, None,
     "containers[0]: value of state must be one of: present, started, stopped, healthy, absent, got: runnin"),
    (["a"], None, None, "containers[0]: expected a dictionary of container options, got 'a'"),
    ([item("a", labels={"flotilla.project": "other"})], None, "shop",
     "containers[0].labels.flotilla.project: 'other' contradicts project 'shop'"),
    ([{"name": "a"}], None, None, "containers[0].image: required when state is started"),
])
def test_bad_items_are_reported_with_their_index(items, defaults, project, message):
    with pytest.raises(FleetError) as error:
        build_requests(items, defaults, project)
    assert str(error.value) == message


def test_defaults_apply_unless_the_item_sets_them_and_project_labels_every_item():
    requests = build_requests([{"name": "a"}, {"name": "b", "memory": "128m", "labels": {"x": "1"}}],
                              {"image": "base:latest", "memory": "64m"}, "shop")
    assert [r.desired["memory"] for r in requests] == [64 * 1024 ** 2, 128 * 1024 ** 2]
    assert [r.desired["labels"] for r in requests] == [{"flotilla.project": "shop"},
                                                       {"x": "1", "flotilla.project": "shop"}]


def test_check_mode_writes_nothing_and_plans_everything():
    api = fake()
    api.store["old"] = container("old", "shop-old", config={"labels": {"flotilla.project": "shop"}})
    results = run(api, [item("shop-a"), item("shop-b")], check_mode=True, project="shop", prune=True)
    assert [(r["name"], r["action"]) for r in results] == [("shop-a", "created"), ("shop-b", "created"),
                                                           ("shop-old", "removed")]
    assert_no_writes(api)
    api.inspect_container.assert_called_once_with("shop-old")  # the list call said the others do not exist


def test_prune_removes_only_unlisted_containers_of_the_project():
    api = fake()
    api.store["old"] = container("old", "shop-old", config={"labels": {"flotilla.project": "shop"}})
    api.store["other"] = container("other", "blog-1", config={"labels": {"flotilla.project": "blog"}})
    api.store["plain"] = container("plain", "unlabelled")
    results = run(api, [item("shop-a")], project="shop", prune=True)
    assert summarize(results) == {"created": 1, "updated": 0, "recreated": 0, "started": 0, "stopped": 0,
                                  "removed": 1, "unchanged": 0, "failed": 0}
    assert sorted(c["Name"] for c in api.store.values()) == ["/blog-1", "/shop-a", "/unlabelled"]
    assert run(api, [item("shop-a")], project="shop", prune=True)[0]["action"] == "unchanged"


def test_one_failure_does_not_hide_the_others():
    api = fake()
    start = api.start.side_effect

    def start_or_fail(cid):
        if api.store[cid]["Name"] == "/b":
            raise APIError("500", explanation="Bind for 127.0.0.1:8080 failed: port is already allocated")
        start(cid)
    api.start.side_effect = start_or_fail
    results = run(api, [item("a"), item("b"), item("c")])
    assert [r["action"] for r in results] == ["created", "failed", "created"]
    assert results[1] == {"name": "b", "action": "failed", "changed": False, "failed": True,
                          "msg": "Failed to start container b on unix:///var/run/docker.sock: "
                                 "Bind for 127.0.0.1:8080 failed: port is already allocated"}
    assert summarize(results)["failed"] == 1 and summarize(results)["created"] == 2


def test_a_bug_for_one_container_is_reported_as_its_failure():
    api = fake()

    def inspect_image(ref):
        if ref == "bad:1":
            raise KeyError("Config")
        return {"Id": "sha256:" + "a" * 64, "Config": {}}
    api.inspect_image.side_effect = inspect_image
    results = run(api, [item("a"), item("b", image="bad:1")])
    assert results[0]["action"] == "created"
    assert results[1]["msg"] == "Unexpected error converging container b: KeyError: 'Config'"


def test_containers_are_converged_in_parallel():
    api = fake()
    barrier = threading.Barrier(3, timeout=5)  # blocks unless three creates run at the same time
    create = api.create_container.side_effect

    def create_together(*args, **kwargs):
        barrier.wait()
        return create(*args, **kwargs)
    api.create_container.side_effect = create_together
    results = run(api, [item("a"), item("b"), item("c")], parallelism=3)
    assert [r["action"] for r in results] == ["created"] * 3


def test_combined_diff_is_keyed_by_name():
    results = [{"name": "a", "action": "updated", "diff": {"before": {"memory": 1}, "after": {"memory": 2}}},
               {"name": "b", "action": "unchanged"}]
    assert combined_diff(results) == {"before": {"a": {"memory": 1}}, "after": {"a": {"memory": 2}}}


def _main(module, args, api, monkeypatch, capsys):
    monkeypatch.setattr(_client, "connect", lambda settings: api)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def test_container_module_main(monkeypatch, capsys):
    api = fake()
    args = {"name": "web", "image": "base:latest", "memory": "64m", "_ansible_check_mode": True, "_ansible_diff": True}
    result = _main(container_module, args, api, monkeypatch, capsys)
    assert result["changed"] and result["container"]["action"] == "created"
    assert result["diff"]["after"]["memory"] == 64 * 1024 ** 2 and "diff" not in result["container"]
    assert_no_writes(api)
    result = _main(container_module, dict(args, _ansible_check_mode=False), api, monkeypatch, capsys)
    assert result["container"]["state"] == "running"


def test_containers_module_main(monkeypatch, capsys):
    api = fake()
    args = {"containers": [{"name": "a"}, {"name": "b"}], "defaults": {"image": "base:latest"}, "project": "p",
            "prune": True}
    result = _main(containers_module, args, api, monkeypatch, capsys)
    assert result["summary"]["created"] == 2 and [c["name"] for c in result["containers"]] == ["a", "b"]
    assert all("diff" not in c for c in result["containers"]) and set(result["diff"]["after"]) == {"a", "b"}
    result = _main(containers_module, {"containers": [], "prune": True}, api, monkeypatch, capsys)
    assert result["failed"] and result["msg"] == "prune: needs project, so that only that project's containers " \
                                                 "can be removed"
