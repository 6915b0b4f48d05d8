# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ingress plan, as the role asks for it: merge the routes by stack, check them, render the config."""

from __future__ import annotations

import ipaddress

from ansible_collections.flotilla.fleet.plugins.plugin_utils._ingress._render import (
    backend_routes, published_ports, render_config)
from ansible_collections.flotilla.fleet.plugins.plugin_utils._ingress._routes import RouteError, merge_routes


def _bind_address(value):
    try:
        return str(ipaddress.IPv4Address(value))
    except (ipaddress.AddressValueError, ValueError):
        raise RouteError("bind_address: %r is not an IPv4 address (publish the ingress on an explicit address, "
                         "such as 127.0.0.1)" % (value,))


def ingress_plan(current_routes, routes, stacks=None, bind_address="127.0.0.1"):
    """{routes, config, ports, backends} for the ingress after this run; RouteError on bad input."""
    address = _bind_address(bind_address)
    merged = merge_routes(current_routes or [], routes, stacks)
    return {
        "routes": merged,
        "config": render_config(merged),
        "ports": published_ports(merged, address),
        "backends": backend_routes(merged),
    }
