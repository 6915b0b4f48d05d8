# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ingress routes: validation, and the merge that lets several stacks share one ingress.

A route is what one service of one stack asks of the ingress (the stack role builds it from the service's
``x-flotilla.ingress`` and its service map)::

    {stack, service, port, host, path, health, backend_options, upstreams: [{name, address, port}]}

Every error names the stack, the service and the field, and is raised before anything changes.
"""

from __future__ import annotations

import re

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
# IPv4 or a host name: "host:port" with an IPv6 address would need brackets HAProxy lines do not use here.
ADDRESS = re.compile(r"^[A-Za-z0-9_.-]+$")
ROUTE_FIELDS = ("stack", "service", "port", "host", "path", "health", "backend_options", "upstreams")
UPSTREAM_FIELDS = ("name", "address", "port")
# Fields that define a backend: routes of one service on one port (several hosts or paths) share it.
BACKEND_FIELDS = ("health", "backend_options", "upstreams")


class RouteError(ValueError):
    """Bad route input; the message names the stack, the service and the field."""


def _where(route, index):
    if isinstance(route, dict) and all(isinstance(route.get(field), str) and NAME.match(route[field])
                                       for field in ("stack", "service")):
        return "stack %s, service %s" % (route["stack"], route["service"])
    return "routes[%d]" % index


def _port(value, where, field):
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise RouteError("%s: %s: %r is not a port number" % (where, field, value))
    port = int(value)
    if not 1 <= port <= 65535:
        raise RouteError("%s: %s: %d is not between 1 and 65535" % (where, field, port))
    return port


def _http_path(value, where, field):
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith("/"):
        raise RouteError("%s: %s: %r must start with /" % (where, field, value))
    if any(char.isspace() for char in value):
        raise RouteError("%s: %s: %r must not contain spaces" % (where, field, value))
    return value


def _upstream(value, where, index, port):
    field = "upstreams[%d]" % index
    if not isinstance(value, dict):
        raise RouteError("%s: %s: must be a dictionary with name, address and port" % (where, field))
    unknown = sorted(set(value) - set(UPSTREAM_FIELDS))
    if unknown:
        raise RouteError("%s: %s: unknown field %s (known: %s)"
                         % (where, field, ", ".join(unknown), ", ".join(UPSTREAM_FIELDS)))
    name = value.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise RouteError("%s: %s.name: %r is not a replica name (letters, digits, _ . -)" % (where, field, name))
    address = value.get("address")
    if not isinstance(address, str) or not ADDRESS.match(address):
        raise RouteError("%s: %s.address: %r is not an IPv4 address or host name of replica %s"
                         % (where, field, address, name))
    if value.get("port") is None:
        raise RouteError("%s: %s.port: replica %s has no port for ingress port %d (the service does not "
                         "publish or expose the port the route sends traffic to)" % (where, field, name, port))
    return {"name": name, "address": address, "port": _port(value["port"], where, field + ".port")}


def normalize_route(value, index):
    """One route, checked and in canonical form (so equal input renders byte-identical config)."""
    where = _where(value, index)
    if not isinstance(value, dict):
        raise RouteError("routes[%d]: must be a dictionary, got %s" % (index, type(value).__name__))
    unknown = sorted(set(value) - set(ROUTE_FIELDS))
    if unknown:
        raise RouteError("%s: unknown field %s (known: %s)" % (where, ", ".join(unknown), ", ".join(ROUTE_FIELDS)))
    for field in ("stack", "service"):
        name = value.get(field)
        if not isinstance(name, str) or not NAME.match(name):
            raise RouteError("%s: %s: %r is not a name (letters, digits, _ . -, starting with a letter or "
                             "digit)" % (where, field, name))
    if value.get("port") is None:
        raise RouteError("%s: port: is required (the port the ingress listens on for this route)" % where)
    port = _port(value["port"], where, "port")
    host = value.get("host")
    if host is not None:
        if not isinstance(host, str) or not HOSTNAME.match(host.lower()):
            raise RouteError("%s: host: %r is not a virtual host name" % (where, host))
        host = host.lower()
    path = _http_path(value.get("path"), where, "path")
    if path == "/":
        path = None  # "/" is every path: the same route as no path
    options = value.get("backend_options") or []
    if not isinstance(options, list) or not all(isinstance(line, str) for line in options):
        raise RouteError("%s: backend_options: must be a list of strings (HAProxy backend lines)" % where)
    for line in options:
        if "\n" in line or "\r" in line or not line.strip():
            raise RouteError("%s: backend_options: %r must be one non-empty line" % (where, line))
    upstreams = value.get("upstreams")
    if upstreams is None:
        upstreams = []
    if not isinstance(upstreams, list):
        raise RouteError("%s: upstreams: must be a list of {name, address, port}" % where)
    servers = [_upstream(item, where, position, port) for position, item in enumerate(upstreams)]
    seen = set()
    for position, server in enumerate(servers):
        if server["name"] in seen:
            raise RouteError("%s: upstreams[%d].name: replica %s is given twice" % (where, position, server["name"]))
        seen.add(server["name"])
    return {
        "stack": value["stack"], "service": value["service"], "port": port, "host": host, "path": path,
        "health": _http_path(value.get("health"), where, "health"),
        "backend_options": [line.strip() for line in options],
        "upstreams": sorted(servers, key=lambda server: server["name"]),
    }


def route_key(route):
    return (route["port"], route["host"] or "", route["path"] or "", route["stack"], route["service"])


def _describe_match(route):
    parts = ["port %d" % route["port"]]
    if route["host"]:
        parts.append("host %s" % route["host"])
    if route["path"]:
        parts.append("path %s" % route["path"])
    return ", ".join(parts)


def check_conflicts(routes):
    """Two routes may share a port only with different virtual hosts or paths."""
    holders = {}
    backends = {}
    for route in routes:
        where = "stack %s, service %s" % (route["stack"], route["service"])
        match = (route["port"], route["host"], route["path"])
        holder = holders.get(match)
        if holder is not None:
            if (holder["stack"], holder["service"]) == (route["stack"], route["service"]):
                if route["host"]:
                    raise RouteError("%s: host: virtual host %s is given twice for port %d"
                                     % (where, route["host"], route["port"]))
                raise RouteError("%s: port: port %d is given twice without a virtual host"
                                 % (where, route["port"]))
            field = "host" if route["host"] else "port"
            raise RouteError("%s: %s: %s is already routed to stack %s, service %s (give each route its own "
                             "virtual host or path)" % (where, field, _describe_match(route),
                                                        holder["stack"], holder["service"]))
        holders[match] = route
        backend = (route["stack"], route["service"], route["port"])
        first = backends.setdefault(backend, route)
        for field in BACKEND_FIELDS:
            if first[field] != route[field]:
                raise RouteError("%s: %s: differs between its routes on port %d (one service on one port has "
                                 "one set of replicas)" % (where, field, route["port"]))


def normalize_routes(routes, field="routes"):
    if routes is None:
        return []
    if not isinstance(routes, list):
        raise RouteError("%s: must be a list of routes, got %s" % (field, type(routes).__name__))
    normalized = sorted((normalize_route(route, index) for index, route in enumerate(routes)), key=route_key)
    check_conflicts(normalized)
    return normalized


def merge_routes(current, wanted, stacks=None):
    """The ingress's routes after this run: the stacks in `stacks` (default: those in `wanted`) get exactly
    the routes in `wanted`; every other stack keeps its routes untouched."""
    wanted = normalize_routes(wanted)
    if stacks is None or stacks == []:
        stacks = sorted({route["stack"] for route in wanted})
    if not isinstance(stacks, list) or not all(isinstance(name, str) for name in stacks):
        raise RouteError("stacks: must be a list of stack names")
    for route in wanted:
        if route["stack"] not in stacks:
            raise RouteError("stack %s, service %s: stack: %s is not one of the stacks this run changes (%s)"
                             % (route["stack"], route["service"], route["stack"], ", ".join(stacks)))
    kept = [route for route in normalize_routes(current, "current routes") if route["stack"] not in stacks]
    check_conflicts(kept + wanted)  # kept first: an error names the new route and the stack holding the match
    return sorted(kept + wanted, key=route_key)
