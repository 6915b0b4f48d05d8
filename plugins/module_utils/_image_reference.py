# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image references (repo/name[:tag][@digest], or an image ID) parsed into the form the engine reports."""

from __future__ import annotations

import re

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError

DOCKER_HUB = "https://index.docker.io/v1/"

# The reference grammar of distribution/reference, reduced to what tells its parts apart.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH_RE = re.compile(r"^(?P<path>%s(?:/%s)*)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
                      r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?$" % (_COMPONENT, _COMPONENT))
_DOMAIN_RE = re.compile(r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
                        r"(?::[0-9]{1,5})?$")
_ID_RE = re.compile(r"^sha256:[a-f0-9]{64}$")


class Reference:
    """A parsed image reference, in the familiar form the engine reports in RepoTags (busybox:latest)."""

    def __init__(self, repository, tag=None, digest=None, image_id=None):
        self.repository = repository
        self.tag = tag
        self.digest = digest
        self.image_id = image_id

    def __str__(self):
        if self.image_id:
            return self.image_id
        if self.digest:
            return "%s@%s" % (self.repository, self.digest)
        return "%s:%s" % (self.repository, self.tag)

    @property
    def registry(self):
        """The registry that holds the repository: its first component when that is a host name."""
        first, slash, rest = self.repository.partition("/")
        return first if slash and rest and _is_domain(first) else DOCKER_HUB


def _is_domain(component):
    # Docker's rule: a first component is a registry host when it has a dot or a port, or is localhost.
    return ("." in component or ":" in component or component == "localhost") and bool(_DOMAIN_RE.match(component))


def parse_reference(value, field, allow_id=False):
    """repo/name[:tag][@digest] (or, with allow_id, sha256:<id>) -> Reference; errors name field."""
    text = str(value).strip()
    if _ID_RE.match(text):
        if allow_id:
            return Reference(None, image_id=text)
        raise FleetError("%s: %s is an image ID; an ID is only accepted with state absent or source local"
                         % (field, text))
    first, slash, rest = text.partition("/")
    domain, remainder = (first, rest) if slash and rest and _is_domain(first) else (None, text)
    match = _PATH_RE.match(remainder)
    if not match:
        raise FleetError("%s: %r is not an image reference such as repo/name:tag or repo/name@sha256:<digest>"
                         % (field, value))
    path = match.group("path")
    # docker.io/library/x and x name the same image; the engine reports the short form.
    if domain in ("docker.io", "index.docker.io"):
        domain = None
        if path.startswith("library/") and path.count("/") == 1:
            path = path[len("library/"):]
    repository = "%s/%s" % (domain, path) if domain else path
    if match.group("digest"):
        return Reference(repository, tag=match.group("tag"), digest=match.group("digest"))
    return Reference(repository, tag=match.group("tag") or "latest")
