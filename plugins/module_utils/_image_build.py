# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build an image from a build context, once: the tag is a hash of what the build depends on.

The hash covers every file the engine would receive (the same ``.dockerignore`` rules as the SDK, which
sends the context) by path, type, permission bits and content, plus the Dockerfile name, the build
arguments and the target stage. Modification times are left out, so a fresh checkout of the same files
hashes the same. When the engine already has ``name:<hash>``, nothing is built.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._image import parse_reference
from ansible_collections.flotilla.fleet.plugins.module_utils._options import string_list, string_map

try:
    from docker.utils.build import exclude_paths
except ImportError:  # pragma: no cover - FleetModule reports the missing SDK first
    exclude_paths = None

KIND = "image"
HASH_LABEL = "flotilla.build.hash"
TAG_LENGTH = 16  # 64 bits of the sha256: enough to never collide among one repository's builds
_HASH_FORMAT = 1  # bump when what goes into the hash changes, so old tags are not trusted
_CHUNK = 1 << 20

BUILD_SPEC = {
    "name": {"type": "str", "required": True},
    "context": {"type": "path", "required": True},
    "dockerfile": {"type": "str", "default": "Dockerfile"},
    "build_args": {"type": "dict"},
    "target": {"type": "str"},
    "tags": {"type": "list", "elements": "str"},
}


def _where():
    return "on the host running the module (%s)" % socket.gethostname()


def read_dockerignore(context):
    """The .dockerignore patterns, read as the SDK reads them (blank lines and comments dropped)."""
    path = os.path.join(context, ".dockerignore")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [line.strip() for line in handle.read().splitlines() if line.strip() and not line.strip().startswith("#")]


def context_entries(context, dockerfile):
    """(relative path, kind, detail) of every file the SDK would send, sorted; detail is content-derived."""
    entries = []
    for relative in sorted(exclude_paths(context, read_dockerignore(context), dockerfile=dockerfile)):
        full = os.path.join(context, relative)
        info = os.lstat(full)
        mode = stat.S_IMODE(info.st_mode)
        if stat.S_ISLNK(info.st_mode):
            entries.append((relative, "link", os.readlink(full)))
        elif stat.S_ISDIR(info.st_mode):
            entries.append((relative, "dir", "%o" % mode))
        elif stat.S_ISREG(info.st_mode):
            entries.append((relative, "file", "%o:%s" % (mode, _file_digest(full))))
        # sockets and fifos are not sent by the SDK either
    return entries


def _file_digest(path):
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(chunk)
    except OSError as exc:
        raise FleetError("context: cannot read %s %s: %s" % (path, _where(), exc.strerror or exc))
    return digest.hexdigest()


def context_hash(context, dockerfile, build_args, target):
    """sha256 hex digest of the build's inputs: the context files and the build's own settings."""
    digest = hashlib.sha256()
    header = {"format": _HASH_FORMAT, "dockerfile": dockerfile, "build_args": sorted((build_args or {}).items()),
              "target": target}
    digest.update(json.dumps(header, sort_keys=True).encode() + b"\n")
    for entry in context_entries(context, dockerfile):
        digest.update(json.dumps(entry).encode() + b"\n")
    return digest.hexdigest()


def _repository(value):
    reference = parse_reference(value, "name")
    last = value.rsplit("/", 1)[-1]
    if ":" in last or "@" in value:
        raise FleetError("name: %r has a tag or digest; give the repository only (such as myapp/web): the tag is "
                         "the hash of the build context" % value)
    return reference.repository


class BuildRequest:
    """The build, validated and hashed before the engine is asked anything."""

    def __init__(self, params):
        self.repository = _repository(params["name"])
        self.context = os.path.abspath(os.path.expanduser(params["context"]))
        if not os.path.isdir(self.context):
            what = "does not exist" if not os.path.exists(self.context) else "is not a directory"
            raise FleetError("context: %s %s %s" % (self.context, what, _where()))
        self.dockerfile = params["dockerfile"]
        dockerfile_path = os.path.normpath(os.path.join(self.context, self.dockerfile))
        if os.path.isabs(self.dockerfile) or not dockerfile_path.startswith(self.context + os.sep):
            raise FleetError("dockerfile: %r must be a path inside the context %s" % (self.dockerfile, self.context))
        if not os.path.isfile(dockerfile_path):
            raise FleetError("dockerfile: %s does not exist %s" % (dockerfile_path, _where()))
        self.build_args = string_map(params["build_args"], "build_args") if params["build_args"] is not None else {}
        self.target = params["target"]
        self.tags = []
        for index, item in enumerate(string_list(params["tags"] or [], "tags")):
            reference = parse_reference(item, "tags[%d]" % index)
            if reference.digest:
                raise FleetError("tags[%d]: %r is a digest; a tag is a name such as myapp/web:latest" % (index, item))
            self.tags.append(str(reference))
        self.tags = sorted(set(self.tags))
        self.hash = context_hash(self.context, self.dockerfile, self.build_args, self.target)
        self.reference = "%s:%s" % (self.repository, self.hash[:TAG_LENGTH])


class BuildConverger:
    """Builds request.reference unless the engine has it; points the extra tags at it."""

    def __init__(self, engine, check_mode):
        self.engine = engine
        self.check_mode = check_mode

    def converge(self, request):
        image = self._inspect(request.reference)
        before = _summary(image)
        action = "unchanged"
        if image is None:
            action = "built"
            if not self.check_mode:
                self._build(request)
                image = self._inspect(request.reference)
                if image is None:
                    raise FleetError("Failed to build image %s on %s: the engine does not have it after the build"
                                     % (request.reference, self.engine.name))
        moved = self._tag(request, image)
        if moved and action == "unchanged":
            action = "tagged"
        if image is not None and not self.check_mode:
            image = self._inspect(image["Id"])
        after = _summary(image) if image is not None and not self.check_mode else {
            "id": (image or {}).get("Id"), "tags": sorted(set(before["tags"]) | {request.reference} | set(request.tags))}
        result = {"name": request.reference, "action": action, "changed": action != "unchanged",
                  "id": after["id"], "tags": after["tags"], "context_hash": request.hash}
        if action != "unchanged":
            result["diff"] = {"before": before, "after": after}
        return result

    def _build(self, request):
        with self.engine.action("build", KIND, "%s from %s" % (request.reference, request.context)):
            events = self.engine.api.build(
                path=request.context, tag=request.reference, dockerfile=request.dockerfile,
                buildargs=request.build_args or None, target=request.target, rm=True, forcerm=True,
                labels={HASH_LABEL: request.hash}, decode=True)
            for event in events:
                if isinstance(event, dict) and event.get("error"):
                    raise FleetError("Failed to build image %s from %s on %s: %s" % (
                        request.reference, request.context, self.engine.name, event["error"].strip()))

    def _tag(self, request, image):
        """Extra tags that point elsewhere (or nowhere) are moved to the image; returns them."""
        moved = []
        for tag in request.tags:
            current = self._inspect(tag)
            if current is not None and image is not None and current["Id"] == image["Id"]:
                continue
            moved.append(tag)
            if self.check_mode:
                continue
            repository, version = tag.rsplit(":", 1)
            with self.engine.action("tag", KIND, "%s as %s" % (request.reference, tag)):
                self.engine.api.tag(image["Id"], repository, version, force=True)
        return moved

    def _inspect(self, name):
        return self.engine.inspect_or_none(self.engine.api.inspect_image, KIND, name)


def _summary(image):
    if image is None:
        return {"id": None, "tags": []}
    return {"id": image["Id"], "tags": sorted(image.get("RepoTags") or [])}
