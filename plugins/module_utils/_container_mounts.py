# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mounts: the container's ``mounts`` option (named and anonymous volumes, binds, tmpfs).

The canonical form is sorted by target with engine defaults spelled out, and what the engine reports
is read into it, so comparing is plain equality.
"""

from __future__ import annotations

import posixpath
import re

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._fleet import format_size
from ansible_collections.flotilla.fleet.plugins.module_utils._options import parse_size
MOUNT_SUBOPTIONS = {
    "type": {"type": "str", "choices": ["volume", "bind", "tmpfs"], "default": "volume"},
    "source": {"type": "str"},
    "target": {"type": "str", "required": True},
    "read_only": {"type": "bool", "default": False},
    "tmpfs_size": {"type": "str"},
    "tmpfs_mode": {"type": "str"},
}
_VOLUME_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")


def normalize_mounts(value, field):
    mounts, targets = [], set()
    for index, item in enumerate(value):
        where = "%s[%d]" % (field, index)
        target = item.get("target")
        if not isinstance(target, str) or not posixpath.isabs(target):
            raise FleetError("%s.target: %r must be an absolute path" % (where, target))
        target = posixpath.normpath(target)
        if target in ("/", "//"):
            raise FleetError("%s.target: %r is the container's root filesystem; mount into a directory below it"
                             % (where, item["target"]))
        if target in targets:
            raise FleetError("%s.target: %s is mounted twice" % (where, target))
        targets.add(target)
        kind, source = item.get("type") or "volume", item.get("source")
        mount = {"type": kind, "source": source or "", "target": target, "read_only": bool(item.get("read_only"))}
        if kind == "bind" and not (source and posixpath.isabs(source)):
            raise FleetError("%s.source: a bind mount needs an absolute host path, got %r" % (where, source))
        if kind == "volume" and source and not _VOLUME_NAME_RE.match(source):
            raise FleetError("%s.source: %r is not a valid volume name" % (where, source))
        if kind == "tmpfs":
            if source:
                raise FleetError("%s.source: a tmpfs mount has no source" % where)
            if item.get("tmpfs_size") is not None:
                mount["tmpfs_size"] = parse_size(item["tmpfs_size"], where + ".tmpfs_size")
            if item.get("tmpfs_mode") is not None:
                try:
                    mount["tmpfs_mode"] = int(str(item["tmpfs_mode"]), 8)
                except ValueError:
                    raise FleetError("%s.tmpfs_mode: %r is not an octal mode such as 1777" % (where, item["tmpfs_mode"]))
        elif item.get("tmpfs_size") is not None or item.get("tmpfs_mode") is not None:
            raise FleetError("%s: tmpfs_size and tmpfs_mode apply to type tmpfs only" % where)
        mounts.append(mount)
    return sorted(mounts, key=lambda mount: mount["target"])


def read_mounts(inspected, context):
    mounts = []
    for item in (inspected.get("HostConfig") or {}).get("Mounts") or []:
        mount = {"type": item.get("Type"), "source": item.get("Source") or "",
                 "target": posixpath.normpath(item.get("Target") or "/"), "read_only": bool(item.get("ReadOnly"))}
        tmpfs = item.get("TmpfsOptions") or {}
        if tmpfs.get("SizeBytes"):
            mount["tmpfs_size"] = tmpfs["SizeBytes"]
        if tmpfs.get("Mode"):
            mount["tmpfs_mode"] = tmpfs["Mode"]
        mounts.append(mount)
    return sorted(mounts, key=lambda mount: mount["target"])


def write_mounts(value, payload):
    payload["host"]["mounts"] = [
        {"Type": mount["type"], "Source": mount["source"] or None, "Target": mount["target"],
         "ReadOnly": mount["read_only"],
         **({"TmpfsOptions": {key: mount[name] for key, name in (("SizeBytes", "tmpfs_size"), ("Mode", "tmpfs_mode"))
                              if name in mount}} if mount["type"] == "tmpfs" else {})}
        for mount in value
    ]


def show_mounts(mounts):
    """Mounts as the user writes them: tmpfs size 16m and mode 1770, not bytes and a decimal mode."""
    shown = []
    for mount in mounts:
        mount = dict(mount)
        if "tmpfs_size" in mount:
            mount["tmpfs_size"] = format_size(mount["tmpfs_size"])
        if "tmpfs_mode" in mount:
            mount["tmpfs_mode"] = "%o" % mount["tmpfs_mode"]
        shown.append(mount)
    return shown
