# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make an image present on (or absent from) one engine: pull, load a ``docker save`` archive, tag, remove.

Idempotent by image ID. An image ID is the sha256 of the image's config blob, so the ID of every image in
an archive is known by hashing a few kilobytes of it, before anything is sent to the engine: an archive
whose images the engine already has is not loaded again.

The one pull path (:func:`pull_image`) and the per-task :class:`ImageCache` of the container modules live
here too, so both modules pull the same way.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import tarfile
import threading

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._image_reference import parse_reference
from ansible_collections.flotilla.fleet.plugins.module_utils._options import Option, OptionTable, string_list

KIND = "image"
# What the engine also takes as an ID: the short or unprefixed forms (only for container images).
_ANY_ID_RE = re.compile(r"^(sha256:)?[0-9a-f]{12,64}$")

# Options about what to do, with their defaults (the option table below holds what the image should be).
CONTROL_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "source": {"type": "str", "default": "pull", "choices": ["pull", "load", "local"]},
    "pull_policy": {"type": "str", "default": "missing", "choices": ["missing", "always"]},
    "force": {"type": "bool", "default": False},
}


def _normalize_tags(value, field):
    tags = []
    for index, item in enumerate(string_list(value, field)):
        reference = parse_reference(item, "%s[%d]" % (field, index))
        if reference.digest:
            raise FleetError("%s[%d]: %r is a digest; a tag is a name such as repo/name:v1" % (field, index, item))
        tags.append(str(reference))
    return sorted(set(tags))


def _normalize_load_path(value, field):
    return os.path.abspath(os.path.expanduser(value))


IMAGE_OPTIONS = OptionTable([
    Option("load_path", type="path", normalize=_normalize_load_path),
    # raw, not str: Ansible would turn tags: [5] into "5" (and then 5:latest) before we could refuse it.
    Option("tags", type="list", elements="raw", normalize=_normalize_tags),
    Option("username"),
    Option("password", no_log=True),
])


def image_argument_spec():
    spec = dict(CONTROL_SPEC)
    spec.update(IMAGE_OPTIONS.argument_spec())
    return spec


# --- docker save archives ---------------------------------------------------------------------------

def read_archive(path):
    """[(image_id, [repo tags])] of a docker save archive (plain or compressed), from its manifest.json.

    Reads only the manifest and the config blobs; errors name load_path.
    """
    where = "on the host running the module (%s)" % socket.gethostname()
    if not os.path.exists(path):
        raise FleetError("load_path: file %s does not exist %s" % (path, where))
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise FleetError("load_path: %s is not a readable file %s" % (path, where))
    try:
        with tarfile.open(path, "r:*") as archive:
            manifest = _json_member(archive, path, "manifest.json")
            if not isinstance(manifest, list) or not manifest:
                raise FleetError("load_path: %s: manifest.json lists no images" % path)
            images = []
            for entry in manifest:
                config_name = entry.get("Config") if isinstance(entry, dict) else None
                if not config_name:
                    raise FleetError("load_path: %s: an entry of manifest.json has no Config" % path)
                config = _member_bytes(archive, path, config_name)
                tags = [str(parse_reference(tag, "load_path: %s: RepoTags" % path))
                        for tag in entry.get("RepoTags") or []]
                images.append(("sha256:" + hashlib.sha256(config).hexdigest(), sorted(tags)))
            return images
    except (tarfile.ReadError, EOFError):
        raise FleetError("load_path: %s is not a docker save archive (a tar file, optionally compressed)" % path)
    except (tarfile.TarError, OSError) as exc:
        raise FleetError("load_path: cannot read %s: %s" % (path, exc))


def _member_bytes(archive, path, name):
    member = None
    for candidate in (name, "./" + name):  # archives repacked with tar -C dir . name their members ./x
        try:
            member = archive.extractfile(candidate)
            break
        except KeyError:
            continue
    if member is None:
        raise FleetError("load_path: %s has no %s; is it a docker save archive?" % (path, name))
    return member.read()


def _json_member(archive, path, name):
    try:
        return json.loads(_member_bytes(archive, path, name))
    except ValueError as exc:
        raise FleetError("load_path: %s: %s is not valid JSON: %s" % (path, name, exc))


# --- the request ------------------------------------------------------------------------------------

class ImageRequest:
    """What the user asked for, validated (archive included) before the engine is asked anything."""

    def __init__(self, params):
        self.state = params["state"]
        self.source = params["source"]
        self.pull_policy = params["pull_policy"]
        self.force = params["force"]
        desired = IMAGE_OPTIONS.normalize(params)
        self.tags = desired.get("tags", [])
        self.load_path = desired.get("load_path")
        self.username, self.password = desired.get("username"), desired.get("password")
        local_ok = self.state == "absent" or self.source == "local"
        self.reference = parse_reference(params["name"], "name", allow_id=local_ok)
        self._check_combinations(params)
        self.archive = read_archive(self.load_path) if self.source == "load" and self.state == "present" else None
        self.archive_image = self._archive_image() if self.archive else None

    def _check_combinations(self, params):
        name = params["name"]
        if self.state == "absent":
            for option in ("tags", "load_path", "username", "password"):
                if params.get(option) is not None:
                    raise FleetError("%s: only with state present" % option)
            return
        if self.source == "load" and not self.load_path:
            raise FleetError("load_path: required with source load")
        if self.source != "load" and self.load_path:
            raise FleetError("load_path: only with source load (source is %s)" % self.source)
        if self.source == "load" and self.reference.digest:
            raise FleetError("name: %s is a digest reference; archives carry tags, not registry digests" % name)
        if self.username is None and self.password is not None:
            raise FleetError("username: required with password")
        if self.password is None and self.username is not None:
            raise FleetError("password: required with username")
        if self.username is not None and self.source != "pull":
            raise FleetError("username: registry credentials are only used with source pull")
        if self.pull_policy == "always" and self.source != "pull":
            raise FleetError("pull_policy: always needs source pull (source is %s)" % self.source)
        if self.force:
            raise FleetError("force: only with state absent")

    def _archive_image(self):
        """The archive's image that name stands for: the one tagged name, or the only one."""
        wanted = str(self.reference)
        for image_id, tags in self.archive:
            if wanted in tags:
                return image_id, tags
        if len(self.archive) == 1:
            return self.archive[0]
        raise FleetError("name: %s is not in %s (it holds %s)" % (
            wanted, self.load_path, ", ".join(", ".join(tags) or image_id for image_id, tags in self.archive)))


# --- converging -------------------------------------------------------------------------------------

class ImageConverger:
    """Brings one image reference to its request; converge() returns a result dict (with diff when changed)."""

    def __init__(self, engine, check_mode):
        self.engine = engine
        self.check_mode = check_mode

    def converge(self, request):
        current = self._inspect(str(request.reference))
        if request.state == "absent":
            return self._remove(request, current)
        before = _summary(current)
        if request.source == "load":
            image_id, action, wanted = self._load(request)
        elif request.source == "pull":
            image_id, action = self._pull(request, current)
            wanted = {tag: image_id for tag in request.tags}
        else:
            if current is None:
                raise FleetError("name: image %s is not on %s; use source pull or load"
                                 % (request.reference, self.engine.name))
            image_id, action = current["Id"], "unchanged"
            wanted = {tag: image_id for tag in request.tags}
        retagged = self._tag(request, wanted)
        if retagged and action == "unchanged":
            action = "tagged"
        image = self._inspect(image_id) if image_id and not self.check_mode else None
        if image is not None:
            after = _summary(image)
        else:  # check mode: what the engine will have, predicted from what it has now
            existing = self._inspect(image_id) if image_id else None
            after = {"id": image_id, "tags": sorted(set(_summary(existing)["tags"])
                                                    | {tag for tag, target in wanted.items() if target == image_id})}
        return self._result(request, action, before, after, image)

    # --- sources ------------------------------------------------------------------------------------
    def _load(self, request):
        """Load the archive unless the engine has all its images; returns (id, action, {tag: wanted id})."""
        image_id = request.archive_image[0]
        wanted = {tag: entry_id for entry_id, tags in request.archive for tag in tags}
        wanted.update((tag, image_id) for tag in request.tags)
        if not request.reference.image_id:
            wanted[str(request.reference)] = image_id
        if all(self._inspect(image[0]) is not None for image in request.archive):
            return image_id, "unchanged", wanted
        if not self.check_mode:
            self._send_archive(request)
            if self._inspect(image_id) is None:
                raise FleetError("Failed to load image %s on %s: the engine does not have %s after loading %s"
                                 % (request.reference, self.engine.name, image_id, request.load_path))
        # The load puts the archive's own tags in place; _tag sees them done (or, in check mode, predicts them).
        return image_id, "loaded", wanted

    def _send_archive(self, request):
        with self.engine.action("load", KIND, "%s from %s" % (request.reference, request.load_path)):
            with open(request.load_path, "rb") as stream:  # requests streams the file object in chunks
                for event in self.engine.api.load_image(stream, quiet=True) or []:
                    if isinstance(event, dict) and event.get("error"):
                        raise FleetError("Failed to load image %s from %s on %s: %s" % (
                            request.reference, request.load_path, self.engine.name, event["error"]))

    def _pull(self, request, current):
        if current is not None and request.pull_policy == "missing":
            return current["Id"], "unchanged"
        if self.check_mode:
            # Whether an existing image would change is known only after asking the registry.
            return (current or {}).get("Id"), "pulled"
        auth = None
        if request.username is not None:
            auth = {"username": request.username, "password": request.password,
                    "serveraddress": request.reference.registry}
        name = str(request.reference)
        pulled = pull_image(self.engine, name, auth)
        if pulled is None:
            raise FleetError("Failed to pull image %s on %s: the engine does not have it after the pull"
                             % (name, self.engine.name))
        return pulled["Id"], "unchanged" if current and current["Id"] == pulled["Id"] else "pulled"

    # --- tags and removal ---------------------------------------------------------------------------
    def _tag(self, request, wanted):
        """Point every tag of wanted at its image; returns the tags that had to move (or would have to)."""
        moved = []
        for tag in sorted(wanted):
            target = self._inspect(tag)
            if target is not None and target["Id"] == wanted[tag]:
                continue
            moved.append(tag)
            if self.check_mode:
                continue
            if wanted[tag] is None:
                raise FleetError("Failed to tag image %s as %s on %s: the image is not there"
                                 % (request.reference, tag, self.engine.name))
            repository, version = tag.rsplit(":", 1)
            with self.engine.action("tag", KIND, "%s as %s" % (request.reference, tag)):
                self.engine.api.tag(wanted[tag], repository, version, force=True)
        return moved

    def _remove(self, request, current):
        if current is None:
            return self._result(request, "unchanged", None, None, None)
        before = _summary(current)
        if self.check_mode:
            # Removing one of several tags only untags; removing the last one (or the ID) deletes the image.
            remaining = [tag for tag in before["tags"] if tag != str(request.reference)]
            untag = bool(remaining) and request.reference.image_id is None
            after = {"id": current["Id"] if untag else None, "tags": remaining if untag else []}
            return self._result(request, "removed", before, after, None)
        with self.engine.action("remove", KIND, str(request.reference)):
            self.engine.api.remove_image(str(request.reference), force=request.force)
        image = self._inspect(current["Id"])
        return self._result(request, "removed", before, _summary(image), image)

    # --- engine reads and results -------------------------------------------------------------------
    def _inspect(self, name):
        return inspect_image(self.engine, name)

    def _result(self, request, action, before, after, image):
        """image: the engine's inspect of the image after the task, when there is one (not in check mode)."""
        result = {"name": str(request.reference), "action": action, "changed": action != "unchanged",
                  "id": (after or {}).get("id"), "tags": (after or {}).get("tags", []),
                  "digests": sorted((image or {}).get("RepoDigests") or [])}
        if action != "unchanged":
            result["diff"] = {"before": before, "after": after}
        return result


def _summary(image):
    if image is None:
        return {"id": None, "tags": []}
    return {"id": image["Id"], "tags": sorted(image.get("RepoTags") or [])}


# --- the one pull path, and the image cache of the container modules ------------------------------------

def inspect_image(engine, name):
    return engine.inspect_or_none(engine.api.inspect_image, KIND, name)


def pull_image(engine, name, auth=None):
    """Pull name (the SDK splits name, tag and @digest); the engine's inspect of it after, None if absent.

    Streamed, because the engine reports a failed pull as an error event in a successful response.
    """
    with engine.action("pull", KIND, name):
        for event in engine.api.pull(name, auth_config=auth, stream=True, decode=True):
            if isinstance(event, dict) and event.get("error"):
                raise FleetError("Failed to pull image %s on %s: %s" % (name, engine.name, event["error"]))
    return inspect_image(engine, name)


class ImageCache:
    """Each image of a task inspected, and pulled when missing, once, however many containers use it.

    One lock per (reference, pull policy), never one for the whole cache: containers of one missing image
    wait for its single pull, while different images pull at the same time. Failures are kept too, so a
    missing image is not pulled again for each of its containers.
    """

    def __init__(self, engine):
        self.engine = engine
        self._outcomes = {}
        self._locks = {}
        self._locks_guard = threading.Lock()  # guards _locks only: never held across an engine call

    def get(self, reference, pull, check_mode):
        key = (reference, pull)
        with self._locks_guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._outcomes:
                try:
                    self._outcomes[key] = (self._resolve(reference, pull, check_mode), None)
                except FleetError as exc:
                    self._outcomes[key] = (None, exc)
            image, error = self._outcomes[key]
        if error is not None:
            raise FleetError(str(error))
        return image

    def _resolve(self, reference, pull, check_mode):
        image = inspect_image(self.engine, reference)
        if image is not None:
            return image
        # An image ID names content that only exists where it was built or loaded: there is nothing to pull.
        pullable = pull == "missing" and not _ANY_ID_RE.match(reference)
        if pullable and check_mode:
            return None  # would be pulled; the plan says "created" / "recreated"
        if pullable:
            image = pull_image(self.engine, reference)
            if image is not None:
                return image
        if _ANY_ID_RE.match(reference):
            hint = "an image ID cannot be pulled"
        elif pull == "never":
            hint = "pull is never"
        else:
            hint = "pulling it did not bring it"
        raise FleetError("Image %s is not present on %s (%s); load it with flotilla.fleet.image"
                         % (reference, self.engine.name, hint))
