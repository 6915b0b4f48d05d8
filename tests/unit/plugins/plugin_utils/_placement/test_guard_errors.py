"""The guard, for bad input: any malformed service, host or host_info fact gives a
PlacementError naming a field, never another exception (issue 9 defect 8)."""

from __future__ import annotations

import math

import pytest
from guard_inputs import GUARD, hosts, services
from helpers import place
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._errors import PlacementError
from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._hostvars import host_from_vars

# Wrong shapes and values a user can write in YAML (.nan and .inf are tested apart, below).
BAD_VALUES = st.sampled_from([None, True, -1, -0.5, "", "lots", "1x", [], ["a"], {}, {"a": 1}, [{"a": 1}], 10**30])
SERVICE_FIELDS = ("replicas", "cpus", "memory", "resources", "ports", "constraints", "max_per_host", "spread",
                  "affinity", "anti_affinity", "preferences", "priority", "preemption", "volumes", "strategy",
                  "project", "distinct_hosts", "name")
HOST_FIELDS = ("cpus", "memory", "resources", "labels", "availability", "containers", "volumes", "name")
FACT_PATHS = (("engine",), ("engine", "labels"), ("engine", "cpus"), ("engine", "memory"), ("engine", "resources"),
              ("swarm",), ("swarm", "node_labels"), ("swarm", "node_availability"), ("containers",), ("volumes",))


def _fails_cleanly(call) -> None:
    try:
        call()
    except PlacementError as error:
        assert error.path and str(error).startswith(f"{error.path}: "), error  # names the field


@GUARD
@given(hosts(), services(), st.data())
def test_a_bad_service_or_host_field_is_a_placement_error(cluster, drawn, data):
    drawn, _specs = drawn
    if data.draw(st.booleans()):
        target = drawn[data.draw(st.integers(0, len(drawn) - 1))]
        target[data.draw(st.sampled_from(SERVICE_FIELDS))] = data.draw(BAD_VALUES)
    else:
        target = cluster[data.draw(st.integers(0, len(cluster) - 1))]
        target[data.draw(st.sampled_from(HOST_FIELDS))] = data.draw(BAD_VALUES)
    _fails_cleanly(lambda: place(drawn, cluster))


@GUARD
@given(st.sampled_from(FACT_PATHS), BAD_VALUES)
def test_a_bad_host_info_fact_is_a_placement_error(path, value):
    facts = {"engine": {"cpus": 2, "memory": 2**30, "labels": {"zone": "a"}}, "swarm": {"node_labels": {}},
             "containers": [], "volumes": []}
    section = facts
    for key in path[:-1]:
        section = section[key]
    section[path[-1]] = value
    _fails_cleanly(lambda: host_from_vars("n1", 0, {"flotilla_host_info": facts}, True))


@GUARD
@given(st.sampled_from([("service", "cpus"), ("service", "memory"), ("host", "cpus"), ("host", "memory")]),
       st.sampled_from([math.nan, math.inf, -math.inf]))
def test_nan_and_infinite_quantities_are_placement_errors(where, value):
    service, host = {"name": "web"}, {"name": "h1", "cpus": 1, "memory": 2**30}
    (service if where[0] == "service" else host)[where[1]] = value
    with pytest.raises(PlacementError):
        place([service], [host])
