# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HAProxy configuration from validated routes: deterministic, so the same routes give the same bytes
(and the role reloads nothing).

Layout: one frontend per ingress port; per route an ACL on the virtual host and/or the path prefix and a
``use_backend`` rule (most specific first); one backend per (stack, service, port) with a ``server`` line
per replica and active health checks, so a failing replica leaves rotation after ``fall`` failed checks.
"""

from __future__ import annotations

import hashlib

STATS_SOCKET = "/run/haproxy-admin.sock"
READY_SOCKET = "/run/haproxy-ready.sock"
CHECK_INTERVAL = "1s"
CHECK_FALL = 2
CHECK_RISE = 1

HEADER = """\
# Managed by flotilla.fleet.ingress: edits by hand are replaced on the next run.
global
    log stdout format raw local0
    # expose-fd listeners: a reloaded worker takes over the listening sockets, no connection is refused
    stats socket {stats} mode 600 level admin expose-fd listeners
    maxconn 4096
    hard-stop-after 30s

defaults
    mode http
    log global
    option dontlognull
    # log only errors and abnormal sessions: a line per request costs the engine's log driver more than HAProxy
    option dontlog-normal
    option redispatch 1
    retries 2
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 5s
    default-server inter {inter} fall {fall} rise {rise}

# Always listening (on a socket no route can take), so HAProxy starts with no route at all.
frontend flotilla-ready
    bind unix@{ready}
    http-request return status 200 content-type text/plain string ready
""".format(stats=STATS_SOCKET, ready=READY_SOCKET, inter=CHECK_INTERVAL, fall=CHECK_FALL, rise=CHECK_RISE)


def backend_name(route):
    return "%s.%s.%d" % (route["stack"], route["service"], route["port"])


def route_label(route):
    """How an error or a status line names a route."""
    label = "stack %s, service %s, port %d" % (route["stack"], route["service"], route["port"])
    if route["host"]:
        label += ", host %s" % route["host"]
    if route["path"]:
        label += ", path %s" % route["path"]
    return label


def _specificity(route):
    # A virtual host beats none, a longer path prefix beats a shorter one; then names, for a stable order.
    return (route["host"] is None, -len(route["path"] or ""), route["host"] or "", route["path"] or "",
            route["stack"], route["service"])


def _acl_name(route):
    # From the route alone (never a position), so one stack's routes never rename another stack's ACLs.
    match = hashlib.sha256(("%s|%s" % (route["host"] or "", route["path"] or "")).encode()).hexdigest()[:8]
    return "%s-%s" % (backend_name(route), match)


def _frontend(port, routes):
    lines = ["", "frontend port-%d" % port, "    bind :%d" % port]
    rules = []
    default = None
    for route in sorted(routes, key=_specificity):
        conditions = []
        acl = _acl_name(route)
        lines.append("    # %s" % route_label(route))
        if route["host"]:
            lines.append("    acl %s-host req.hdr(host),field(1,:),lower -m str %s" % (acl, route["host"]))
            conditions.append("%s-host" % acl)
        if route["path"]:
            prefix = route["path"].rstrip("/") or "/"
            lines.append("    acl %s-path path -m str %s" % (acl, prefix))
            lines.append("    acl %s-path path -m beg %s/" % (acl, prefix))
            conditions.append("%s-path" % acl)
        if conditions:
            rules.append("    use_backend %s if %s" % (backend_name(route), " ".join(conditions)))
        else:
            default = "    default_backend %s" % backend_name(route)
    lines.extend(rules)
    if default:
        lines.append(default)
    return lines


def _backend(route):
    lines = ["", "backend %s" % backend_name(route),
             "    # stack %s, service %s, port %d" % (route["stack"], route["service"], route["port"]),
             "    balance roundrobin"]
    if route["health"]:
        lines.append("    option httpchk GET %s" % route["health"])
        lines.append("    http-check expect status 200-399")
    lines.extend("    %s" % option for option in route["backend_options"])
    for server in route["upstreams"]:
        lines.append("    server %s %s:%d check" % (server["name"], server["address"], server["port"]))
    return lines


def render_config(routes):
    """The whole haproxy.cfg for routes already checked by merge_routes/normalize_routes."""
    lines = [HEADER.rstrip("\n")]
    for port in sorted({route["port"] for route in routes}):
        lines.extend(_frontend(port, [route for route in routes if route["port"] == port]))
    rendered = set()
    for route in sorted(routes, key=backend_name):
        name = backend_name(route)
        if name not in rendered:  # routes of one service on one port (several hosts) share the backend
            rendered.add(name)
            lines.extend(_backend(route))
    return "\n".join(lines) + "\n"


def published_ports(routes, bind_address):
    """The container's published ports: every ingress port, on bind_address only."""
    return ["%s:%d:%d" % (bind_address, port, port) for port in sorted({route["port"] for route in routes})]


def backend_routes(routes):
    """backend name -> {stack, service, port}: how ingress_info names what HAProxy reports."""
    return {backend_name(route): {"stack": route["stack"], "service": route["service"], "port": route["port"]}
            for route in routes}
