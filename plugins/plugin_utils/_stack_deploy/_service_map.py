# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service map: per service its replicas, where they run and how to reach them (``stack_services``)."""

from __future__ import annotations


def service_map(plan: dict, results: dict) -> dict:
    """``results``: per host the ``containers`` list the containers module returned for the stack."""
    services = {name: {"replicas": []} for name in plan["services"]}
    wanted = {item["name"]: (host, item) for host, entry in plan["hosts"].items() for item in entry["replicas"]}
    for host, containers in sorted(results.items()):
        for container in containers or []:
            placed = wanted.get(container.get("name"))
            if placed is None or placed[0] != host or container.get("action") == "removed":
                continue
            item = placed[1]
            services[item["service"]]["replicas"].append({
                "replica": item["replica"],
                "host": host,
                "container": container["name"],
                "id": container.get("id"),
                "state": container.get("state"),
                "health": container.get("health"),
                "networks": {name: (value or {}).get("ip") for name, value in (container.get("networks") or {}).items()},
                "published": [port for port in container.get("published") or [] if port.get("host_port")],
            })
    for service in services.values():
        service["replicas"].sort(key=lambda replica: replica["replica"])
    return {"stack": plan["stack"], "services": services}
