# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource limits of a container (cpus, memory, memory_reservation, pids_limit): grammar, engine checks,
and how each becomes HostConfig fields, on create and on an in-place update alike."""

from __future__ import annotations

from ansible_collections.flotilla.fleet.plugins.module_utils import _fleet
from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._options import contract, parse_size

# The engine's CFS quota is at least 1ms of a 100ms period: a smaller limit fails when the container starts.
SMALLEST_CPUS = 10  # millicpus


def normalize_cpus(value, field):
    millicpus = contract(_fleet.parse_millicpus, value, field, SMALLEST_CPUS,
                         "the smallest CPU limit the engine applies")
    if not millicpus:
        raise FleetError("%s: must be a positive number of CPUs such as 0.5 or 2, got %s" % (field, value))
    return millicpus / 1000


def cpus_on_engine(value, context):
    if value <= 1:
        return None  # every engine has one CPU: no need to ask it (GET /info is not free)
    available = context.engine.get("NCPU")
    if available and value > available:
        return "%s is more than the %d CPUs this engine has" % (_fleet.format_cpus(int(value * 1000)), available)
    return None


def read_cpus(inspected, context):
    return _fleet.cpus_from_nano((inspected.get("HostConfig") or {}).get("NanoCpus"))


def normalize_limit(value, field):
    size = parse_size(value, field)
    if size == 0:
        raise FleetError("%s: leave the option out for no limit; 0 is not a limit" % field)
    return size


def normalize_memory(value, field):
    size = normalize_limit(value, field)
    if size < 6 * 1024 * 1024:
        raise FleetError("%s: the Docker engine needs at least 6m, got %r" % (field, value))
    return size


# Limits are HostConfig fields: the create call takes them by the SDK's names, the update body by the
# API's. Each limit's conversion is written once (fields) and used for both.
_SDK_NAMES = {"Memory": "mem_limit", "MemorySwap": "memswap_limit", "MemoryReservation": "mem_reservation",
              "NanoCpus": "nano_cpus", "PidsLimit": "pids_limit"}


def _host_fields(fields):
    """(write, update) for an option whose value becomes the HostConfig fields ``fields(value)``."""
    def write(value, payload):
        payload["host"].update((_SDK_NAMES[key], item) for key, item in fields(value).items())

    def update(value, body):
        body.update(fields(value))
    return write, update


# memory is a hard limit: no swap beyond it, on create and on every update.
MEMORY = _host_fields(lambda value: {"Memory": value, "MemorySwap": value})
RESERVATION = _host_fields(lambda value: {"MemoryReservation": value})
CPUS = _host_fields(lambda value: {"NanoCpus": _fleet.nano_cpus(value)})
# An update with PidsLimit -1 lifts the limit (0 would mean "keep"): pids_limit can be removed in place.
PIDS = _host_fields(lambda value: {"PidsLimit": -1 if value is None else value})


def read_limit(key):
    # Engines report "no limit" as 0, -1 or null depending on version: all mean unlimited.
    def read(inspected, context):
        value = (inspected.get("HostConfig") or {}).get(key)
        return value if value and value > 0 else None
    return read
