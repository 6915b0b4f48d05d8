"""The quantities users write (memory sizes, cpus, custom counts, host ports), read with the fleet grammars.

Internally every quantity is an integer so that sums never drift: cpus are millicpus,
memory is bytes, custom resources are counts. The grammars (and their wording) are the fleet
contract's, shared with the modules; this adapter only raises them as PlacementError.
"""

from __future__ import annotations

from ansible_collections.flotilla.fleet.plugins.module_utils import _fleet

from ._errors import PlacementError, require_int


def _placement_error(parse, value, path, *args):
    try:
        return parse(value, path, *args)
    except _fleet.ContractError as error:
        raise PlacementError(error.field, error.problem) from None


def parse_memory(value: object, path: str) -> int:
    """Bytes from an int or a size string such as ``512m``, ``1.5GiB`` or ``256Mi``."""
    return _placement_error(_fleet.parse_size, value, path)


def parse_cpus(value: object, path: str) -> int:
    """Millicpus from a number of cpus (``0.5``) or a millicpu string (``500m``)."""
    return _placement_error(_fleet.parse_millicpus, value, path)


def parse_count(value: object, path: str) -> int:
    """A custom countable resource (``gpu: 2``): a whole number, never negative."""
    return require_int(value, path, 0)


def parse_port(value: object, path: str) -> str:
    """The host port a published port takes, as ``"<number>/<protocol>"``.

    One grammar with the container's ``ports``: ``127.0.0.1:8080:80`` takes host port 8080. A port
    without a host part (``8080``, ``53/udp``) is read as the host port, the scheduler's own spelling.
    """
    port = _placement_error(_fleet.parse_port, value, path)
    if port["host_port"]:
        return "%s/%s" % (port["host_port"], port["protocol"])
    if isinstance(value, str) and ":" in value or isinstance(value, dict):
        # 127.0.0.1::80 or {container_port: 80}: the engine picks a free port, nothing to reserve.
        raise PlacementError(path, "%r takes any free host port; list only fixed host ports here" % (value,))
    return "%d/%s" % (port["container_port"], port["protocol"])


format_cpus = _fleet.format_cpus
