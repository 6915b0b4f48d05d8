# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet contract: what the scheduler, the modules and the roles agree on, written once.

Labels that mark our containers, the name of a replica's container, and (added by the grammar work)
the size, CPU and port grammars. Pure Python, no Ansible and no Docker import: the modules, the
``host_info`` facts, the placement package and the stack model all import it.
"""

from __future__ import annotations

# --- labels ----------------------------------------------------------------------------------------
LABEL_PREFIX = "flotilla."
# The stack (the ``containers`` module's ``project``) a container belongs to.
STACK_LABEL = "flotilla.stack"
# Containers created before the stack label existed carry this one; read it, never write it.
LEGACY_PROJECT_LABEL = "flotilla.project"
SERVICE_LABEL = "flotilla.service"
REPLICA_LABEL = "flotilla.replica"
# A hash of the spec the container was created from: "unchanged" is one label comparison.
SPEC_HASH_LABEL = "flotilla.spec-hash"
# A counter that goes up by one each time the replica's container is replaced.
REVISION_LABEL = "flotilla.revision"
# The full spec (JSON) of the replica's previous revision, so a rollback needs no controller state.
PREVIOUS_SPEC_LABEL = "flotilla.previous-spec"

# Labels a user may set; every other flotilla.* label is the collection's bookkeeping.
USER_SETTABLE_LABELS = frozenset((STACK_LABEL, LEGACY_PROJECT_LABEL, SERVICE_LABEL, REPLICA_LABEL))


class ContractError(ValueError):
    """Bad input to a contract grammar. ``str(error)`` is ``"<field>: <what is wrong>"``."""

    def __init__(self, field, problem):
        super().__init__("%s: %s" % (field, problem))
        self.field = field
        self.problem = problem


def container_name(stack, service, replica):
    """The container of replica ``replica`` (1-based) of ``service`` in ``stack``: ``<stack>-<service>-<n>``."""
    return "%s-%s-%d" % (stack, service, int(replica))


def stack_of(labels):
    """The stack a container's labels say it belongs to (new label first, then the legacy one)."""
    labels = labels or {}
    return labels.get(STACK_LABEL) or labels.get(LEGACY_PROJECT_LABEL)
