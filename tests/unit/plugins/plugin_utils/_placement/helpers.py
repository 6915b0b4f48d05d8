"""Small builders shared by the placement tests."""

from __future__ import annotations

from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._api import place

GIB = 1024**3
MIB = 1024**2


def host(name: str, cpus: float = 4, memory: int | str = "8g", **extra) -> dict:
    return {"name": name, "cpus": cpus, "memory": memory, **extra}


def zoned_hosts(count: int, zones: tuple[str, ...] = ("a", "b", "c"), **extra) -> list[dict]:
    return [host(f"h{i}", labels={"zone": zones[i % len(zones)]}, **extra) for i in range(count)]


def running(service: str, replica: int, project: str = "", **extra) -> dict:
    """A container as flotilla.fleet.host_info reports it."""
    prefix = f"{project}-" if project else ""
    return {"name": f"{prefix}{service}-{replica}", "service": service, "replica": replica,
            "project": project, "state": "running", **extra}


def hosts_of(result: dict, service: str) -> list:
    return result["services"][service]["hosts"]


def as_current(result: dict, hosts: list[dict], services: list[dict]) -> list[dict]:
    """The hosts again, now running what ``result`` placed (as facts would show it)."""
    by_name = {s["name"]: s for s in services}
    updated = []
    for item in hosts:
        containers = [c for c in item.get("containers", []) if not c.get("service") or c["service"] not in by_name]
        for entry in result["hosts"][item["name"]]:
            containers.append(running(entry["service"], entry["replica"], entry["project"],
                                      cpus=entry["cpus"], memory=entry["memory"],
                                      resources=entry["resources"], ports=entry["ports"]))
        updated.append({**item, "containers": containers})
    return updated


__all__ = ["GIB", "MIB", "as_current", "host", "hosts_of", "place", "running", "zoned_hosts"]
