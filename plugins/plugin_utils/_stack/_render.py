# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``stack_plan`` as text a person reads: per host its replicas and how full it gets, then what is wrong."""

from __future__ import annotations

BAR_WIDTH = 20
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def render(plan: dict) -> str:
    placement = plan["placement"]
    summary = placement["summary"]
    lines = [f"Stack {plan['stack']}: {summary['placed']} of {summary['replicas']} replicas placed on "
             f"{summary['hosts_used']} of {len(plan['hosts'])} hosts"]
    width = max([len(name) for name in plan["hosts"]] + [4])
    for name, host in plan["hosts"].items():
        lines.append("")
        lines.append(f"{name.ljust(width)}  cpus   {usage_bar(host['cpus']['reserved'], host['cpus']['capacity'])} "
                     f"{cpus_text(host['cpus']['reserved'])} of {cpus_text(host['cpus']['capacity'])}")
        lines.append(f"{''.ljust(width)}  memory {usage_bar(host['memory']['reserved'], host['memory']['capacity'])} "
                     f"{size_text(host['memory']['reserved'])} of {size_text(host['memory']['capacity'])}")
        details = {item["name"]: item for item in placement["hosts"].get(name) or []}
        for replica in host["replicas"]:
            item = details.get(replica["name"], {})
            extra = []
            if item.get("cpus"):
                extra.append(f"{cpus_text(float(item['cpus']))} cpus")
            if item.get("memory"):
                extra.append(size_text(int(item["memory"])))
            if item.get("ports"):
                extra.append("ports " + ", ".join(item["ports"]))
            lines.append(f"  {replica['name']}" + (f"  ({', '.join(extra)})" if extra else ""))
        if not host["replicas"]:
            lines.append("  (nothing)")
    moves = [move for move in plan["moves"] if move["action"] != "start"]
    if moves:
        lines += ["", "Changes to what runs:"]
        lines += [f"  {move['action']} {move['name']}: {move['from'] or '-'} -> {move['to'] or '-'} ({move['reason']})"
                  for move in moves]
    if plan["unplaced"]:
        lines += ["", f"Unplaced ({len(plan['unplaced'])}):"]
        lines += [f"  {item['name']} (service {item['service']}): {item['message']}" for item in plan["unplaced"]]
    if plan["warnings"]:
        lines += ["", "Warnings:"] + [f"  {warning}" for warning in plan["warnings"]]
    return "\n".join(lines)


def usage_bar(used, capacity) -> str:
    """``[#######.............]  35%``; past 100% the bar is full and the number says how far."""
    ratio = used / capacity if capacity else (1.0 if used else 0.0)
    filled = min(BAR_WIDTH, round(ratio * BAR_WIDTH))
    return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {round(ratio * 100):3d}%"


def cpus_text(value) -> str:
    text = f"{float(value):.3f}".rstrip("0").rstrip(".")
    return text or "0"


def size_text(value) -> str:
    value = float(value)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover - the loop always returns
