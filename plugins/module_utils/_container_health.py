# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wait for a container to become healthy, and the words for why it did not."""

from __future__ import annotations

import time

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._inspect import has_healthcheck, health_of, state_of


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
