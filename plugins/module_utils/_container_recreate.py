# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replacing a container safely: the old one stays, parked, until the new one is proven.

The parked name ``<name>_flotilla_old`` is fixed, and so it is also the lock: the engine lets one
container hold a name, so while one run's recreate is in flight another run's rename fails, and a run
that finds a parked container knows a recreate is going on or was interrupted.

Anonymous volumes (a mount without a source, an image ``VOLUME``) go over to the new container, as
Compose does: the new one mounts the old one's volume by name. Removing a container with ``v=True``
removes its own anonymous volumes only (the engine never removes named ones, nor one still in use).
"""

from __future__ import annotations

import base64
import json
import posixpath
import re
import zlib

from ansible_collections.flotilla.fleet.plugins.module_utils._container_options import (
    CONTAINER_OPTIONS, ContainerContext)
from ansible_collections.flotilla.fleet.plugins.module_utils._fleet import (
    PREVIOUS_SPEC_LABEL, REVISION_LABEL)
from ansible_collections.flotilla.fleet.plugins.module_utils._inspect import health_of, state_of

PARKED_SUFFIX = "_flotilla_old"
# Bookkeeping labels: written by the converger, never the user's, never in the spec hash.
BOOKKEEPING_LABELS = (REVISION_LABEL, PREVIOUS_SPEC_LABEL)
# Docker sets no limit per container label, but every list and inspect carries them: the previous spec is
# stored as JSON up to 4 KiB, zlib-compressed and base64-encoded above that, and left out above 64 KiB.
PREVIOUS_SPEC_INLINE_BYTES = 4096
PREVIOUS_SPEC_MAX_BYTES = 65536
_COMPRESSED_PREFIX = "zlib+base64:"
_ANONYMOUS_RE = re.compile(r"^[0-9a-f]{64}$")


def parked_name(name):
    return name + PARKED_SUFFIX


def start_first_blocker(desired):
    """Why the old and new containers cannot run side by side (None when they can)."""
    fixed = sorted({"%s/%s" % (port["host_port"], port["protocol"]) for port in desired.get("ports") or []
                    if port["host_port"]})
    if fixed:
        return "host port %s is published" % ", ".join(fixed)
    static = [network["name"] for network in desired.get("networks") or [] if network["ipv4_address"]]
    if static:
        return "a static address on network %s" % ", ".join(static)
    return None


# --- anonymous volumes -------------------------------------------------------------------------------
def anonymous_volumes(container):
    """{target: volume name} of the engine-named (anonymous) volumes a container has mounted."""
    return {posixpath.normpath(mount.get("Destination") or "/"): mount["Name"]
            for mount in (container or {}).get("Mounts") or []
            if mount.get("Type") == "volume" and _ANONYMOUS_RE.match(mount.get("Name") or "")}


def _image_volumes(image):
    return {posixpath.normpath(path) for path in ((image or {}).get("Config") or {}).get("Volumes") or {}}


def carried_volumes(old, desired, image):
    """{target: volume} the new container takes over: the old one's anonymous volumes at targets where the
    new one would get an anonymous volume too (a mount without a source, or a VOLUME of its image)."""
    mounts = desired.get("mounts") or []
    anonymous = {mount["target"] for mount in mounts if mount["type"] == "volume" and not mount["source"]}
    covered = {mount["target"] for mount in mounts} - anonymous
    old_volumes = anonymous_volumes(old)
    return {target: old_volumes[target] for target in sorted((anonymous | _image_volumes(image)) - covered)
            if target in old_volumes}


def with_carried(mounts, carried):
    """The create payload's mounts with the carried volumes mounted by name."""
    result, placed = [], set()
    for mount in mounts:
        if mount["Target"] in carried and mount["Type"] == "volume" and not mount.get("Source"):
            mount = dict(mount, Source=carried[mount["Target"]])
            placed.add(mount["Target"])
        result.append(mount)
    for target in sorted(set(carried) - placed):
        result.append({"Type": "volume", "Source": carried[target], "Target": target, "ReadOnly": False})
    return result


def carried_in(container):
    """Names of the anonymous volumes a container mounts by name (taken over from its predecessor)."""
    return {mount.get("Source") for mount in ((container or {}).get("HostConfig") or {}).get("Mounts") or []
            if mount.get("Type") == "volume" and _ANONYMOUS_RE.match(mount.get("Source") or "")}


# --- what the container was created from -------------------------------------------------------------
def as_created(container, image):
    """The inspect as the option table should read it: without our bookkeeping labels, and with carried
    anonymous volumes read back as what the user wrote (a mount without source, or the image's VOLUME)."""
    view = dict(container)
    config = dict(view.get("Config") or {})
    config["Labels"] = {key: value for key, value in (config.get("Labels") or {}).items()
                        if key not in BOOKKEEPING_LABELS}
    view["Config"] = config
    host = dict(view.get("HostConfig") or {})
    if host.get("Mounts"):
        image_volumes, mounts = _image_volumes(image), []
        for mount in host["Mounts"]:
            if mount.get("Type") == "volume" and _ANONYMOUS_RE.match(mount.get("Source") or ""):
                if posixpath.normpath(mount.get("Target") or "/") in image_volumes:
                    continue
                mount = dict(mount, Source="")
            mounts.append(mount)
        host["Mounts"] = mounts
        view["HostConfig"] = host
    return view


def revision_of(container):
    try:
        return int(((container.get("Config") or {}).get("Labels") or {}).get(REVISION_LABEL) or 1)
    except ValueError:
        return 1


def previous_spec(container):
    """What the old container ran, read back from the engine: every option the table reads, in its
    canonical form, with the image reference and the exact image ID (enough to recreate it as it was)."""
    context = ContainerContext({}, {}, {})
    spec = {name: value for name, value in CONTAINER_OPTIONS.actual(as_created(container, None), context).items()
            if value not in (None, "", [], {}, False)}
    if spec.get("hostname") == (container.get("Id") or "")[:12]:
        spec.pop("hostname")  # the engine's default: the container's short ID
    spec["image"] = (container.get("Config") or {}).get("Image")
    spec["image_id"] = container.get("Image")
    return spec


def encode_spec(spec):
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
    if len(text) <= PREVIOUS_SPEC_INLINE_BYTES:
        return text
    packed = _COMPRESSED_PREFIX + base64.b64encode(zlib.compress(text.encode(), 9)).decode()
    return packed if len(packed) <= PREVIOUS_SPEC_MAX_BYTES else None


def decode_spec(value):
    """The previous spec from its label (for a rollback); None when there is none."""
    if not value:
        return None
    if value.startswith(_COMPRESSED_PREFIX):
        value = zlib.decompress(base64.b64decode(value[len(_COMPRESSED_PREFIX):])).decode()
    return json.loads(value)


def restore_params(previous):
    """The container options (as a task gives them) that recreate what a previous-spec label recorded:
    the exact image by ID, and the canonical values spelled back in the options' own input forms."""
    params = {key: value for key, value in previous.items() if key not in ("image", "image_id")}
    params["image"] = previous.get("image_id") or previous["image"]
    check = params.get("healthcheck")
    if check:
        spelled = {"disable": True} if check.get("Test") == ["NONE"] else {"test": check["Test"]}
        for key, api_key in (("interval", "Interval"), ("timeout", "Timeout"), ("start_period", "StartPeriod")):
            if check.get(api_key):
                spelled[key] = "%dns" % check[api_key]
        if check.get("Retries"):
            spelled["retries"] = check["Retries"]
        params["healthcheck"] = spelled
    if params.get("mounts"):
        params["mounts"] = [dict(mount, tmpfs_mode="%o" % mount["tmpfs_mode"]) if "tmpfs_mode" in mount else mount
                            for mount in params["mounts"]]
    return params


def successor_labels(old):
    """The bookkeeping labels of the container that replaces ``old``."""
    labels = {REVISION_LABEL: str(revision_of(old) + 1)}
    encoded = encode_spec(previous_spec(old))
    if encoded is not None:
        labels[PREVIOUS_SPEC_LABEL] = encoded
    return labels


def first_labels():
    return {REVISION_LABEL: "1"}


def proven(container):
    """Whether an interrupted recreate's new container got as far as running (and healthy, if checked)."""
    return (container is not None and state_of(container) == "running"
            and health_of(container) in (None, "healthy"))
