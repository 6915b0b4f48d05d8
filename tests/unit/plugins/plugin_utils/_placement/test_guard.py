"""The guard: random clusters and services over every documented option, and the documented
rules checked on every result by an oracle that does not share the scheduler's code.

Profiles (see ``guard_inputs``): ``guard-ci`` by default, ``FLOTILLA_GUARD_PROFILE=guard-deep``. To
try the guard on another copy of the package (for example the code before a fix), point
``FLOTILLA_PLACEMENT_ROOT`` at a directory holding ``ansible_collections/flotilla/fleet/...``.
"""

from __future__ import annotations

from guard_checks import World, hard_violations, soft_spread_violations, unplaced_with_room
from guard_inputs import GUARD, hosts, options, services
from helpers import place, running
from hypothesis import assume, given
from hypothesis import strategies as st


@st.composite
def cases(draw, strategy=None, states=True, preemption=True):
    cluster = draw(hosts(states=states))
    drawn, specs = draw(services(preemption=preemption))
    return cluster, drawn, specs, draw(options(strategy))


def current_of(result: dict, cluster: list[dict], drawn: list[dict]) -> list[dict]:
    """The hosts again, running what ``result`` placed, as host_info facts would show them."""
    names = {s["name"] for s in drawn}
    updated = []
    for item in cluster:
        containers = [c for c in item.get("containers", []) if c.get("service") not in names]
        volumes = list(item.get("volumes", []))
        for entry in result["hosts"][item["name"]]:
            containers.append(running(entry["service"], entry["replica"], entry["project"], cpus=entry["cpus"],
                                      memory=entry["memory"], resources=entry["resources"], ports=entry["ports"]))
            volumes += [v for v in entry["volumes"] if v not in volumes]
        updated.append({**item, "containers": containers, **({"volumes": volumes} if volumes else {})})
    return updated


def check_rules(cluster, drawn, specs, chosen, result, moved_freely=False) -> None:
    """Every hard rule; and, when no replica was removed during the run (no preemption, no
    rebalance), no replica unplaced while a host has room and soft spreads as even as room allows."""
    world = World(cluster, drawn, specs, chosen)
    fresh = {name for name, svc in world.services.items() if world.fresh(svc)}
    broken = hard_violations(world, result, fresh)
    assert not broken, broken
    if not moved_freely and not result["preempted"]:
        missed = unplaced_with_room(world, result) + soft_spread_violations(world, result, fresh)
        assert not missed, missed


@GUARD
@given(cases())
def test_a_placement_keeps_every_documented_rule(case):
    cluster, drawn, specs, chosen = case
    result = place(drawn, cluster, chosen)
    check_rules(cluster, drawn, specs, chosen, result)
    assert place(drawn, cluster, chosen) == result, "same input, different output"


@st.composite
def updates(draw, drawn: list[dict]) -> list[dict]:
    """The services again, one of them changed as a user would between two runs."""
    changed = [dict(s) for s in drawn]
    target = draw(st.integers(0, len(changed) - 1))
    service = changed[target]
    others = [s["name"] for s in changed if s["name"] != service["name"]]
    change = draw(st.sampled_from(["replicas", "cpus", "affinity", "constraints", "max_per_host"]))
    if change == "replicas":
        service["replicas"] = draw(st.integers(0, 6))
    elif change == "cpus":
        service["cpus"] = draw(st.sampled_from([0, 0.5, 1, 2]))
    elif change == "affinity" and others:
        key = draw(st.sampled_from(["affinity", "anti_affinity"]))
        service.pop("affinity", None), service.pop("anti_affinity", None)
        service[key] = [{"service": draw(st.sampled_from(others)), "required": True}]
    elif change == "max_per_host":
        service.pop("distinct_hosts", None)
        service["max_per_host"] = 1
    return changed


@GUARD
@given(cases(), st.data())
def test_running_replicas_stay_only_while_they_pass_the_hard_filters(case, data):
    cluster, drawn, specs, chosen = case
    current = current_of(place(drawn, cluster, chosen), cluster, drawn)
    changed = data.draw(updates(drawn))
    check_rules(current, changed, specs, chosen, place(changed, current, chosen))


def placed(result: dict) -> int:
    return result["summary"]["placed"]


@GUARD
@given(cases(strategy="binpack"))
def test_binpack_never_places_fewer_replicas_than_spread(case):
    cluster, drawn, _specs, chosen = case
    as_spread = [{**s, "strategy": "spread"} for s in drawn]
    binpack, spread = place(drawn, cluster, chosen), place(as_spread, cluster, {**chosen, "strategy": "spread"})
    assert placed(binpack) >= placed(spread), "binpack placed fewer than spread"


@GUARD
@given(cases())
def test_a_rerun_on_its_own_output_is_a_no_op(case):
    cluster, drawn, _specs, chosen = case
    first = place(drawn, cluster, chosen)
    second = place(drawn, current_of(first, cluster, drawn), chosen)
    assert second["moves"] == [] and second["preempted"] == [], f"re-run not a no-op: {second['moves']}"
    assert second["services"] == first["services"], "re-run not a no-op"


@GUARD
@given(cases(), st.data())
def test_scaling_one_service_moves_no_other_replica(case, data):
    """Documented exception: a service with preemption may displace lower-priority replicas."""
    cluster, drawn, specs, chosen = case
    current = current_of(place(drawn, cluster, chosen), cluster, drawn)
    target = data.draw(st.integers(0, len(drawn) - 1))
    scaled = [dict(s) for s in drawn]
    scaled[target]["replicas"] = data.draw(st.integers(0, 7))
    name = scaled[target]["name"]
    result = place(scaled, current, chosen)
    for move in result["moves"]:
        if move["service"] == name or move["action"] == "start" or move["reason"].startswith("preempted by "):
            continue
        # A replica that requires the scaled service leaves with it (the hard rule wins).
        assert move["reason"] == f"does not run {name} (affinity)", f"scaling {name} moved {move}"
    check_rules(current, scaled, specs, chosen, result)


@GUARD
@given(cases(), st.data())
def test_draining_a_host_moves_only_its_replicas(case, data):
    cluster, drawn, specs, chosen = case
    current = current_of(place(drawn, cluster, chosen), cluster, drawn)
    drained = data.draw(st.integers(0, len(current) - 1))
    current[drained] = {**current[drained], "availability": "drain"}
    name = current[drained]["name"]
    result = place(drawn, current, chosen)
    for move in result["moves"]:
        if move["action"] != "start" and not move["reason"].startswith("preempted by "):
            assert move["from"] == name, f"draining {name} moved {move}"
    check_rules(current, drawn, specs, chosen, result)


@GUARD
@given(cases(), st.integers(1, 4))
def test_rebalance_never_breaks_a_hard_rule(case, max_moves):
    cluster, drawn, specs, chosen = case
    first = place(drawn, cluster, chosen)
    assume(first["summary"]["placed"])
    current = current_of(first, cluster, drawn)
    result = place(drawn, current, {**chosen, "rebalance": True, "max_moves": max_moves})
    assert len([m for m in result["moves"] if m["reason"] == "rebalance"]) <= max_moves
    # Hard spreads are checked for the services the first run placed from nothing.
    world = World(cluster, drawn, specs, chosen)
    fresh = {name for name, svc in world.services.items() if world.fresh(svc)}
    broken = hard_violations(World(current, drawn, specs, chosen), result, fresh)
    assert not broken, broken
