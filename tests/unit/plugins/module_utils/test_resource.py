"""What network and volume share (_resource.py): the controls, names, labels and a refused recreate."""

from types import SimpleNamespace

import pytest

from ansible_collections.flotilla.fleet.plugins.module_utils._client import InvalidInput, ResourceConflict
from ansible_collections.flotilla.fleet.plugins.module_utils._network import NetworkRequest, network_argument_spec
from ansible_collections.flotilla.fleet.plugins.module_utils._resource import (
    CONTROL_SPEC, ResourceRequest, check_name, describe_containers, labels, recreate_wanted,
    refuse_unallowed_recreate, them)
from ansible_collections.flotilla.fleet.plugins.module_utils._volume import VolumeRequest, volume_argument_spec

ENGINE = SimpleNamespace(name="unix:///var/run/docker.sock")


def _params(spec, **given):
    params = {name: option.get("default") for name, option in spec.items()}
    params.update(given)
    return params


def test_both_modules_take_the_same_controls():
    for spec in (network_argument_spec(), volume_argument_spec()):
        assert {name: spec[name] for name in CONTROL_SPEC} == CONTROL_SPEC


@pytest.mark.parametrize("name, kind, min_length, message", [
    ("bad name", "network", 1, "name: 'bad name' is not a valid network name (letters, digits, '_', '.', '-'; "
                               "starting with a letter or digit)"),
    ("_x", "network", 1, "name: '_x' is not a valid network name (letters, digits, '_', '.', '-'; starting with a "
                         "letter or digit)"),
    ("a", "volume", 2, "name: 'a' is not a valid volume name (two or more letters, digits, '_', '.', '-'; starting "
                       "with a letter or digit)"),
])
def test_a_bad_name_is_invalid_input(name, kind, min_length, message):
    with pytest.raises(InvalidInput) as error:
        check_name(name, kind, min_length)
    assert str(error.value) == message


def test_good_names_pass():
    check_name("a", "network")
    check_name("db-data.v2_1", "volume", 2)


def test_the_module_requests_check_their_names_and_force():
    with pytest.raises(InvalidInput, match=r"^name: 'a' is not a valid volume name \(two or more "):
        VolumeRequest(_params(volume_argument_spec(), name="a"))
    with pytest.raises(InvalidInput, match=r"^name: 'a b' is not a valid network name \(letters"):
        NetworkRequest(_params(network_argument_spec(), name="a b"))
    for request, spec in ((VolumeRequest, volume_argument_spec()), (NetworkRequest, network_argument_spec())):
        with pytest.raises(InvalidInput) as error:
            request(_params(spec, name="web", force=True))
        assert str(error.value) == "force: applies to state absent only; to allow a recreate, set recreate"
        assert request(_params(spec, name="web", force=True, state="absent")).force is True


def test_labels_are_strings_with_non_empty_keys():
    assert labels({"tier": 1, "note": None}, "labels") == {"tier": "1", "note": ""}
    with pytest.raises(InvalidInput) as error:
        labels({"": "x"}, "labels")
    assert str(error.value) == "labels: a label needs a non-empty key"


@pytest.mark.parametrize("policy, changes, wanted", [
    ("never", [], False), ("options-changed", [], False), ("always", [], True),
    ("never", ["driver"], True), ("options-changed", ["driver"], True)])
def test_when_a_recreate_is_wanted(policy, changes, wanted):
    assert recreate_wanted(SimpleNamespace(recreate=policy), changes) is wanted


def test_a_refused_recreate_lists_each_difference_and_what_a_recreate_would_do():
    request = SimpleNamespace(kind="volume", name="data", recreate="never")
    diff = {"before": {"driver": "local", "labels": {"a": "1"}}, "after": {"driver": "nfs", "labels": {}}}
    with pytest.raises(ResourceConflict) as error:
        refuse_unallowed_recreate(request, ENGINE, ["driver", "labels"], diff, "deletes the data")
    assert str(error.value) == (
        'Volume data on unix:///var/run/docker.sock differs in options Docker cannot change in place: driver '
        '("local" -> "nfs"), labels ({"a": "1"} -> {}). Recreating it deletes the data; set recreate: '
        'options-changed to allow that')
    refuse_unallowed_recreate(request, ENGINE, [], diff, "deletes the data")  # nothing differs
    refuse_unallowed_recreate(SimpleNamespace(kind="volume", name="data", recreate="options-changed"), ENGINE,
                              ["driver"], diff, "deletes the data")


def test_containers_are_named_sorted_with_the_right_pronoun():
    assert (describe_containers(["web"]), them(["web"])) == ("container web", "it")
    assert (describe_containers({"web": 1, "db": 2}), them(["web", "db"])) == ("containers db, web", "them")


def test_the_base_request_reads_the_controls():
    request = ResourceRequest({"name": "x", "state": "absent", "recreate": "always", "force": True})
    assert (request.name, request.state, request.recreate, request.force) == ("x", "absent", "always", True)
