# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of flotilla.fleet.image_ship, declared once for its action plugin and its documentation stub.

The work happens on the controller (plugins/plugin_utils/_ship.py); this file only holds what both the action
plugin and the module file (validated by ansible-test against its DOCUMENTATION) need.
"""

from __future__ import annotations

from ansible_collections.flotilla.fleet.plugins.module_utils._client import CONNECTION_REQUIRED_TOGETHER, CONNECTION_SPEC

SHIP_CONTROL_SPEC = {
    "name": {"type": "str", "required": True},
    # The engine that has the image; its options are the usual connection options, without aliases.
    "source": {"type": "dict", "default": {},
               "options": {key: {k: v for k, v in spec.items() if k != "aliases"}
                           for key, spec in CONNECTION_SPEC.items()}},
}


def ship_argument_spec():
    """Connection options (the target engine, from the task or module_defaults) plus name and source."""
    spec = dict(CONNECTION_SPEC)
    spec.update(SHIP_CONTROL_SPEC)
    return spec


SHIP_REQUIRED_TOGETHER = list(CONNECTION_REQUIRED_TOGETHER)
