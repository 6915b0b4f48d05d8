"""Random clusters, services and options for the guard (hypothesis strategies).

Everything the lookup documents is drawn: cpus, memory (numbers and unit strings), custom
resources, labels, availability, reachability, foreign containers (live and exited, with
ports), local volumes; constraints in text and mapping form over every operator (values as a
list or a comma string), max_per_host and distinct_hosts, spread (label or mapping, max_skew,
hard), affinity and anti-affinity (name or mapping, weight, required), preferences, priority,
preemption, volumes with ``{replica}``, per-service strategy and project; and the options.
Constraints are also kept as structured specs, so that the checks evaluate them on their own
(``guard_checks.label_matches``) rather than trusting the scheduler's parser.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

_COMMON = {"deadline": None,
           "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]}
# guard-ci: derandomized, so CI runs the same examples every time; guard-deep: random, ten times more.
settings.register_profile("guard-ci", max_examples=200, derandomize=True, **_COMMON)
settings.register_profile("guard-deep", max_examples=1200, **_COMMON)
# guard-ci without shrinking: the first failure of each property as found, in seconds rather than
# minutes (for trying the guard on code known to be broken, see FLOTILLA_PLACEMENT_ROOT).
settings.register_profile("guard-triage", max_examples=200, derandomize=True,
                          phases=[Phase.explicit, Phase.generate], **_COMMON)
GUARD = settings.get_profile(os.environ.get("FLOTILLA_GUARD_PROFILE", "guard-ci"))

ZONES = ("a", "b", "c")
GIB = 1024**3
MIB = 1024**2
PORTS = (80, 443, "53/udp")
# (label, op, values): the values a host label is drawn from, per label.
LABEL_VALUES = {"zone": ZONES, "rack": ("r1", "r2"), "disk": ("ssd", "hdd"), "gen": ("1", "2", "2.0", "3.1", "3.1.0")}
OPS = ("==", "!=", "in", "not in", "exists", "not exists", "regex", "<", "<=", ">", ">=")


@st.composite
def hosts(draw, min_size: int = 1, max_size: int = 6, states: bool = True) -> list[dict]:
    count = draw(st.integers(min_size, max_size))
    result = []
    for i in range(count):
        labels = {"zone": draw(st.sampled_from(ZONES))}
        for label in ("rack", "disk", "gen"):
            if draw(st.booleans()):
                labels[label] = draw(st.sampled_from(LABEL_VALUES[label]))
        item = {"name": f"h{i}", "cpus": draw(st.sampled_from([1, 2, 4, 8, 0.5, "1500m"])),
                "memory": draw(st.sampled_from([GIB, 2 * GIB, 4 * GIB, "8g", "3GiB", "1536Mi"])),
                "labels": labels}
        if draw(st.integers(0, 3)) == 0:
            item["resources"] = {"gpu": draw(st.integers(0, 2))}
        if states:
            item["availability"] = draw(st.sampled_from(["active"] * 6 + ["drain", "pause"]))
            if draw(st.integers(0, 9)) == 0:
                item["reachable"] = False
        if draw(st.integers(0, 3)) == 0:
            item["containers"] = draw(st.lists(foreign_containers(i), min_size=1, max_size=2))
        if draw(st.integers(0, 4)) == 0:
            item["volumes"] = [draw(st.sampled_from(["data-1", "data-2", "shared"]))]
        result.append(item)
    return result


@st.composite
def foreign_containers(draw, host: int) -> dict:
    container = {"name": f"other-{host}-{draw(st.integers(0, 9))}", "cpus": draw(st.sampled_from([0, 0.5, 1])),
                 "memory": draw(st.sampled_from([0, 256 * MIB, GIB])),
                 "state": draw(st.sampled_from(["running", "running", "exited", "paused"]))}
    if draw(st.integers(0, 3)) == 0:
        container["ports"] = [draw(st.sampled_from(PORTS))]
    if draw(st.integers(0, 3)) == 0:
        container["resources"] = {"gpu": 1}
    return container


@st.composite
def constraint(draw) -> tuple[object, tuple]:
    """(what the user writes, the structured spec the checks evaluate)."""
    label = draw(st.sampled_from(sorted(LABEL_VALUES)))
    op = draw(st.sampled_from(OPS))
    pool = LABEL_VALUES[label]
    if op in ("exists", "not exists"):
        values: tuple = ()
    elif op in ("in", "not in"):
        values = tuple(draw(st.lists(st.sampled_from(pool), min_size=1 + draw(st.booleans()), max_size=2, unique=True)))
    elif op in ("<", "<=", ">", ">="):
        values = (draw(st.sampled_from(("1", "2", "2.0", "3.1", "3.1.0"))),)
        label = "gen"
    elif op == "regex":
        values = (draw(st.sampled_from(("[ab]", "r.*", "ss.", "3\\.1(\\.0)?"))),)
    else:
        values = (draw(st.sampled_from(pool)),)
    form = draw(st.sampled_from(("text", "mapping-list", "mapping-string")))
    if form == "text" or (form == "mapping-list" and op not in ("in", "not in")):
        written: object = f"{label} {op} {','.join(values)}".strip() if form == "text" else \
            {"label": label, "op": op, **({"value": values[0]} if values else {})}
    elif form == "mapping-list":
        written = {"label": label, "op": op, "value": list(values)}
    else:
        written = {"label": label, "op": op, **({"value": ",".join(values)} if values else {})}
    return written, (label, op, values)


@st.composite
def services(draw, max_services: int = 4, preemption: bool = True) -> tuple[list[dict], dict]:
    """The services, and per service name the structured constraint specs."""
    count = draw(st.integers(1, max_services))
    # rich: any option; plain: what binpack packs host by host; pairs: affinity chains with
    # priorities, preemption and hard spreads (where the rules meet).
    mode = draw(st.sampled_from(["rich", "rich", "plain", "pairs"]))
    result, specs = [], {}
    for i in range(count):
        name = f"s{i}"
        service: dict = {"name": name, "replicas": draw(st.integers(0, 5)),
                         "cpus": draw(st.sampled_from([0, 0.25, 0.5, 1, 2, "250m"])),
                         "memory": draw(st.sampled_from([0, 128 * MIB, "256m", "512Mi", "1g", 2 * GIB]))}
        specs[name] = []
        if mode == "plain":
            service.update(draw(plain_extras()))
            result.append(service)
            continue
        if mode == "pairs":
            service.update(draw(pair_extras(result)))
            result.append(service)
            continue
        if draw(st.booleans()):
            drawn = draw(st.lists(constraint(), min_size=1, max_size=2, unique_by=lambda item: item[1][0]))
            service["constraints"] = [written for written, _spec in drawn]
            specs[name] = [spec for _written, spec in drawn]
        if draw(st.integers(0, 4)) == 0:
            service["resources"] = {"gpu": 1}
        if draw(st.integers(0, 3)) == 0:
            service["ports"] = draw(st.lists(st.sampled_from(PORTS), min_size=1, max_size=2, unique=True))
        if draw(st.integers(0, 3)) == 0:
            if draw(st.booleans()):
                service["distinct_hosts"] = True
            else:
                service["max_per_host"] = draw(st.integers(1, 2))
        if draw(st.integers(0, 2)) == 0:
            service["spread"] = [draw(spread("zone"))]
            if draw(st.integers(0, 3)) == 0:
                service["spread"].append(draw(spread("rack")))
        if draw(st.integers(0, 3)) == 0:
            service["preferences"] = [{"match": draw(st.sampled_from(["disk == ssd", "zone in a,b", "gen >= 2"])),
                                       "weight": draw(st.integers(-20, 20))}]
        if draw(st.booleans()):
            service["priority"] = draw(st.integers(0, 2))
        if preemption and draw(st.integers(0, 2)) == 0:
            service["preemption"] = True
        if draw(st.integers(0, 5)) == 0:
            service["volumes"] = [draw(st.sampled_from(["data-{replica}", "shared"]))]
        if draw(st.integers(0, 3)) == 0:
            service["strategy"] = draw(st.sampled_from(["spread", "binpack"]))
        if draw(st.integers(0, 5)) == 0:
            service["project"] = "shop"
        result.append(service)
    for i, service in enumerate(result):
        others = [s["name"] for s in result if s["name"] != service["name"]]
        if mode == "rich" and others and draw(st.booleans()):
            key = draw(st.sampled_from(["affinity", "affinity", "affinity", "anti_affinity", "anti_affinity"]))
            target = draw(st.sampled_from(others))
            if draw(st.integers(0, 3)) == 0:
                service[key] = [target]
            else:
                service[key] = [{"service": target, "required": draw(st.integers(0, 2)) > 0,
                                 "weight": draw(st.integers(0, 100))}]
    return result, specs


@st.composite
def plain_extras(draw) -> dict:
    extras: dict = {"strategy": "binpack"} if draw(st.booleans()) else {}
    if draw(st.booleans()):
        extras["ports"] = [draw(st.sampled_from(PORTS))]
    if draw(st.integers(0, 3)) == 0:
        extras["max_per_host"] = draw(st.integers(1, 3))
    if draw(st.integers(0, 3)) == 0:
        extras["priority"] = draw(st.integers(0, 2))
    if draw(st.integers(0, 3)) == 0:
        extras["spread"] = [draw(spread("zone"))]  # mixed with packable services
    return extras


@st.composite
def pair_extras(draw, before: list[dict]) -> dict:
    extras: dict = {"priority": draw(st.integers(0, 2))}
    if before and draw(st.integers(0, 3)) > 0:
        target = draw(st.sampled_from(before))["name"]
        key = draw(st.sampled_from(["affinity", "affinity", "anti_affinity"]))
        extras[key] = [{"service": target, "required": draw(st.integers(0, 3)) > 0}]
    if draw(st.booleans()):
        extras["preemption"] = True
    if draw(st.booleans()):
        extras["spread"] = [draw(spread(draw(st.sampled_from(["zone", "rack"]))))]
    if draw(st.integers(0, 3)) == 0:
        extras["replicas"] = draw(st.integers(2, 4))
    return extras


@st.composite
def spread(draw, label: str) -> object:
    if draw(st.integers(0, 3)) == 0:
        return label
    return {"label": label, "max_skew": draw(st.integers(1, 2)), "hard": draw(st.booleans())}


@st.composite
def options(draw, strategy: str | None = None) -> dict:
    result: dict = {"strategy": strategy or draw(st.sampled_from(["spread", "binpack"]))}
    if draw(st.integers(0, 3)) == 0:
        result["resource_weights"] = {"cpus": draw(st.sampled_from([0, 1, 2])),
                                      "memory": draw(st.sampled_from([0, 1, 0.5])), "gpu": draw(st.sampled_from([0, 1]))}
    if draw(st.integers(0, 3)) == 0:
        result["seed"] = draw(st.integers(0, 5))
    if draw(st.integers(0, 5)) == 0:
        result["project"] = "fleet"
    return result
