# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values from Ansible's templating (tagged, or marked unsafe) as plain dicts, lists and strings, for the
pure packages, which compare and hash them."""

from __future__ import annotations

from collections.abc import Mapping


def plain(value):
    """Tagged or unsafe-wrapped values -> plain dicts, lists and str (other scalars unchanged)."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value
