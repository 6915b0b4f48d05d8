# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the stack_plan action, written once: the action plugin validates with them and the
documentation-only module file declares them (ansible-test checks that file's docs against its spec)."""

from __future__ import annotations

# Where a deploy puts a stack's secret and config files on each host that runs a consumer.
STACK_FILES_DIR = "/var/lib/flotilla/stacks"

STACK_PLAN_SPEC = {
    "stack_file": {"type": "list", "elements": "path"},
    "stack_definition": {"type": "dict"},
    "stack_env": {"type": "dict", "default": {}, "no_log": True},
    "stack_profiles": {"type": "list", "elements": "str", "default": []},
    "stack_name": {"type": "str"},
    "stack_project_dir": {"type": "path"},
    "stack_hosts": {"type": "list", "elements": "str", "default": ["docker_hosts"]},
    "stack_files_dir": {"type": "str", "default": STACK_FILES_DIR},
    "fail_on_unplaced": {"type": "bool", "default": True},
}
STACK_PLAN_RULES = {
    "mutually_exclusive": [("stack_file", "stack_definition")],
    "required_one_of": [("stack_file", "stack_definition")],
}
