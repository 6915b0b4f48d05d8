# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Durations and sizes as Compose's canonical output writes them (Go durations, byte counts)."""

from __future__ import annotations

import math
import re

from ._errors import StackError

_DURATION_PART_RE = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_NANOSECONDS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_duration(value, field: str) -> int:
    """Nanoseconds from ``1m30s``, ``500ms`` or a number of seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value * 10**9)
    text = str(value).strip()
    parts = _DURATION_PART_RE.findall(text)
    if not text or "".join(number + unit for number, unit in parts) != text:
        raise StackError(field, f"cannot parse {value!r} as a duration (such as 10s, 1m30s, 500ms)")
    return int(sum(float(number) * _NANOSECONDS[unit] for number, unit in parts))


def duration_seconds(value, field: str) -> int:
    """Whole seconds, rounded up (a grace period is never shortened)."""
    return math.ceil(parse_duration(value, field) / 10**9)


def parse_bytes(value, field: str) -> int:
    """Bytes from a count (Compose's canonical form) or ``64m`` (powers of 1024, as Compose reads them)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _SIZE_RE.match(str(value))
    if not match:
        raise StackError(field, f"cannot parse {value!r} as a size (such as 64m or 1g)")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])
