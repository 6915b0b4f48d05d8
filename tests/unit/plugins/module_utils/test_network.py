"""The network converger against a mock engine: what it writes, what it never writes, and in which order."""

from unittest import mock

import pytest
from docker.errors import APIError, NotFound
from requests.exceptions import ConnectionError as RequestsConnectionError

from ansible_collections.flotilla.fleet.plugins.module_utils._client import (
    Engine, EngineUnreachable, FleetError, ResourceConflict, ResourceNotFound, resolve_connection)
from ansible_collections.flotilla.fleet.plugins.module_utils._network import (
    NetworkConverger, NetworkRequest, network_argument_spec)

ENGINE = "unix:///var/run/docker.sock"
WRITES = ("create_network", "remove_network", "connect_container_to_network", "disconnect_container_from_network")


def network(**extra):
    base = {"Name": "backend", "Id": "net-old", "Driver": "bridge", "Scope": "local", "EnableIPv6": False,
            "Internal": False, "Attachable": False, "Options": {}, "Labels": {"v": "1"},
            "IPAM": {"Driver": "default", "Options": {}, "Config": [{"Subnet": "10.20.0.0/24"}]}}
    base.update(extra)
    return base


def container(name, cid, aliases=None, ipv4=None, running=True):
    endpoint = {"Aliases": aliases, "IPAMConfig": {"IPv4Address": ipv4} if ipv4 else None}
    return {"Name": "/" + name, "Id": cid, "State": {"Running": running},
            "NetworkSettings": {"Networks": {"backend": endpoint}}}


class FakeApi(mock.Mock):
    pass


def make_engine(networks, containers, swarm=None):
    api = FakeApi()
    by_name = dict(networks)

    def inspect_network(name):
        if name in by_name:
            return by_name[name]
        for item in by_name.values():
            if item["Id"] == name:
                return item
        if name.startswith("net-") and name != "net-old":  # created by the converger
            return network(Id=name, Labels=api.create_network.call_args.kwargs["labels"])
        raise NotFound("no such network")

    def inspect_container(name):
        for item in containers:
            if name in (item["Id"], item["Name"].lstrip("/")):
                return item
        raise NotFound("no such container")

    def remove_network(network_id):
        for name, item in list(by_name.items()):
            if item["Id"] == network_id:
                del by_name[name]

    api.inspect_network.side_effect = inspect_network
    api.remove_network.side_effect = remove_network
    api.inspect_container.side_effect = inspect_container
    api.containers.return_value = [{"Id": item["Id"], "Names": [item["Name"]]} for item in containers
                                   if "backend" in item["NetworkSettings"]["Networks"]]
    api.create_network.return_value = {"Id": "net-new"}
    api.info.return_value = {"Swarm": swarm or {"LocalNodeState": "inactive"}}
    return Engine(resolve_connection({}, {}), api=api), api


def request(**given):
    params = {name: spec.get("default") for name, spec in network_argument_spec().items()}
    params["name"] = "backend"
    params.update(given)
    return NetworkRequest(params)


def assert_no_writes(api):
    for name in WRITES:
        getattr(api, name).assert_not_called()


ATTACHED = [container("db", "c" * 64, aliases=["db-alias", "c" * 12], ipv4="10.20.0.9"),
            container("cache", "d" * 64, aliases=["cache"], running=False)]


def test_unchanged_network_writes_nothing():
    engine, api = make_engine({"backend": network()}, ATTACHED)
    result = NetworkConverger(engine, False).converge(request(labels={"v": "1"}))
    assert result["action"] == "unchanged" and not result["changed"]
    assert result["containers"] == ["cache", "db"]
    assert_no_writes(api)


def test_difference_without_recreate_is_refused_naming_options_and_containers():
    engine, api = make_engine({"backend": network()}, ATTACHED)
    with pytest.raises(ResourceConflict) as error:
        NetworkConverger(engine, False).converge(request(labels={"v": "2"}, internal=True))
    assert str(error.value) == (
        'Network backend on %s differs in options Docker cannot change in place: internal (false -> true), '
        'labels ({"v": "1"} -> {"v": "2"}). Recreating it briefly disconnects containers cache, db and reconnects '
        'each with its aliases and static addresses; set recreate: options-changed to allow that' % ENGINE)
    assert_no_writes(api)


def test_recreate_in_check_mode_writes_nothing():
    engine, api = make_engine({"backend": network()}, ATTACHED)
    result = NetworkConverger(engine, True).converge(request(labels={"v": "2"}, recreate="options-changed"))
    assert result["action"] == "recreated"
    assert result["diff"] == {"before": {"labels": {"v": "1"}}, "after": {"labels": {"v": "2"}}}
    assert_no_writes(api)


def test_recreate_reconnects_everyone_with_aliases_and_addresses_and_keeps_the_subnet():
    engine, api = make_engine({"backend": network()}, ATTACHED)
    result = NetworkConverger(engine, False).converge(request(labels={"v": "2"}, recreate="options-changed"))
    assert result["action"] == "recreated"
    assert api.disconnect_container_from_network.call_args_list == [
        mock.call("c" * 64, "net-old"), mock.call("d" * 64, "net-old")]
    api.remove_network.assert_called_once_with("net-old")
    kwargs = api.create_network.call_args.kwargs
    assert kwargs["labels"] == {"v": "2"}
    assert kwargs["ipam"]["Config"] == [{"Subnet": "10.20.0.0/24"}]  # left out, so carried over
    assert sorted(api.connect_container_to_network.call_args_list, key=str) == sorted([
        mock.call("c" * 64, "net-new", aliases=["db-alias"], ipv4_address="10.20.0.9", ipv6_address=None),
        mock.call("d" * 64, "net-new", aliases=["cache"], ipv4_address=None, ipv6_address=None)], key=str)


def test_recreate_that_would_strand_a_static_address_is_refused_first():
    engine, api = make_engine({"backend": network()}, ATTACHED)
    with pytest.raises(FleetError) as error:
        NetworkConverger(engine, False).converge(request(ipam_config=[{"subnet": "10.30.0.0/24"}],
                                                         recreate="options-changed"))
    assert str(error.value) == (
        "connected: container db has the static address 10.20.0.9 on network backend, outside the subnets the "
        "network would be recreated with (10.30.0.0/24); list it under connected with a new ipv4_address")
    assert_no_writes(api)


def test_failed_create_restores_the_old_network_and_its_containers():
    engine, api = make_engine({"backend": network()}, ATTACHED)
    api.create_network.side_effect = [APIError("pool overlaps"), {"Id": "net-restored"}]
    with pytest.raises(FleetError) as error:
        NetworkConverger(engine, False).converge(request(internal=True, recreate="options-changed"))
    assert str(error.value) == ("Failed to create network backend on %s: pool overlaps; the old network was "
                                "restored and its containers reconnected" % ENGINE)
    restored = api.create_network.call_args_list[1].kwargs
    assert restored["internal"] is False and restored["labels"] == {"v": "1"}
    assert {call.args[1] for call in api.connect_container_to_network.call_args_list} == {"net-restored"}
    assert api.connect_container_to_network.call_count == 2
    assert error.value.kind == "error"  # the kind of the create's failure (an APIError without a status)


def test_a_failed_create_keeps_its_kind_and_failed_connects_report_theirs():
    engine, api = make_engine({"backend": network()}, ATTACHED)
    api.create_network.side_effect = [RequestsConnectionError("refused"), {"Id": "net-restored"}]
    with pytest.raises(EngineUnreachable):
        NetworkConverger(engine, False).converge(request(internal=True, recreate="options-changed"))
    engine, api = make_engine({"backend": network()}, ATTACHED)
    api.connect_container_to_network.side_effect = NotFound("gone", explanation="No such container: db")
    with pytest.raises(ResourceNotFound) as error:
        NetworkConverger(engine, False).converge(request(internal=True, recreate="options-changed"))
    assert str(error.value).count("No such container: db") == 2  # both attached containers, reported together


def test_connected_never_detaches_unlisted_containers():
    new = container("web", "e" * 64)
    new["NetworkSettings"]["Networks"] = {}
    engine, api = make_engine({"backend": network()}, ATTACHED + [new])
    result = NetworkConverger(engine, False).converge(request(connected=[{"name": "web", "aliases": ["w"],
                                                                         "ipv4_address": None}]))
    assert result["action"] == "updated"
    assert result["diff"] == {"before": {"connected": {}},
                              "after": {"connected": {"web": {"aliases": ["w"], "ipv4_address": None}}}}
    api.disconnect_container_from_network.assert_not_called()
    api.connect_container_to_network.assert_called_once_with("e" * 64, "net-old", aliases=["w"],
                                                             ipv4_address=None, ipv6_address=None)


def test_prune_detaches_only_unlisted_containers():
    engine, api = make_engine({"backend": network()}, ATTACHED)
    result = NetworkConverger(engine, False).converge(request(connected=[{"name": "db", "aliases": None,
                                                                         "ipv4_address": None}],
                                                              prune_connected=True))
    assert result["diff"] == {"before": {"connected": {"cache": {"aliases": ["cache"], "ipv4_address": None}}},
                              "after": {"connected": {}}}
    api.disconnect_container_from_network.assert_called_once_with("d" * 64, "net-old")
    api.connect_container_to_network.assert_not_called()


def test_absent_in_use_is_refused_unless_forced():
    engine, api = make_engine({"backend": network()}, ATTACHED)
    with pytest.raises(ResourceConflict) as error:
        NetworkConverger(engine, False).converge(request(state="absent"))
    assert str(error.value) == (
        "Network backend on %s is in use by containers cache, db (running or stopped); remove or disconnect them "
        "first, or set force: true to disconnect them and remove the network" % ENGINE)
    assert_no_writes(api)
    result = NetworkConverger(engine, False).converge(request(state="absent", force=True))
    assert result["action"] == "removed"
    assert api.disconnect_container_from_network.call_count == 2
    api.remove_network.assert_called_once_with("net-old")


def test_recreate_waits_until_a_swarm_has_removed_the_old_network():
    engine, api = make_engine({"backend": network()}, [])
    old = network()
    # The swarm still reports the old network twice after the remove call returned.
    api.inspect_network.side_effect = [old, old, old, NotFound("gone"), network(Id="net-new"),
                                       network(Id="net-new", Labels={"v": "2"})]
    result = NetworkConverger(engine, False).converge(request(labels={"v": "2"}, recreate="options-changed"))
    assert result["action"] == "recreated" and result["id"] == "net-new"
    api.remove_network.assert_called_once_with("net-old")


def test_missing_network_absent_is_unchanged_and_name_prefix_matches_are_ignored():
    engine, api = make_engine({"other": network(Name="other", Id="backend123")}, [])
    api.inspect_network.side_effect = lambda name: network(Name="other", Id="backend123")
    assert NetworkConverger(engine, False).converge(request(state="absent"))["action"] == "unchanged"
    assert_no_writes(api)


@pytest.mark.parametrize("swarm, message", [
    ({"LocalNodeState": "inactive"},
     "driver: driver overlay networks need swarm mode, but the engine at %s is not in a swarm (swarm state: "
     "inactive); create or join one first with flotilla.fleet.swarm" % ENGINE),
    ({"LocalNodeState": "active", "ControlAvailable": False},
     "driver: driver overlay networks are created on a swarm manager, but the engine at %s is a worker; run this "
     "task against a manager" % ENGINE),
])
def test_overlay_needs_a_swarm_manager(swarm, message):
    engine, api = make_engine({}, [], swarm=swarm)
    with pytest.raises(FleetError) as error:
        NetworkConverger(engine, True).converge(request(driver="overlay"))
    assert str(error.value) == message
    assert_no_writes(api)


def test_overlay_on_a_manager_is_created_encrypted():
    engine, api = make_engine({}, [], swarm={"LocalNodeState": "active", "ControlAvailable": True})
    result = NetworkConverger(engine, False).converge(request(driver="overlay", encrypted=True, attachable=True))
    assert result["action"] == "created"
    kwargs = api.create_network.call_args.kwargs
    assert kwargs["driver"] == "overlay" and kwargs["options"] == {"encrypted": ""} and kwargs["attachable"]


@pytest.mark.parametrize("given, message", [
    ({"name": "bad name"}, "name: 'bad name' is not a valid network name (letters, digits, '_', '.', '-'; "
                           "starting with a letter or digit)"),
    ({"name": "host"}, "name: host is a network the engine manages itself; it cannot be created, changed or removed"),
    ({"prune_connected": True}, "prune_connected: needs connected, the containers to keep (connected: [] detaches "
                                "every container)"),
    ({"force": True}, "force: applies to state absent only; to allow a recreate, set recreate"),
])
def test_bad_requests(given, message):
    with pytest.raises(FleetError) as error:
        request(**given)
    assert str(error.value) == message
