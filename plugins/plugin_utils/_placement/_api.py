"""The package's entry point: ``place(services, hosts, options) -> result dict``.

Pure Python, no Ansible: the lookup plugin, the tests and the benchmark all call this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ._errors import PlacementError, require_list
from ._model import Host, Options, Service
from ._output import result, unchanged
from ._parse_hosts import parse_host
from ._parse_services import parse_options, parse_services
from ._preempt import preempt
from ._rebalance import rebalance
from ._scheduler import Run

__all__ = ["PlacementError", "place", "place_hosts"]


def place(services: object, hosts: object, options: dict | None = None) -> dict:
    """Place ``services`` (list of service dicts) on ``hosts`` (list of host dicts)."""
    raw_hosts = require_list(hosts, "hosts")
    return place_hosts(services, [parse_host(raw, i) for i, raw in enumerate(raw_hosts)], options)


def place_hosts(services: object, hosts: list[Host], options: dict | None = None,
                unsafe: Callable[[str], str] = unchanged) -> dict:
    """Like :func:`place`, for hosts already validated (the lookup builds them from hostvars).
    ``unsafe`` marks the result's strings that came from the caller's data (see ``_output``)."""
    if not hosts:
        raise PlacementError("hosts", "no hosts to place on (give an inventory group or a list of hosts)")
    seen: dict[str, int] = {}
    for host in hosts:
        if host.name in seen:
            raise PlacementError(f"hosts[{host.order}]", f"duplicate host {host.name!r} (also hosts[{seen[host.name]}])")
        seen[host.name] = host.order
    parsed_options = parse_options(options or {})
    parsed = parse_services(services, parsed_options)
    run = _run(hosts, parsed, parsed_options)
    if run.unplaced and any(service.strategy == "binpack" for service in parsed):
        # Binpack orders replicas to use few hosts, which can leave one without a host that
        # spread would have found: never place fewer than spread does.
        spread = _run(hosts, [replace(service, strategy="spread") for service in parsed], parsed_options)
        if len(spread.cluster.assigned) > len(run.cluster.assigned):
            run = spread
    return result(run, unsafe)


def _run(hosts: list[Host], services: list[Service], options: Options) -> Run:
    """Keep what still fits, place what is missing, preempt, rebalance."""
    run = Run(hosts, services, options)
    run.keep_existing()
    run.place_missing()
    preempt(run)
    if options.rebalance:
        rebalance(run, options.max_moves)
    return run
