# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the network and volume modules share: one named engine resource that Docker cannot change in place.

The controls (``name``, ``state``, ``recreate``, ``force``) and their checks, the label normaliser, when a
difference means a recreate, and the wording of a refused one, written once.
"""

from __future__ import annotations

import json
import re

from ansible_collections.flotilla.fleet.plugins.module_utils._client import InvalidInput, ResourceConflict
from ansible_collections.flotilla.fleet.plugins.module_utils._options import string_map

CONTROL_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "recreate": {"type": "str", "default": "never", "choices": ["never", "options-changed", "always"]},
    "force": {"type": "bool", "default": False},
}
_NAME_CHARACTERS = "letters, digits, '_', '.', '-'; starting with a letter or digit"
# Docker's own rules: one character or more for a network, two or more for a volume.
_NAME_RES = {1: re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$"), 2: re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")}


def control_spec():
    return dict(CONTROL_SPEC)


def check_name(name, kind, min_length=1):
    if not _NAME_RES[min_length].match(name):
        count = "two or more " if min_length == 2 else ""
        raise InvalidInput("name: %r is not a valid %s name (%s%s)" % (name, kind, count, _NAME_CHARACTERS))


def labels(value, field):
    """A label map: string keys and values, no empty key."""
    result = string_map(value, field)
    if "" in result:
        raise InvalidInput("%s: a label needs a non-empty key" % field)
    return result


class ResourceRequest:
    """The controls every resource request has, read and checked before its own options are."""

    kind = "resource"
    min_name_length = 1

    def __init__(self, params):
        self.name = params["name"]
        self.state = params["state"]
        self.recreate = params["recreate"]
        self.force = params["force"]
        check_name(self.name, self.kind, self.min_name_length)

    def check_force(self):
        if self.force and self.state != "absent":
            raise InvalidInput("force: applies to state absent only; to allow a recreate, set recreate")


def recreate_wanted(request, changes):
    """True when the resource is to be created anew: asked for always, or an option differs."""
    return request.recreate == "always" or bool(changes)


def refuse_unallowed_recreate(request, engine, changes, diff, consequence):
    """An option differs and recreate is never: fail, listing each difference and what a recreate would do."""
    if not changes or request.recreate != "never":
        return
    details = ", ".join("%s (%s -> %s)" % (name, _dumps(diff["before"][name]), _dumps(diff["after"][name]))
                        for name in changes)
    raise ResourceConflict("%s %s on %s differs in options Docker cannot change in place: %s. Recreating it %s; "
                           "set recreate: options-changed to allow that"
                           % (request.kind.capitalize(), request.name, engine.name, details, consequence))


def describe_containers(names):
    """'container a' or 'containers a, b', sorted."""
    names = sorted(names)
    return ("container " if len(names) == 1 else "containers ") + ", ".join(names)


def them(names):
    return "it" if len(names) == 1 else "them"


def _dumps(value):
    return json.dumps(value, sort_keys=True)
