# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ports, mounts, tmpfs, secrets and configs of one Compose service, in the containers module's terms.

Compose has already turned every short syntax into the long one (ports ranges expanded, relative paths made
absolute against the project directory); this maps the long syntax.
"""

from __future__ import annotations

import posixpath

from ._errors import StackError
from ._units import parse_bytes

FILES_DIR = "/var/lib/flotilla/stacks"


def container_ports(service: str, ports) -> list[str]:
    """``[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT/PROTOCOL`` strings; a host range is resolved per replica."""
    result = []
    for index, port in enumerate(ports or []):
        field = f"services.{service}.ports[{index}]"
        target = port.get("target")
        if target is None:
            raise StackError(f"{field}.target", "required")
        protocol = port.get("protocol") or "tcp"
        host_ip = port.get("host_ip") or ""
        if ":" in host_ip:
            host_ip = f"[{host_ip}]"
        published = str(port.get("published") or "")
        spec = f"{target}/{protocol}"
        if published:
            spec = f"{published}:{spec}"
            if host_ip:
                spec = f"{host_ip}:{spec}"
        elif host_ip:
            spec = f"{host_ip}::{spec}"
        result.append(spec)
    return result


def fixed_host_ports(ports) -> list[str]:
    """The host ports every replica needs for itself (``8080/tcp``): what the scheduler keeps apart."""
    fixed = []
    for port in ports or []:
        published = str(port.get("published") or "")
        if published and "-" not in published:
            entry = f"{int(published)}/{port.get('protocol') or 'tcp'}"
            if entry not in fixed:
                fixed.append(entry)
    return fixed


# Mount settings the containers module cannot apply (yet): a warning, never a silent drop. Compose's own
# default, bind.create_host_path, is left to the deploy, which creates the bind sources it needs.
_UNAPPLIED = {"volume": ("nocopy", "subpath"), "bind": ("propagation", "selinux", "recursive"),
              "tmpfs": ()}


def container_mounts(service: str, definition: dict, volumes: dict, warnings: list) -> list[dict]:
    """The mounts option: named and anonymous volumes, binds, tmpfs (``volumes`` and ``tmpfs`` keys)."""
    mounts = []
    for index, volume in enumerate(definition.get("volumes") or []):
        field = f"services.{service}.volumes[{index}]"
        kind = volume.get("type") or "volume"
        for key in _UNAPPLIED.get(kind, ()):
            if (volume.get(kind) or {}).get(key):
                warnings.append(f"{field}.{kind}.{key}: ignored (the containers module has no such mount option yet)")
        if volume.get("consistency"):
            warnings.append(f"{field}.consistency: ignored (a Docker Desktop setting)")
        mount = {"type": kind, "target": volume.get("target")}
        if volume.get("read_only"):
            mount["read_only"] = True
        if kind == "volume":
            source = volume.get("source")
            if source:
                if source not in volumes:
                    raise StackError(f"{field}.source", f"volume {source!r} is not declared in the top-level volumes")
                mount["source"] = volumes[source]["name"]
        elif kind == "bind":
            mount["source"] = volume.get("source")
        elif kind == "tmpfs":
            tmpfs = volume.get("tmpfs") or {}
            if tmpfs.get("size") is not None:
                mount["tmpfs_size"] = str(parse_bytes(tmpfs["size"], f"{field}.tmpfs.size"))
            if tmpfs.get("mode") is not None:
                mount["tmpfs_mode"] = "%o" % int(tmpfs["mode"])
        else:
            raise StackError(f"{field}.type", f"mounts of type {kind} are not supported (use volume, bind or tmpfs)")
        mounts.append(mount)
    for index, entry in enumerate(definition.get("tmpfs") or []):
        mounts.append(_tmpfs(str(entry), f"services.{service}.tmpfs[{index}]"))
    return mounts


def _tmpfs(entry: str, field: str) -> dict:
    target, _sep, options = entry.partition(":")
    if not posixpath.isabs(target):
        raise StackError(field, f"{target!r} must be an absolute path")
    mount = {"type": "tmpfs", "target": target}
    for option in filter(None, options.split(",")):
        key, _sep, value = option.partition("=")
        if key == "size":
            mount["tmpfs_size"] = str(parse_bytes(value, field + ".size"))
        elif key == "mode":
            mount["tmpfs_mode"] = value
        else:
            raise StackError(field, f"tmpfs option {key!r} is not supported (use size and mode)")
    return mount


def service_files(stack: str, service: str, definition: dict, project: dict, files_dir: str) -> list[dict]:
    """Secrets and configs the service reads: what the deploy copies to each host, and where it mounts them."""
    files = []
    for kind, default_dir in (("secret", "/run/secrets"), ("config", "")):
        declared = project.get(kind + "s") or {}
        for index, use in enumerate(definition.get(kind + "s") or []):
            field = f"services.{service}.{kind}s[{index}]"
            source = use.get("source")
            top = declared.get(source)
            if top is None:
                raise StackError(f"{field}.source", f"{kind} {source!r} is not declared in the top-level {kind}s")
            if top.get("external"):
                raise StackError(f"{kind}s.{source}.external",
                                 f"external {kind}s live in a Swarm; give file, environment or content instead")
            target = use.get("target") or f"{default_dir}/{source}"
            if not posixpath.isabs(target):
                target = f"{default_dir}/{target}"
            entry = {"kind": kind, "name": source, "target": target,
                     "path": f"{files_dir}/{stack}/{kind}s/{source}"}
            for key in ("file", "environment", "content"):
                if top.get(key) is not None:
                    entry[key] = top[key]
            for key in ("uid", "gid", "mode"):
                if use.get(key) is not None:
                    entry[key] = use[key]
            files.append(entry)
    return files


def file_mounts(files: list[dict]) -> list[dict]:
    return [{"type": "bind", "source": item["path"], "target": item["target"], "read_only": True} for item in files]
