# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a container is doing: run state and health, and the wait for it to become healthy.

Works on both shapes the engine returns: an inspect result (State is a dict) and a list entry
(State is a string, health only in Status).
"""

from __future__ import annotations

import time

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._inspect import (  # noqa: F401 - re-exported
    has_healthcheck, health_of, state_of)
from ansible_collections.flotilla.fleet.plugins.module_utils._image import ImageCache  # noqa: F401 - moved

# ImageCache moved to the image layer (one pull path); kept importable from here for the converger.
__all__ = ["ImageCache", "has_healthcheck", "health_of", "state_of", "wait_healthy"]


def wait_healthy(engine, name, container, timeout, inspect):
    """Poll until the healthcheck passes; fail with the last check's output when it does not in time."""
    if not has_healthcheck(container):
        raise FleetError("Container %s on %s: state healthy needs a healthcheck; set healthcheck or use an "
                         "image that defines one" % (name, engine.name))
    deadline = time.monotonic() + timeout
    while True:
        health = health_of(container)
        if health == "healthy":
            return container
        if state_of(container) != "running":
            raise FleetError("Container %s on %s stopped (%s, exit code %s) while waiting for it to become healthy"
                             % (name, engine.name, state_of(container), container["State"].get("ExitCode")))
        if time.monotonic() >= deadline:
            raise FleetError("Container %s on %s is not healthy after %s s (health: %s; %s)"
                             % (name, engine.name, timeout, health, _last_check(container)))
        time.sleep(0.25)
        container = inspect()


def _last_check(container):
    logs = (container["State"].get("Health") or {}).get("Log") or []
    if not logs:
        interval = ((container.get("Config") or {}).get("Healthcheck") or {}).get("Interval") or 30 * 10 ** 9
        return "no health check has run yet; the first one runs %g s after the start" % (interval / 1e9)
    log = logs[-1]
    return "last check: exit %s: %s" % (log.get("ExitCode"), (log.get("Output") or "").strip()[:200] or "no output")


def published_ports(container):
    """Per container port, the host address and port it is published on, from the inspect result: the
    live bindings while it runs, else what it asks for (host_port None: the engine picks one at start)."""
    ports = ((container.get("NetworkSettings") or {}).get("Ports")) or {}
    if not ports:
        ports = ((container.get("HostConfig") or {}).get("PortBindings")) or {}
    result = []
    for key, bindings in sorted(ports.items()):
        number, protocol = key.split("/", 1) if "/" in key else (key, "tcp")
        for binding in bindings or [None]:
            binding = binding or {}
            result.append({"container_port": int(number), "protocol": protocol or "tcp",
                           "host_ip": binding.get("HostIp") or None,
                           "host_port": int(binding["HostPort"]) if binding.get("HostPort") else None})
    return result
