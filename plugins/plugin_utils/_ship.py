# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ship an image from one engine to another through the controller, without a registry.

``docker save`` on the source is read in chunks and each chunk is written to ``docker load`` on the target
as it arrives (a chunked HTTP request), so the controller holds one chunk at a time and writes no file.
Idempotent by image ID: a target that has the image gets nothing (at most a missing tag).
"""

from __future__ import annotations

import time

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._image import parse_reference

KIND = "image"
CHUNK_SIZE = 1 << 20  # 1 MiB: large enough for throughput, small enough to be the only buffer


class ShipRequest:
    def __init__(self, params):
        self.reference = parse_reference(params["name"], "name", allow_id=True)
        self.name = str(self.reference)
        # A tag travels in the archive and is checked on the target; an ID has no tag to carry.
        self.tag = None if self.reference.image_id else self.name


class CountingStream:
    """Passes chunks through, lazily, counting bytes; errors of the source are worded for the source."""

    def __init__(self, engine, name, chunks):
        self.engine = engine
        self.name = name
        self.chunks = chunks
        self.bytes = 0

    def __iter__(self):
        with self.engine.action("save", KIND, self.name):
            for chunk in self.chunks:
                self.bytes += len(chunk)
                yield chunk


class Shipper:
    """Makes request's image present on target, taking it from source when target lacks it."""

    def __init__(self, source, target, check_mode, chunk_size=CHUNK_SIZE):
        self.source = source
        self.target = target
        self.check_mode = check_mode
        self.chunk_size = chunk_size

    def ship(self, request):
        image = self.source.inspect_or_none(self.source.api.inspect_image, KIND, request.name)
        if image is None:
            raise FleetError("name: image %s is not on the source engine %s; build or load it there first"
                             % (request.name, self.source.name))
        image_id = image["Id"]
        present = self._inspect(image_id)
        before = _summary(present)
        action, sent, seconds = "unchanged", 0, 0.0
        if present is None:
            action = "shipped"
            if not self.check_mode:
                sent, seconds = self._stream(request, image_id)
        if request.tag and self._tag(request, image_id) and action == "unchanged":
            action = "tagged"
        if self.check_mode:
            after = {"id": image_id, "tags": sorted(set(before["tags"]) | ({request.tag} if request.tag else set()))}
        else:
            after = _summary(self._inspect(image_id))
        result = {"name": request.name, "id": image_id, "action": action, "changed": action != "unchanged",
                  "tags": after["tags"], "bytes": sent, "seconds": round(seconds, 3),
                  "source": self.source.name, "target": self.target.name}
        if action != "unchanged":
            result["diff"] = {"before": before, "after": after}
        return result

    def _stream(self, request, image_id):
        """docker save | docker load, chunk by chunk; returns (bytes sent, seconds)."""
        started = time.monotonic()
        with self.source.action("save", KIND, request.name):
            chunks = self.source.api.get_image(request.tag or image_id, chunk_size=self.chunk_size)
        stream = CountingStream(self.source, request.name, chunks)
        with self.target.action("load", KIND, "%s from %s" % (request.name, self.source.name)):
            for event in self.target.api.load_image(iter(stream), quiet=True) or []:
                if isinstance(event, dict) and event.get("error"):
                    raise FleetError("Failed to load image %s on %s: %s" % (request.name, self.target.name, event["error"]))
        if self._inspect(image_id) is None:
            raise FleetError("Failed to load image %s on %s: the engine does not have %s after loading %d bytes"
                             % (request.name, self.target.name, image_id, stream.bytes))
        return stream.bytes, time.monotonic() - started

    def _tag(self, request, image_id):
        """Point request.tag at the image on the target when it points elsewhere; True when it had to."""
        current = self._inspect(request.tag)
        if current is not None and current["Id"] == image_id:
            return False
        if not self.check_mode:
            repository, version = request.tag.rsplit(":", 1)
            with self.target.action("tag", KIND, "%s as %s" % (image_id, request.tag)):
                self.target.api.tag(image_id, repository, version, force=True)
        return True

    def _inspect(self, name):
        return self.target.inspect_or_none(self.target.api.inspect_image, KIND, name)


def _summary(image):
    if image is None:
        return {"id": None, "tags": []}
    return {"id": image["Id"], "tags": sorted(image.get("RepoTags") or [])}
