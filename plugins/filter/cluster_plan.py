# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flotilla.fleet.cluster_plan filter; the logic is in plugin_utils/_cluster_plan.py."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.flotilla.fleet.plugins.plugin_utils._cluster_plan import ClusterPlanError, cluster_plan


def _cluster_plan(hostvars, hosts, managers=None, workers=None, advertise_var=None, state_var=None,
                  default_availability="active", group="cluster_group"):
    try:
        return cluster_plan(hostvars, hosts, managers or (), workers or (), advertise_var=advertise_var,
                            state_var=state_var, default_availability=default_availability, group=group)
    except ClusterPlanError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule:
    def filters(self):
        return {"cluster_plan": _cluster_plan}
