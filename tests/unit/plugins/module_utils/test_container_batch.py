"""The containers module's batch: validation of every item first, prune, isolation of failures, summary."""

import json
import threading
from types import SimpleNamespace

import pytest
from ansible.module_utils.testing import patch_module_args
from docker.errors import APIError

from ansible_collections.flotilla.fleet.plugins.module_utils import _client, _container_batch
from ansible_collections.flotilla.fleet.plugins.module_utils._client import Engine, FleetError, resolve_connection
from ansible_collections.flotilla.fleet.plugins.module_utils._container_batch import (
    BatchConverger, build_requests, combined_diff, converge_containers, summarize)
from ansible_collections.flotilla.fleet.plugins.modules import container as container_module
from ansible_collections.flotilla.fleet.plugins.modules import containers as containers_module

from test_container import IMAGE, FakeEngineApi, assert_no_writes, container


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
    ([item("a", labels={"flotilla.stack": "other"})], None, "shop",
     "containers[0].labels.flotilla.stack: 'other' contradicts project 'shop'"),
    ([item("a", labels={"flotilla.project": "other"})], None, "shop",
     "containers[0].labels.flotilla.project: 'other' contradicts project 'shop'"),
    ([item("a", mounts=[{"target": "/a"}, {"target": "/b", "sauce": 1, "pepper": 2}])], None, None,
     "containers[0].mounts[1]: Unsupported parameters: pepper, sauce. Supported parameters include: read_only, "
     "source, target, tmpfs_mode, tmpfs_size, type."),
    ([item("a", healthcheck={"test": "true", "intervall": "1s"})], None, None,
     "containers[0].healthcheck: Unsupported parameters: intervall. Supported parameters include: disable, "
     "interval, retries, start_period, test, timeout."),
    ([item("a")], {"networks": [{"name": "n", "alias": ["x"]}]}, None,
     "defaults.networks[0]: Unsupported parameters: alias. Supported parameters include: aliases, ipv4_address, "
     "name."),
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
    assert [r.desired["labels"] for r in requests] == [{"flotilla.stack": "shop"},
                                                       {"x": "1", "flotilla.stack": "shop"}]


def test_check_mode_writes_nothing_and_plans_everything():
    api = fake()
    api.store["old"] = container("old", "shop-old", config={"labels": {"flotilla.project": "shop"}})
    results = run(api, [item("shop-a"), item("shop-b")], check_mode=True, project="shop", prune=True)
    assert [(r["name"], r["action"]) for r in results] == [("shop-a", "created"), ("shop-b", "created"),
                                                           ("shop-old", "removed")]
    assert_no_writes(api)
    api.inspect_container.assert_called_once_with("shop-old")  # the list call said the others do not exist


def test_prune_removes_only_unlisted_containers_of_the_project_under_either_label():
    api = fake()
    api.store["old"] = container("old", "shop-old", config={"labels": {"flotilla.project": "shop"}})
    api.store["other"] = container("other", "blog-1", config={"labels": {"flotilla.stack": "blog"}})
    api.store["plain"] = container("plain", "unlabelled")
    results = run(api, [item("shop-a")], project="shop", prune=True)
    assert summarize(results) == {"created": 1, "updated": 0, "recreated": 0, "started": 0, "stopped": 0,
                                  "removed": 1, "unchanged": 0, "failed": 0, "skipped": 0}
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
                                 "Bind for 127.0.0.1:8080 failed: port is already allocated; the new container "
                                 "was removed"}
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
    assert result["diff"]["after"]["memory"] == "64m" and "diff" not in result["container"]
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


# --- the project label --------------------------------------------------------------------------------

def run_module(api, items, check_mode=False, **params):
    """The containers module's body, as main() runs it, over the fake engine."""
    engine = Engine(resolve_connection({}, environ={}), api=api)
    params = dict({"containers": items, "defaults": {}, "project": None, "prune": False, "parallelism": 4,
                   "batch_size": None, "order": None, "monitor": 0}, **params)
    return converge_containers(SimpleNamespace(params=params, engine=engine, check_mode=check_mode))


def test_cpus_beyond_the_engine_are_refused_for_every_item_before_any_change():
    api = FakeEngineApi()
    api.info.return_value = {"NCPU": 2, "LoggingDriver": "json-file"}
    items = [{"name": "shop-a", "image": IMAGE}, {"name": "shop-b", "image": IMAGE, "cpus": 3}]
    with pytest.raises(FleetError) as raised:
        run_module(api, items)
    assert str(raised.value).startswith("containers[1].cpus: ")
    assert_no_writes(api)


def labels_of(api, name):
    return next(c["Config"]["Labels"] for c in api.store.values() if c["Name"] == "/" + name)


def test_project_is_written_as_the_stack_label():
    api = fake()
    run_module(api, [item("shop-a")], project="shop")
    assert labels_of(api, "shop-a")["flotilla.stack"] == "shop" and "flotilla.project" not in labels_of(api, "shop-a")


def test_a_container_of_an_earlier_release_keeps_its_legacy_label_until_it_is_recreated():
    api = fake()
    run(api, [item("shop-a", labels={"flotilla.project": "shop"})])  # as earlier versions labelled it
    first = next(iter(api.store))
    assert run_module(api, [item("shop-a")], project="shop")["containers"][0]["action"] == "unchanged"
    output = run_module(api, [item("shop-a", memory="64m")], project="shop")
    assert output["containers"][0]["action"] == "updated" and list(api.store) == [first]  # in place
    assert labels_of(api, "shop-a")["flotilla.project"] == "shop"
    output = run_module(api, [item("shop-a", memory="64m", command=["sleep", "1"])], project="shop")
    assert output["containers"][0]["action"] == "recreated"
    labels = labels_of(api, "shop-a")
    assert labels["flotilla.stack"] == "shop" and "flotilla.project" not in labels


# --- batches --------------------------------------------------------------------------------------------

def recording(api):
    """Record, in order, every create and start (by container name)."""
    events = []
    create, start = api.create_container.side_effect, api.start.side_effect

    def record_create(image, name, **kwargs):
        events.append(("create", name))
        return create(image, name, **kwargs)

    def record_start(cid):
        events.append(("start", api.store[cid]["Name"][1:]))
        start(cid)
    api.create_container.side_effect, api.start.side_effect = record_create, record_start
    return events


def exits_after_start(api, name, code=3):
    start = api.start.side_effect

    def start_then_exit(cid):
        start(cid)
        if api.store[cid]["Name"] == "/" + name:
            api.store[cid]["State"].update(Status="exited", ExitCode=code)
    api.start.side_effect = start_then_exit


def test_batches_converge_in_order_each_after_the_previous_one_is_done():
    api = fake()
    events = recording(api)
    output = run_module(api, [item(name) for name in "abcde"], batch_size=2)
    assert [result["batch"] for result in output["containers"]] == [1, 1, 2, 2, 3]
    names = [name for verb, name in events if verb == "create"]
    assert sorted(names[:2]) == ["a", "b"] and sorted(names[2:4]) == ["c", "d"] and names[4] == "e"
    # The second batch is created only after the first one started (and was proven).
    assert events.index(("create", "c")) > max(events.index(("start", "a")), events.index(("start", "b")))
    assert output["summary"]["created"] == 5 and "failed" not in output


def test_a_failed_start_stops_the_next_batches():
    api = fake()
    start = api.start.side_effect

    def start_or_fail(cid):
        if api.store[cid]["Name"] == "/b":
            raise APIError("500", explanation="Bind for 127.0.0.1:8080 failed: port is already allocated")
        start(cid)
    api.start.side_effect = start_or_fail
    output = run_module(api, [item(name) for name in "abcd"], batch_size=2)
    assert [(r["name"], r["action"], r["batch"]) for r in output["containers"]] == [
        ("a", "created", 1), ("b", "failed", 1), ("c", "skipped", 2), ("d", "skipped", 2)]
    assert output["containers"][2] == {"name": "c", "action": "skipped", "changed": False, "batch": 2,
                                       "msg": "not attempted: batch 1 failed"}
    # b, which failed to start, was removed; c and d were never created
    assert sorted(c["Name"] for c in api.store.values()) == ["/a"]
    assert output["failed"] and output["summary"]["skipped"] == 2 and output["summary"]["failed"] == 1
    assert output["msg"] == ("1 of 4 containers failed (b): Failed to start container b on "
                             "unix:///var/run/docker.sock: Bind for 127.0.0.1:8080 failed: port is already "
                             "allocated; the new container was removed. Not attempted after the failed batch: c, d")


def test_a_container_that_exits_after_its_start_fails_its_batch_with_its_last_output():
    api = fake()
    exits_after_start(api, "b")
    api.logs.return_value = b"starting\nconfig error: no such file /etc/app.conf\n"
    output = run_module(api, [item(name) for name in "abcd"], batch_size=2)
    b = output["containers"][1]
    assert (b["action"], b["state"], b["changed"], b["failed"]) == ("failed", "exited", True, True)
    assert b["msg"] == ("Container b on unix:///var/run/docker.sock stopped after it was created (state exited, "
                        "exit code 3); last output: starting | config error: no such file /etc/app.conf")
    api.logs.assert_called_once_with(b["id"], stdout=True, stderr=True, tail=3)
    assert [r["action"] for r in output["containers"]] == ["created", "failed", "skipped", "skipped"]


def test_without_batch_size_nothing_is_proven_and_a_failure_stops_nothing():
    api = fake()
    exits_after_start(api, "b")
    output = run_module(api, [item(name) for name in "abcd"])
    assert [r["action"] for r in output["containers"]] == ["created"] * 4 and "batch" not in output["containers"][0]


def test_monitor_watches_a_batch_for_that_long(monkeypatch):
    api = fake()
    clock = [0.0]

    def sleep(seconds):  # the container dies while the batch is watched
        clock[0] += seconds
        if clock[0] >= 2:
            for stored in api.store.values():
                if stored["Name"] == "/b":
                    stored["State"].update(Status="exited", ExitCode=137)
    monkeypatch.setattr(_container_batch.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(_container_batch.time, "sleep", sleep)
    api.logs.return_value = b""
    output = run_module(api, [item(name) for name in "abc"], batch_size=2, monitor=5)
    assert [r["action"] for r in output["containers"]] == ["created", "failed", "skipped"]
    assert output["containers"][1]["msg"] == ("Container b on unix:///var/run/docker.sock stopped after it was "
                                              "created (state exited, exit code 137)")
    assert clock[0] == 5  # a is watched for the full monitor period


def test_a_healthy_batch_must_stay_healthy_while_it_is_watched(monkeypatch):
    api = fake()
    start, clock = api.start.side_effect, [0.0]

    def start_healthy(cid):
        start(cid)
        api.store[cid]["Config"]["Healthcheck"] = {"Test": ["CMD", "true"]}
        api.store[cid]["State"]["Health"] = {"Status": "healthy", "Log": []}
    api.start.side_effect = start_healthy

    def sleep(seconds):  # b's check starts failing one second into the watch
        clock[0] += seconds
        for stored in api.store.values():
            if stored["Name"] == "/b" and clock[0] >= 1:
                stored["State"]["Health"]["Status"] = "unhealthy"
    monkeypatch.setattr(_container_batch.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(_container_batch.time, "sleep", sleep)
    healthy = {"state": "healthy", "healthcheck": {"test": ["CMD", "true"]}}
    output = run_module(api, [item("a", **healthy), item("b", **healthy), item("c", **healthy)], batch_size=2,
                        monitor=3)
    assert [(r["action"], r["health"]) for r in output["containers"][:2]] == [
        ("created", "healthy"), ("failed", "unhealthy")]
    assert output["containers"][1]["msg"] == ("Container b on unix:///var/run/docker.sock became unhealthy after it "
                                              "was created (state healthy was asked)")
    assert output["containers"][2]["action"] == "skipped"


@pytest.mark.parametrize("order, first, last", [("start-first", ("create", "shop-a"), ("remove", "shop-old")),
                                                ("stop-first", ("remove", "shop-old"), ("create", "shop-b"))])
def test_order_puts_the_removals_of_prune_last_or_first(order, first, last):
    api = fake()
    api.store["old"] = container("old", "shop-old", config={"labels": {"flotilla.stack": "shop"}})
    events = recording(api)
    remove = api.remove_container.side_effect

    def record_remove(cid, force, v):
        events.append(("remove", api.store[cid]["Name"][1:]))
        remove(cid, force, v)
    api.remove_container.side_effect = record_remove
    output = run_module(api, [item("shop-a"), item("shop-b")], project="shop", prune=True, batch_size=1,
                        order=order)
    assert [verb for verb in events if verb[0] != "start"][0] == first
    assert [verb for verb in events if verb[0] != "start"][-1] == last
    assert [r["name"] for r in output["containers"]] == ["shop-a", "shop-b", "shop-old"]  # the listed order


def test_start_first_removes_nothing_after_a_failed_batch():
    api = fake()
    api.store["old"] = container("old", "shop-old", config={"labels": {"flotilla.stack": "shop"}})
    exits_after_start(api, "shop-a")
    api.logs.return_value = b""
    output = run_module(api, [item("shop-a")], project="shop", prune=True, batch_size=1)
    assert [r["action"] for r in output["containers"]] == ["failed", "skipped"]
    assert any(c["Name"] == "/shop-old" for c in api.store.values())


def test_check_mode_plans_every_batch_and_writes_nothing():
    api = fake()
    output = run_module(api, [item(name) for name in "abc"], check_mode=True, batch_size=2)
    assert [(r["action"], r["batch"]) for r in output["containers"]] == [("created", 1), ("created", 1),
                                                                         ("created", 2)]
    assert_no_writes(api)
    api.inspect_container.assert_not_called()


@pytest.mark.parametrize("params, message", [
    ({"batch_size": 0}, "batch_size: must be at least 1, got 0"),
    ({"order": "stop-first"}, "order: needs batch_size (without it every container converges at once)"),
    ({"monitor": 5}, "monitor: needs batch_size (without it every container converges at once)"),
    ({"batch_size": 1, "monitor": -1}, "monitor: must not be negative, got -1"),
])
def test_bad_batch_options(params, message):
    api = fake()
    with pytest.raises(FleetError) as error:
        run_module(api, [item("a")], **params)
    assert str(error.value) == message
    api.containers.assert_not_called()


def test_a_batch_pulls_two_missing_images_at_once_and_each_only_once():
    images = {}
    api = FakeEngineApi(images=images)
    api.containers.side_effect = lambda all: listing(api)
    barrier = threading.Barrier(2, timeout=5)  # each pull waits for the other: they must overlap

    def pull(name, auth_config=None, stream=False, decode=False):
        barrier.wait()
        images[name] = dict(IMAGE, Id="sha256:" + ("1" if name == "app:1" else "2") * 64)
        return iter([{"status": "Downloaded newer image for %s" % name}])
    api.pull.side_effect = pull
    output = run_module(api, [item("a1", image="app:1"), item("a2", image="app:1"), item("d1", image="db:1"),
                              item("d2", image="db:1")])
    assert [r["action"] for r in output["containers"]] == ["created"] * 4, output.get("msg")
    assert sorted(call.args[0] for call in api.pull.call_args_list) == ["app:1", "db:1"]
