# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every key of the Compose specification, and what the stack model does with it: one table.

``MAPPED`` keys become container options, placement or model fields; ``RECORDED`` keys are kept in the model
(``service.pending``) for a ``containers`` option that does not exist yet, with a warning that they are not
applied; ``IGNORED`` keys give a warning; ``REFUSED`` keys are an error naming the service and the key.
docs/compose.md renders the same table; a unit test checks that they agree and that no key is missing.
"""

from __future__ import annotations

# Service keys -> what they become.
MAPPED = {
    "image": "container image",
    "build": "model build (context, dockerfile, args, target; the deploy builds)",
    "command": "container command",
    "entrypoint": "container entrypoint",
    "environment": "container env (env_file and .env already merged by Compose)",
    "env_file": "merged into environment by Compose",
    "label_file": "merged into labels by Compose",
    "labels": "container labels",
    "ports": "container ports; fixed host ports also placement ports",
    "volumes": "container mounts (named, bind, anonymous, tmpfs, read-only); local named volumes also placement volumes",
    "tmpfs": "container mounts of type tmpfs",
    "networks": "container networks (scoped names, aliases, ipv4_address)",
    "network_mode": "host and none: container networks; service:x: affinity to x on one host",
    "healthcheck": "container healthcheck (disable, start_period, ...)",
    "restart": "container restart_policy",
    "user": "container user",
    "working_dir": "container working_dir",
    "hostname": "container hostname",
    "cap_add": "container cap_add",
    "cap_drop": "container cap_drop",
    "security_opt": "container security_opts",
    "read_only": "container read_only",
    "privileged": "container privileged",
    "logging": "container log_driver and log_options",
    "stop_signal": "container stop_signal",
    "stop_grace_period": "container stop_timeout (seconds)",
    "cpus": "container cpus (a limit, as deploy.resources.limits.cpus)",
    "mem_limit": "container memory (as deploy.resources.limits.memory)",
    "mem_reservation": "container memory_reservation",
    "pids_limit": "container pids_limit",
    "init": "container init",
    "extra_hosts": "container extra_hosts (host:ip)",
    "dns": "container dns",
    "dns_search": "container dns_search",
    "dns_opt": "container dns_opts",
    "sysctls": "container sysctls",
    "ulimits": "container ulimits (a single number is both soft and hard)",
    "shm_size": "container shm_size",
    "group_add": "container group_add",
    "tty": "container tty",
    "domainname": "container domainname",
    "secrets": "model files (kind secret) and a read-only bind mount at the target",
    "configs": "model files (kind config) and a read-only bind mount at the target",
    "depends_on": "model depends_on (conditions, required, restart); a cycle is an error",
    "container_name": "the container name (only with 1 replica)",
    "profiles": "services behind profiles are left out unless stack_profiles selects them",
    "platform": "placement constraint node.platform.arch (and os)",
    "deploy": "replicas, mode, resources, placement; update_config, rollback_config, restart_policy kept in the model",
    "scale": "replicas (deploy.replicas wins)",
    "pull_policy": "model pull_policy (the deploy's image step)",
    "extends": "resolved by Compose",
}
# Kept in the model for the deploy, not applied by the containers module yet (a warning says so).
RECORDED = {
    "stdin_open": "the containers module has no stdin_open option yet",
}
IGNORED = {
    "expose": "documentation only: containers on a shared network reach every port anyway",
    "links": "legacy: services on a shared network already resolve each other by name",
    "external_links": "legacy: use a shared external network",
    "attach": "log attachment of docker compose up; there is no console here",
    "develop": "docker compose watch is a development loop",
    "annotations": "OCI annotations are not passed by the containers module",
    "cgroup": "cgroup namespace tuning is not supported",
    "cgroup_parent": "cgroup placement is host-specific",
    "cpu_count": "Windows-only",
    "cpu_percent": "Windows-only",
    "cpu_period": "CPU tuning beyond cpus is not supported",
    "cpu_quota": "CPU tuning beyond cpus is not supported",
    "cpu_rt_period": "real-time CPU tuning is not supported",
    "cpu_rt_runtime": "real-time CPU tuning is not supported",
    "cpu_shares": "CPU tuning beyond cpus is not supported",
    "cpuset": "CPU pinning is host-specific",
    "blkio_config": "block IO tuning is not supported",
    "mem_swappiness": "swap tuning is not supported (the containers module gives no swap)",
    "memswap_limit": "the containers module gives no swap beyond memory",
    "oom_kill_disable": "risky on shared hosts; not supported",
    "oom_score_adj": "OOM tuning is not supported",
    "storage_opt": "storage driver options are host-specific",
    "isolation": "Windows-only",
    "credential_spec": "Windows-only",
    "mac_address": "fixed MAC addresses do not fit replicas on several hosts",
    "runtime": "the OCI runtime is a host setting",
    "post_start": "lifecycle hooks are not supported yet",
    "pre_stop": "lifecycle hooks are not supported yet",
    "provider": "provider services are not supported",
    "pull_refresh_after": "scheduled image refresh belongs to docker compose up; the deploy's image step decides pulls",
}
REFUSED = {
    "models": "AI model runners are not supported",
    "volumes_from": "shares another container's mounts, which needs both on one host (use named volumes)",
    "ipc": "sharing IPC namespaces is not supported (no host namespaces)",
    "pid": "sharing PID namespaces is not supported (no host namespaces)",
    "uts": "sharing the UTS namespace is not supported (no host namespaces)",
    "userns_mode": "user namespace modes are not supported",
    "use_api_socket": "gives the container the Docker API socket, which is root on the host",
    "devices": "host devices are not supported by the containers module yet",
    "device_cgroup_rules": "host devices are not supported by the containers module yet",
    "gpus": "use deploy.resources.reservations.generic_resources (kind gpu) for the scheduler",
}
SERVICE_KEYS = frozenset(MAPPED) | frozenset(RECORDED) | frozenset(IGNORED) | frozenset(REFUSED)

DEPLOY_MAPPED = {
    "mode": "replicated (replicas) or global (one per eligible host)",
    "replicas": "placement replicas",
    "resources": "reservations: placement cpus, memory, resources (generic_resources) and container "
                 "memory_reservation; limits: container cpus, memory, pids_limit",
    "placement": "constraints, preferences (spread), max_replicas_per_node",
    "restart_policy": "container restart_policy (when restart is not set); delay and window kept for the rollout",
    "update_config": "kept in the model for the rolling update",
    "rollback_config": "kept in the model for the rolling update",
}
DEPLOY_IGNORED = {
    "labels": "labels the Swarm service, which does not exist here (use labels)",
    "endpoint_mode": "Swarm's virtual IP; services resolve by network alias",
}

TOP_LEVEL_MAPPED = {
    "name": "the stack name",
    "services": "the services",
    "networks": "stack networks, scoped <stack>_<network>",
    "volumes": "stack volumes, scoped <stack>_<volume>",
    "secrets": "model files (kind secret)",
    "configs": "model files (kind config)",
    "include": "resolved by Compose",
    "x-flotilla": "stack-wide placement defaults",
}
TOP_LEVEL_IGNORED = {
    "version": "obsolete in the Compose specification",
}
TOP_LEVEL_REFUSED = {
    "models": "AI model runners are not supported",
}
TOP_LEVEL_KEYS = frozenset(TOP_LEVEL_MAPPED) | frozenset(TOP_LEVEL_IGNORED) | frozenset(TOP_LEVEL_REFUSED)

# x-flotilla keys, per service and top-level (the placement lookup's own terms).
X_FLOTILLA_KEYS = ("strategy", "spread", "affinity", "anti_affinity", "preferences", "constraints",
                   "priority", "preemption", "hosts", "max_per_host")
