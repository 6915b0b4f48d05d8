# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter flotilla.fleet.ingress_plan (documented in ingress_plan.yml beside this file)."""

from __future__ import annotations

from ansible_collections.flotilla.fleet.plugins.plugin_utils._ingress._api import ingress_plan
from ansible_collections.flotilla.fleet.plugins.plugin_utils._ingress._routes import RouteError


def ingress_plan_filter(current_routes, routes, stacks=None, bind_address="127.0.0.1"):
    # Bad input comes back as `error` (not raised), so the role fails with exactly that message rather
    # than with the templating layers' wrapping around it.
    try:
        plan = ingress_plan(current_routes, routes, stacks, bind_address)
    except RouteError as exc:
        return {"error": str(exc), "routes": [], "config": None, "ports": [], "backends": {}}
    plan["error"] = None
    return plan


class FilterModule:
    def filters(self):
        return {"ingress_plan": ingress_plan_filter}
