"""Parse the quantities users write: memory sizes, cpus, custom counts and host ports.

Internally every quantity is an integer so that sums never drift: cpus are millicpus,
memory is bytes, custom resources are counts.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ._errors import PlacementError, is_int, require_int

# Docker's convention: every unit is a power of 1024 ("512m" is 512 MiB), and the
# Kubernetes/IEC spellings ("512Mi", "1.5GiB") mean the same thing.
_MEMORY_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_MEMORY_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b?)|(b))?\s*$", re.IGNORECASE)
_MEMORY_HELP = "use bytes or a number with b, k, m, g, t, optionally followed by i/iB/B"

_CPUS_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m?)\s*$")
_PORT_RE = re.compile(r"^\s*(\d{1,5})(?:/(tcp|udp|sctp))?\s*$", re.IGNORECASE)


def parse_memory(value: object, path: str) -> int:
    """Bytes from an int or a size string such as ``512m``, ``1.5GiB`` or ``256Mi``."""
    if is_int(value) or isinstance(value, float):
        if value < 0:
            raise PlacementError(path, f"must be >= 0, got {value!r}")
        return int(value)
    if not isinstance(value, str):
        raise PlacementError(path, f"cannot parse {value!r} as a memory size ({_MEMORY_HELP})")
    match = _MEMORY_RE.match(value)
    if not match:
        raise PlacementError(path, f"cannot parse {value!r} as a memory size ({_MEMORY_HELP})")
    number, unit, bytes_unit = match.groups()
    multiplier = _MEMORY_UNITS[(unit or bytes_unit or "").lower()]
    return int(Decimal(number) * multiplier)


def parse_cpus(value: object, path: str) -> int:
    """Millicpus from a number of cpus (``0.5``) or a millicpu string (``500m``)."""
    if is_int(value) or isinstance(value, float):
        if value < 0:
            raise PlacementError(path, f"must be >= 0, got {value!r}")
        return int((Decimal(str(value)) * 1000).to_integral_value())
    match = _CPUS_RE.match(value) if isinstance(value, str) else None
    if not match:
        raise PlacementError(
            path, f"cannot parse {value!r} as cpus (use a number like 0.5 or millicpus like 500m)"
        )
    number, milli = match.groups()
    try:
        amount = Decimal(number)
    except InvalidOperation:  # pragma: no cover - the regex only lets digits through
        raise PlacementError(path, f"cannot parse {value!r} as cpus") from None
    return int(amount if milli else (amount * 1000).to_integral_value())


def parse_count(value: object, path: str) -> int:
    """A custom countable resource (``gpu: 2``): a whole number, never negative."""
    return require_int(value, path, 0)


def parse_port(value: object, path: str) -> str:
    """A host port as ``"<number>/<protocol>"``; plain numbers are tcp."""
    text = str(value) if is_int(value) else value
    match = _PORT_RE.match(text) if isinstance(text, str) else None
    if not match or not 1 <= int(match.group(1)) <= 65535:
        raise PlacementError(
            path,
            f"cannot parse {value!r} as a host port (use 1-65535, optionally followed by /tcp or /udp)",
        )
    return f"{int(match.group(1))}/{(match.group(2) or 'tcp').lower()}"


def format_cpus(millicpus: int) -> float | int:
    """Millicpus back to the number of cpus a user would write (``1500`` -> ``1.5``)."""
    return millicpus // 1000 if millicpus % 1000 == 0 else millicpus / 1000
