"""Resource limits (_container_limits.py) through the container table: create and update bodies, engine checks."""

import pytest

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._container_options import (
    CONTAINER_OPTIONS, UPDATABLE_OPTIONS, ContainerContext)

IMAGE = {"Cmd": ["/bin/sh", "-c", "sleep infinity"], "Env": ["PATH=/usr/bin:/bin"], "Labels": {}}
INFO = {"LoggingDriver": "json-file"}


def normalize(**params):
    return CONTAINER_OPTIONS.normalize(params)


def _update(**params):
    desired = normalize(**params)
    return CONTAINER_OPTIONS.update_body(desired, CONTAINER_OPTIONS.effective(desired, ContainerContext(IMAGE, INFO)))


def test_update_body_from_the_declarations():
    assert _update(memory="128m") == {"Memory": 128 * 1024 ** 2, "MemorySwap": 128 * 1024 ** 2}
    assert _update(cpus="1500m", memory_reservation="32m") == {"NanoCpus": 1500000000,
                                                               "MemoryReservation": 32 * 1024 ** 2}
    assert _update(pids_limit=64) == {"PidsLimit": 64}
    assert CONTAINER_OPTIONS.update_body({"pids_limit": None}) == {"PidsLimit": -1}  # -1 lifts the limit
    # The restart policy is one field: a change of the retries sends the policy name too.
    effective = CONTAINER_OPTIONS.effective(normalize(restart_policy="on-failure", restart_retries=3),
                                            ContainerContext(IMAGE, INFO))
    assert CONTAINER_OPTIONS.update_body({"restart_retries": 3}, effective) == {
        "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}}
    # Networks change by (dis)connecting, which the converger does: nothing in the body.
    assert CONTAINER_OPTIONS.update_body({"networks": normalize(networks=[{"name": "n"}])["networks"]}) == {}


def test_create_and_update_share_each_conversion():
    payload = {"config": {}, "host": {}}
    desired = normalize(memory="64m", cpus="500m", memory_reservation="32m", pids_limit=10)
    for name, value in desired.items():
        CONTAINER_OPTIONS.by_name[name].write(value, payload)
    assert payload["host"] == {"mem_limit": 64 << 20, "memswap_limit": 64 << 20, "nano_cpus": 500000000,
                               "mem_reservation": 32 << 20, "pids_limit": 10}


def test_what_changes_in_place():
    assert CONTAINER_OPTIONS.updates_in_place({"memory": 1 << 30, "cpus": 1.0, "pids_limit": None, "networks": []})
    assert not CONTAINER_OPTIONS.updates_in_place({"memory": None})  # the endpoint reads 0 as "keep"
    assert not CONTAINER_OPTIONS.updates_in_place({"cpus": None})
    assert not CONTAINER_OPTIONS.updates_in_place({"command": ["x"]})


class _Engine:
    """engine_info as the converger passes it: a function, so GET /info is only asked for when needed."""

    def __init__(self, info):
        self.info, self.calls = info, 0

    def __call__(self):
        self.calls += 1
        return self.info


def _effective(engine, table=CONTAINER_OPTIONS, **params):
    desired = normalize(**params)
    return table.effective(desired, ContainerContext(IMAGE, engine, desired))


def test_cpus_above_the_engines_count_are_refused_naming_the_field():
    engine = _Engine({"NCPU": 2, "LoggingDriver": "json-file"})
    assert _effective(engine, UPDATABLE_OPTIONS, cpus=2)["cpus"] == 2.0
    for table in (CONTAINER_OPTIONS, UPDATABLE_OPTIONS):  # whichever path the converger takes
        with pytest.raises(FleetError) as error:
            _effective(engine, table, cpus=1000)
        assert str(error.value) == "cpus: 1000 is more than the 2 CPUs this engine has"
    with pytest.raises(FleetError, match=r"^containers\[3\]\.cpus: 2\.5 is more than the 2 CPUs this engine has$"):
        CONTAINER_OPTIONS.check(normalize(cpus="2500m"), ContainerContext(IMAGE, engine), "containers[3].")


def test_cpus_up_to_one_never_ask_the_engine():
    engine = _Engine({"NCPU": 1})
    _effective(engine, UPDATABLE_OPTIONS, cpus=0.5)
    _effective(engine, UPDATABLE_OPTIONS, cpus=1)
    _effective(engine, UPDATABLE_OPTIONS, memory="64m")
    assert engine.calls == 0


def test_log_drivers_built_in_or_installed_as_plugins():
    engine = _Engine({"Plugins": {"Log": ["json-file", "local", "loki:latest"]}, "LoggingDriver": "json-file"})
    _effective(engine, UPDATABLE_OPTIONS, log_driver="journald")
    assert engine.calls == 0  # a built-in driver costs no GET /info
    _effective(engine, UPDATABLE_OPTIONS, log_driver="loki")
    with pytest.raises(FleetError) as error:
        _effective(engine, UPDATABLE_OPTIONS, log_driver="foo")
    assert str(error.value) == (
        "log_driver: 'foo' is not a log driver of this engine (it has awslogs, etwlogs, fluentd, gcplogs, gelf, "
        "journald, json-file, local, logentries, loki:latest, none, splunk, syslog); install a plugin first with "
        "docker plugin install")
