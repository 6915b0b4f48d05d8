# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the flotilla.fleet.stack role: the plan turned into each host's work, and the service map back.

Documented per filter in the YAML files beside this one (stack_deploy_problem.yml, ...).
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._errors import StackError
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack_deploy import _service_map, _status, _work
from ansible_collections.flotilla.fleet.plugins.plugin_utils._plain import plain


def _environment(stack_env):
    return {**os.environ, **{str(key): str(value) for key, value in (stack_env or {}).items()}}


def stack_deploy_problem(plan, facts, stack_env=None):
    """The first reason the deploy must not start ("" when there is none), as a message for ansible.builtin.fail."""
    try:
        _work.deploy_check(plain(plan), plain(facts), _environment(stack_env))
    except StackError as error:
        return str(error)
    return ""


def stack_file_contents(plan, stack_env=None):
    return _work.file_contents(plain(plan), _environment(stack_env))


def stack_host_work(plan, host, contents):
    plan = plain(plan)
    hashes = {key: value["hash"] for key, value in plain(contents).items()}
    try:
        return _work.host_work(plan, host, hashes, overlay=_work.spans_hosts(plan))
    except (StackError, KeyError) as error:
        raise AnsibleFilterError(f"flotilla.fleet.stack_host_work: {error}") from None


def stack_without_networks(containers, missing):
    return _work.without_networks(plain(containers), plain(missing))


def stack_status(plan, facts):
    return _status.stack_status(plain(plan), plain(facts))


def stack_service_map(plan, results):
    return _service_map.service_map(plain(plan), plain(results))


class FilterModule:
    def filters(self):
        return {"stack_deploy_problem": stack_deploy_problem, "stack_file_contents": stack_file_contents,
                "stack_host_work": stack_host_work, "stack_service_map": stack_service_map, "stack_status": stack_status,
                "stack_without_networks": stack_without_networks}
