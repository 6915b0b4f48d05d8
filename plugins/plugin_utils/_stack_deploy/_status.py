# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``status``: per service desired / running / healthy / where, per host reserved vs capacity, as a table."""

from __future__ import annotations

from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._render import cpus_text, size_text, usage_bar


def stack_status(plan: dict, facts: dict) -> dict:
    """``facts``: per host its ``flotilla_host_info``. Replicas are matched by container name and service label."""
    wanted = {item["name"]: item["service"] for entry in plan["hosts"].values() for item in entry["replicas"]}
    desired = {}
    for item_service in wanted.values():
        desired[item_service] = desired.get(item_service, 0) + 1
    services = {name: {"desired": desired.get(name, 0), "running": 0, "healthy": 0, "unhealthy": 0,
                       "with_healthcheck": 0, "where": []}
                for name in plan["services"]}
    for host, info in sorted(facts.items()):
        for container in (info or {}).get("containers") or []:
            service = wanted.get(container.get("name"))
            if service is None or container.get("service") != service:
                continue
            entry = services[service]
            if container.get("state") == "running":
                entry["running"] += 1
                if host not in entry["where"]:
                    entry["where"].append(host)
            health = container.get("health")
            if health is not None:
                entry["with_healthcheck"] += 1
            if health == "healthy":
                entry["healthy"] += 1
            elif health == "unhealthy":
                entry["unhealthy"] += 1
    hosts = {name: {"cpus": entry["cpus"], "memory": entry["memory"]} for name, entry in plan["hosts"].items()}
    status = {"stack": plan["stack"], "services": services, "hosts": hosts}
    status["text"] = render_status(status)
    return status


def render_status(status: dict) -> str:
    services = status["services"]
    ready = sum(1 for entry in services.values() if entry["running"] == entry["desired"] and not entry["unhealthy"])
    lines = [f"Stack {status['stack']}: {ready} of {len(services)} services at their desired replicas", ""]
    width = max([len("SERVICE")] + [len(name) for name in services])
    lines.append(f"{'SERVICE':<{width}}  DESIRED  RUNNING  HEALTHY  WHERE")
    for name, entry in services.items():
        # "-": no replica has a healthcheck, so running is all there is to know.
        healthy = f"{entry['healthy']}" if entry["with_healthcheck"] else "-"
        healthy += f" ({entry['unhealthy']} unhealthy)" if entry["unhealthy"] else ""
        lines.append(f"{name:<{width}}  {entry['desired']:>7}  {entry['running']:>7}  {healthy:>7}  "
                     f"{', '.join(entry['where']) or '-'}")
    lines.append("")
    host_width = max([len("HOST")] + [len(name) for name in status["hosts"]])
    for name, entry in status["hosts"].items():
        cpus, memory = entry["cpus"], entry["memory"]
        lines.append(f"{name:<{host_width}}  cpus   {usage_bar(cpus['reserved'], cpus['capacity'])} "
                     f"{cpus_text(cpus['reserved'])} of {cpus_text(cpus['capacity'])} reserved")
        lines.append(f"{'':<{host_width}}  memory {usage_bar(memory['reserved'], memory['capacity'])} "
                     f"{size_text(memory['reserved'])} of {size_text(memory['capacity'])} reserved")
    return "\n".join(lines)
