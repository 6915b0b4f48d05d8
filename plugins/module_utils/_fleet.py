# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet contract: what the scheduler, the modules and the roles agree on, written once.

Labels that mark our containers, the name of a replica's container, and the size, CPU and port
grammars (sizes in bytes, CPUs in millicpus, ports as dicts; one wording for every error). Pure Python, no Ansible and no Docker import: the modules, the
``host_info`` facts, the placement package and the stack model all import it.
"""

from __future__ import annotations

import ipaddress
import math
import re
from decimal import Decimal

# --- labels ----------------------------------------------------------------------------------------
LABEL_PREFIX = "flotilla."
# The stack (the ``containers`` module's ``project``) a container belongs to.
STACK_LABEL = "flotilla.stack"
# Containers created before the stack label existed carry this one; read it, never write it.
LEGACY_PROJECT_LABEL = "flotilla.project"
SERVICE_LABEL = "flotilla.service"
REPLICA_LABEL = "flotilla.replica"
# A hash of the spec the container was created from: "unchanged" is one label comparison.
SPEC_HASH_LABEL = "flotilla.spec-hash"
# A counter that goes up by one each time the replica's container is replaced.
REVISION_LABEL = "flotilla.revision"
# The full spec (JSON) of the replica's previous revision, so a rollback needs no controller state.
PREVIOUS_SPEC_LABEL = "flotilla.previous-spec"

# Labels a user may set; every other flotilla.* label is the collection's bookkeeping.
USER_SETTABLE_LABELS = frozenset((STACK_LABEL, LEGACY_PROJECT_LABEL, SERVICE_LABEL, REPLICA_LABEL))
# The resource names the engine takes for a ulimit (moby's go-units): checked by the container option and the
# Compose mapping alike.
ULIMIT_NAMES = ("core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc",
                "rss", "rtprio", "rttime", "sigpending", "stack")


class ContractError(ValueError):
    """Bad input to a contract grammar. ``str(error)`` is ``"<field>: <what is wrong>"``."""

    def __init__(self, field, problem):
        super().__init__("%s: %s" % (field, problem))
        self.field = field
        self.problem = problem


def container_name(stack, service, replica):
    """The container of replica ``replica`` (1-based) of ``service`` in ``stack``: ``<stack>-<service>-<n>``."""
    return "%s-%s-%d" % (stack, service, int(replica))


def stack_of(labels):
    """The stack a container's labels say it belongs to (new label first, then the legacy one)."""
    labels = labels or {}
    return labels.get(STACK_LABEL) or labels.get(LEGACY_PROJECT_LABEL)


# --- grammars --------------------------------------------------------------------------------------
# One spelling of sizes, CPUs and ports for the modules, the host facts and the scheduler. Each parser
# takes what the user wrote and the field it came from, and raises ContractError naming that field.

SIZE_HELP = "use bytes or a number with k, m, g or t, e.g. 512m"
# Docker's convention: every unit is a power of 1024 ("512m" is 512 MiB); the IEC and Kubernetes
# spellings (512Mi, 1.5GiB) and the "B" ones (2MB) mean the same thing.
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:ib?|b)?|(b))?\s*$", re.IGNORECASE)
# The engine keeps sizes in a signed 64-bit integer; anything larger fails deep in its JSON decoder.
LARGEST_SIZE = 2 ** 63 - 1


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(value, field, what):
    if isinstance(value, float) and not math.isfinite(value):
        raise ContractError(field, "expected %s, got %r" % (what, value))


def parse_size(value, field):
    """Bytes from a whole number of bytes or a size such as ``512m``, ``1g``, ``1.5GiB``, ``512Mi``, ``2MB``."""
    if not (_is_number(value) or isinstance(value, str)):
        raise ContractError(field, "expected a size such as 512m or 1g, got %r" % (value,))
    _finite(value, field, "a size such as 512m or 1g")
    if _is_number(value):
        if value < 0:
            raise ContractError(field, "must not be negative, got %r" % (value,))
        size = int(value)
    else:
        match = _SIZE_RE.match(value)
        if not match:
            raise ContractError(field, "cannot parse %r as a size (%s)" % (value, SIZE_HELP))
        number, unit, bytes_unit = match.groups()
        size = int(Decimal(number) * _SIZE_UNITS[(unit or bytes_unit or "").lower()])
    if size > LARGEST_SIZE:
        raise ContractError(field, "%r is more than the engine can hold (at most 8 EiB, 2^63-1 bytes)" % (value,))
    return size


def format_size(size):
    """Bytes as a user writes them: the largest unit that divides them (``268435456`` -> ``256m``)."""
    for unit in ("t", "g", "m", "k"):
        if size and size % _SIZE_UNITS[unit] == 0:
            return "%d%s" % (size // _SIZE_UNITS[unit], unit)
    return str(size)


CPUS_HELP = "use a number of CPUs such as 0.5 or millicpus such as 500m"
_CPUS_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m?)\s*$")


def parse_millicpus(value, field, smallest=1, smallest_is="the smallest amount of CPU"):
    """Millicpus (an integer, so sums never drift) from a number of CPUs (``0.5``) or millicpus (``500m``).

    0 is "no CPUs"; any other amount that comes out below ``smallest`` millicpus is refused rather than
    silently rounded to nothing.
    """
    if _is_number(value):
        _finite(value, field, "a number of CPUs such as 0.5 or 500m")
        if value < 0:
            raise ContractError(field, "must not be negative, got %r" % (value,))
        amount = Decimal(str(value)) * 1000
    else:
        match = _CPUS_RE.match(value) if isinstance(value, str) else None
        if not match:
            raise ContractError(field, "cannot parse %r as cpus (%s)" % (value, CPUS_HELP))
        number, milli = match.groups()
        amount = Decimal(number) if milli else Decimal(number) * 1000
    millicpus = int(amount.to_integral_value())
    if amount and millicpus < smallest:
        raise ContractError(field, "%s is below %s (%dm), %s" % (value, format_cpus(smallest), smallest, smallest_is))
    return millicpus


def format_cpus(millicpus):
    """Millicpus as the number of CPUs a user writes (``1500`` -> ``1.5``, ``2000`` -> ``2``)."""
    return millicpus // 1000 if millicpus % 1000 == 0 else millicpus / 1000


def nano_cpus(cpus):
    """The engine's NanoCpus for a number of CPUs."""
    return int(round(cpus * 1e9))


def cpus_from_nano(nano):
    """A number of CPUs (to the millicpu) from the engine's NanoCpus; None when there is no limit."""
    return round(nano / 1e9, 3) if nano else None


PORT_HELP = "use [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]"
PROTOCOLS = ("tcp", "udp", "sctp")
PORT_KEYS = ("container_port", "host_port", "host_ip", "protocol")
_PORT_RE = re.compile(
    r"^(?:(?:(?P<ip>\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(?P<host>\d*):)?(?P<port>\d+)(?:/(?P<proto>\w+))?$")


def _port_number(value, field):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ContractError(field, "%r is not a port number" % (value,))
    if not 1 <= number <= 65535:
        raise ContractError(field, "port %d is out of range 1-65535" % number)
    return number


def parse_host_ip(value, field):
    """A host address in canonical form; left out ("") the engine binds every address, IPv4 and IPv6."""
    if not value:
        return ""
    try:
        return str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        raise ContractError(field, "%r is not an IP address" % (value,))


def parse_port(item, field):
    """A published port, ``[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`` or a dict of PORT_KEYS ->
    ``{container_port: int, protocol, host_ip: "" for all, host_port: "" for any free one, else digits}``."""
    if _is_number(item) and isinstance(item, int):
        item = str(item)
    if isinstance(item, str):
        match = _PORT_RE.match(item.strip())
        if not match:
            raise ContractError(field, "cannot parse %r as a port (%s)" % (item, PORT_HELP))
        parts = match.groupdict()
    elif isinstance(item, dict):
        unknown = set(item) - set(PORT_KEYS)
        if unknown:
            raise ContractError(field, "unknown key(s) %s (use %s)" % (", ".join(sorted(unknown)), ", ".join(PORT_KEYS)))
        if item.get("container_port") is None:
            raise ContractError(field + ".container_port", "required")
        parts = {"ip": item.get("host_ip"), "host": item.get("host_port"), "port": item["container_port"],
                 "proto": item.get("protocol")}
    else:
        raise ContractError(field, "expected a string such as '127.0.0.1:8080:80' or a dictionary, got %r" % (item,))
    protocol = str(parts["proto"] or "tcp").lower()
    if protocol not in PROTOCOLS:
        raise ContractError(field, "protocol %r is not one of %s" % (protocol, ", ".join(PROTOCOLS)))
    host_port = "" if parts["host"] in ("", None) else str(_port_number(parts["host"], field))
    return {"container_port": _port_number(parts["port"], field), "protocol": protocol,
            "host_ip": parse_host_ip(parts["ip"], field), "host_port": host_port}
