# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What HAProxy says, read: `show stat` CSV, master CLI `show proc`, and `haproxy -c` alerts mapped back to
the route whose lines they are about. Pure functions; the engine side is in _ingress.py."""

from __future__ import annotations

import csv
import io
import re

ALERT_LINE = re.compile(r"\[[^\]]*:(\d+)\]")
SECTION = re.compile(r"^(frontend|backend|global|defaults|listen)\b\s*(\S*)")


def parse_show_stat(text, backends=None):
    """Per backend: its status and its servers as HAProxy's health checks see them.

    backends maps a backend name to the route it serves ({stack, service, port}); frontends and HAProxy's
    own sections are left out."""
    backends = backends or {}
    lines = text.strip().splitlines()
    if not lines or not lines[0].startswith("# "):
        return []
    reader = csv.DictReader(io.StringIO("\n".join([lines[0][2:]] + lines[1:])))
    found = {}
    for row in reader:
        proxy, server = row.get("pxname"), row.get("svname")
        if server == "FRONTEND" or proxy not in backends and not proxy.count("."):
            continue
        entry = found.setdefault(proxy, {"name": proxy, "status": None, "servers": []})
        entry.update(backends.get(proxy, {}))
        if server == "BACKEND":
            entry["status"] = row.get("status")
            continue
        entry["servers"].append({
            "name": server,
            "address": row.get("addr") or None,
            "status": row.get("status"),
            "check_status": row.get("check_status") or None,
            "check_code": row.get("check_code") or None,
            "last_change_seconds": int(row["lastchg"]) if (row.get("lastchg") or "").isdigit() else None,
            "sessions_total": int(row["stot"]) if (row.get("stot") or "").isdigit() else 0,
        })
    return [found[name] for name in sorted(found)]


def status_lines(backends):
    """One line per server (or per backend without one), for a person to read at a glance."""
    lines = []
    for backend in backends:
        route = "%s/%s port %s" % (backend.get("stack", "?"), backend.get("service", "?"), backend.get("port", "?"))
        if not backend["servers"]:
            lines.append("%s: no replica (backend %s)" % (route, backend["status"]))
        for server in backend["servers"]:
            check = server["check_status"] or "no check"
            lines.append("%s: %s %s %s (%s)" % (route, server["name"], server["address"], server["status"], check))
    return lines


def parse_show_proc(text):
    """{master_pid, reloads, failed_reloads, workers: [pid], old_workers: [pid]} from the master CLI."""
    result = {"master_pid": None, "reloads": None, "failed_reloads": 0, "workers": [], "old_workers": []}
    section = "master"
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            if "old workers" in stripped:
                section = "old_workers"
            elif "workers" in stripped:
                section = "workers"
            continue
        fields = stripped.split()
        if len(fields) < 3 or not fields[0].isdigit():
            continue
        if fields[1] == "master":
            result["master_pid"] = int(fields[0])
            result["reloads"] = int(fields[2]) if fields[2].isdigit() else None
            failed = re.search(r"failed:\s*(\d+)", stripped)
            result["failed_reloads"] = int(failed.group(1)) if failed else 0
        elif fields[1] == "worker" and section in ("workers", "old_workers"):
            result[section].append(int(fields[0]))
    return result


def section_at(config, line_number):
    """(kind, name) of the section holding line line_number (1-based) of config, or None."""
    current = None
    for number, line in enumerate(config.splitlines(), start=1):
        match = SECTION.match(line)
        if match:
            current = (match.group(1), match.group(2))
        if number >= line_number:
            return current
    return None


def _alert_text(line):
    text = line.split("[ALERT]", 1)[1]
    located = re.search(r"\[[^\]]*:\d+\]\s*:\s*(.*)$", text)  # "parsing [file:12] : why" or "[file:12] : why"
    if located:
        return located.group(1).strip()
    return re.sub(r"^\s*\(\d+\)\s*:\s*(config\s*:\s*)?", "", text).strip()


def describe_check_failure(output, config, backends):
    """The alerts of `haproxy -c` output that point at a line, each naming the route it is about."""
    described = []
    for line in output.splitlines():
        if "[ALERT]" not in line:
            continue
        match = ALERT_LINE.search(line)
        if not match:
            continue
        section = section_at(config, int(match.group(1)))
        if section and section[0] == "backend" and section[1] in backends:
            route = backends[section[1]]
            where = "route stack %s, service %s, port %s" % (route["stack"], route["service"], route["port"])
        elif section and section[0] == "frontend" and section[1].startswith("port-"):
            where = "the routes on port %s" % section[1][len("port-"):]
        elif section:
            where = ("section %s %s" % section).strip()
        else:
            where = "the config"
        described.append("%s (line %s): %s" % (where, match.group(1), _alert_text(line)))
    if not described:  # no line named: HAProxy's own words
        described = [_alert_text(line) for line in output.splitlines() if "[ALERT]" in line]
    return "; ".join(described) or (output.strip().splitlines() or ["no output"])[-1]
