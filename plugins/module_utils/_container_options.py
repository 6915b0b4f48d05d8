# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The container option table: every option of flotilla.fleet.container, declared once.

``context`` in the callbacks is a :class:`ContainerContext`: the image's own config and the
engine's defaults, which an omitted option stands for.
"""

from __future__ import annotations

import posixpath
import re
import shlex

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._fleet import (
    LABEL_PREFIX as MANAGED_LABEL_PREFIX, SPEC_HASH_LABEL, USER_SETTABLE_LABELS, format_size)
from ansible_collections.flotilla.fleet.plugins.module_utils._options import (
    NO_OPINION, RECONNECT, Option, OptionTable, format_duration, parse_duration, string_list, string_map)
from ansible_collections.flotilla.fleet.plugins.module_utils._container_extras import EXTRA_OPTIONS
from ansible_collections.flotilla.fleet.plugins.module_utils._container_limits import (
    CPUS, MEMORY, PIDS, RESERVATION, cpus_on_engine, normalize_cpus, normalize_limit, normalize_memory, read_cpus,
    read_limit)
from ansible_collections.flotilla.fleet.plugins.module_utils._container_mounts import (
    MOUNT_SUBOPTIONS, normalize_mounts, read_mounts, show_mounts, write_mounts)
from ansible_collections.flotilla.fleet.plugins.module_utils._container_networks import (
    NETWORK_SUBOPTIONS, default_networks, networks_match, normalize_networks, read_networks)
from ansible_collections.flotilla.fleet.plugins.module_utils._container_ports import (
    normalize_ports, read_ports, write_ports)

__all__ = ["CONTAINER_OPTIONS", "UPDATABLE_OPTIONS", "SPEC_HASH_LABEL", "MANAGED_LABEL_PREFIX", "ContainerContext"]

# Linux capabilities (capabilities(7)), without the CAP_ prefix; ALL stands for every one.
CAPABILITIES = frozenset("""
    ALL AUDIT_CONTROL AUDIT_READ AUDIT_WRITE BLOCK_SUSPEND BPF CHECKPOINT_RESTORE CHOWN DAC_OVERRIDE
    DAC_READ_SEARCH FOWNER FSETID IPC_LOCK IPC_OWNER KILL LEASE LINUX_IMMUTABLE MAC_ADMIN MAC_OVERRIDE MKNOD
    NET_ADMIN NET_BIND_SERVICE NET_BROADCAST NET_RAW PERFMON SETFCAP SETGID SETPCAP SETUID SYS_ADMIN SYS_BOOT
    SYS_CHROOT SYS_MODULE SYS_NICE SYS_PACCT SYS_PTRACE SYS_RAWIO SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG SYSLOG
    WAKE_ALARM""".split())
# The log drivers built into the engine (etwlogs on Windows); others are plugins, which GET /info lists.
BUILTIN_LOG_DRIVERS = ("awslogs", "etwlogs", "fluentd", "gcplogs", "gelf", "journald", "json-file", "local",
                       "logentries", "none", "splunk", "syslog")


class ContainerContext:
    """What omitted options stand for: the image's config, the engine's defaults, and the rest of the
    request (the engine fills some options from the image only when others are left out)."""

    def __init__(self, image_config, engine_info, desired=None):
        self.image = image_config or {}
        self._engine = engine_info
        self.desired = desired or {}

    @property
    def engine(self):
        # engine_info may be a function: GET /info makes a 20.10 engine run runc and docker-init, so it is
        # only asked when an omitted option (log_driver) must be compared with the engine's default, or a
        # value checked against the engine (cpus above 1, a log driver that is not built in).
        if callable(self._engine):
            self._engine = self._engine()
        return self._engine or {}


def _config(key, default=None):
    return lambda inspected, context: (inspected.get("Config") or {}).get(key) or default


def _host(key, default=None):
    return lambda inspected, context: (inspected.get("HostConfig") or {}).get(key) or default


def _image(key, default=None):
    return lambda context: context.image.get(key) or default


def _set(key, section="config"):
    def write(value, payload):
        payload[section][key] = value
    return write


def _argv(value, field):
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as exc:
            raise FleetError("%s: cannot split %r into arguments: %s" % (field, value, exc))
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, bool):
                raise FleetError("%s[%d]: %r is a boolean; quote it ('%s') so the argument is exact"
                                 % (field, index, item, str(item).lower()))
            if not isinstance(item, (str, int, float)):
                raise FleetError("%s[%d]: expected a string, got %r" % (field, index, item))
        return [str(item) for item in value]
    raise FleetError("%s: expected a string or a list of strings, got %r" % (field, value))


def _command_unset(context):
    # moby's config merge: an empty Cmd is taken from the image only when the entrypoint is empty too.
    if context.desired.get("entrypoint"):
        return []
    return context.image.get("Cmd") or []


def _command_merge(value, context):
    # command: [] is sent as an empty Cmd, which the engine replaces with the image's.
    return value or _command_unset(context)


def _env_pairs(pairs):
    return dict(pair.split("=", 1) if "=" in pair else (pair, "") for pair in pairs or [])


def _env(value, field):
    env = string_map(value, field)
    for key in env:
        if not key:
            raise FleetError("%s: '' is not a variable name (it is empty)" % field)
        if "=" in key:
            raise FleetError("%s.%s: %r is not a variable name ('=' separates the name from the value)"
                             % (field, key, key))
    return env


def _without_image_defaults(actual, image_values, wanted):
    """What the container has beyond what the image brings (kept where the user named the key)."""
    return {key: value for key, value in actual.items() if key in wanted or image_values.get(key) != value}


def _read_env(inspected, context):
    # The engine merges the user's env over the image's; compare only what the image does not explain.
    return _without_image_defaults(_env_pairs((inspected.get("Config") or {}).get("Env")),
                                   _env_pairs(context.image.get("Env")), context.desired.get("env") or {})


def _labels_normalize(value, field):
    labels = string_map(value, field)
    for key in labels:
        if key.startswith(MANAGED_LABEL_PREFIX) and key not in USER_SETTABLE_LABELS:
            raise FleetError("%s.%s: labels starting with %r are managed by flotilla.fleet"
                             % (field, key, MANAGED_LABEL_PREFIX))
    return labels


def _read_labels(inspected, context):
    labels = dict((inspected.get("Config") or {}).get("Labels") or {})
    labels.pop(SPEC_HASH_LABEL, None)  # bookkeeping, not the user's
    # Labels the image brings are not the user's to compare (unless the user sets them too).
    return _without_image_defaults(labels, context.image.get("Labels") or {}, context.desired.get("labels") or {})


def _read_restart(inspected, context):
    policy = (inspected.get("HostConfig") or {}).get("RestartPolicy") or {}
    return policy.get("Name") or "no"


def _read_retries(inspected, context):
    policy = (inspected.get("HostConfig") or {}).get("RestartPolicy") or {}
    return policy.get("MaximumRetryCount") or 0


def _write_restart(value, payload):
    payload["host"].setdefault("restart_policy", {})["Name"] = value


def _write_retries(value, payload):
    # restart_policy is written first when given; restart_retries: 0 alone must not invent a policy.
    payload["host"].setdefault("restart_policy", {"Name": "no"})["MaximumRetryCount"] = value


# The update body's RestartPolicy is one field: an empty Name there means "keep", so the name and the
# retry count are always sent together (updated_with).
def _update_restart(value, body):
    body.setdefault("RestartPolicy", {})["Name"] = value


def _update_retries(value, body):
    body.setdefault("RestartPolicy", {})["MaximumRetryCount"] = value


def _positive_int(value, field):
    if value < 0:
        raise FleetError("%s: must not be negative, got %d" % (field, value))
    return value


def _caps(value, field):
    caps = []
    for index, cap in enumerate(string_list(value, field)):
        name = cap.strip().upper()
        name = name[4:] if name.startswith("CAP_") else name
        if not name.replace("_", "").isalnum():
            raise FleetError("%s[%d]: %r is not a capability name such as NET_ADMIN" % (field, index, cap))
        if name not in CAPABILITIES:
            raise FleetError("%s[%d]: %r is not a Linux capability (see capabilities(7); ALL for every one)"
                             % (field, index, cap))
        caps.append(name)
    return sorted(set(caps))


def _read_caps(key):
    def read(inspected, context):
        values = (inspected.get("HostConfig") or {}).get(key) or []
        names = {value.upper() for value in values}  # the engine keeps what was sent: sys_time, CAP_NET_ADMIN
        return sorted({name[4:] if name.startswith("CAP_") else name for name in names})
    return read


def _security_opts(value, field):
    canonical = set()
    for index, opt in enumerate(string_list(value, field)):
        if opt != "no-new-privileges" and ("=" not in opt and ":" not in opt):
            raise FleetError("%s[%d]: %r is not a security option such as no-new-privileges or seccomp=unconfined"
                             % (field, index, opt))
        # The engine accepts KEY:VALUE and KEY=VALUE alike and keeps what was sent; compare one spelling.
        opt = re.sub(r"^([^:=]+):", r"\1=", opt)
        # no-new-privileges and no-new-privileges=true mean the same to the engine.
        canonical.add("no-new-privileges" if opt == "no-new-privileges=true" else opt)
    return sorted(canonical)


def _read_security_opts(inspected, context):
    return _security_opts((inspected.get("HostConfig") or {}).get("SecurityOpt") or [], "SecurityOpt")


HEALTHCHECK_SUBOPTIONS = {
    "test": {"type": "raw"},
    "interval": {"type": "str"},
    "timeout": {"type": "str"},
    "retries": {"type": "int"},
    "start_period": {"type": "str"},
    "disable": {"type": "bool", "default": False},
}


def _healthcheck(value, field):
    if value.get("disable"):
        return {"Test": ["NONE"]}
    test = value.get("test")
    if test is None:
        raise FleetError("%s.test: required unless disable is true" % field)
    if isinstance(test, str):
        if not test.strip():
            raise FleetError("%s.test: an empty command passes or fails whatever the container does; give a "
                             "command, or set disable: true" % field)
        test = ["CMD-SHELL", test]
    elif isinstance(test, list) and test and test[0] in ("CMD", "CMD-SHELL", "NONE"):
        test = [str(item) for item in test]
    elif isinstance(test, list) and test:
        test = ["CMD"] + [str(item) for item in test]
    else:
        raise FleetError("%s.test: expected a shell command string or a list of arguments, got %r" % (field, test))
    if test[0] in ("CMD", "CMD-SHELL") and not "".join(test[1:2]).strip():
        # Docker 20.10's dockerd panics on [CMD] at the first probe, taking every container down.
        raise FleetError("%s.test: %s needs a command after it, such as %s" % (
            field, test[0], "[CMD, curl, -f, http://localhost/]" if test[0] == "CMD" else "[CMD-SHELL, curl -f localhost]"))
    check = {"Test": test}
    for key, api_key in (("interval", "Interval"), ("timeout", "Timeout"), ("start_period", "StartPeriod")):
        if value.get(key) is not None:
            nanoseconds = parse_duration(value[key], "%s.%s" % (field, key))
            if 0 < nanoseconds < 10 ** 6:
                raise FleetError("%s.%s: must be at least 1ms, got %r" % (field, key, value[key]))
            if nanoseconds:  # 0 means "the default", which is what leaving it out says
                check[api_key] = nanoseconds
    if value.get("retries"):
        check["Retries"] = _positive_int(value["retries"], field + ".retries")
    return check


def _read_healthcheck(inspected, context):
    check = (inspected.get("Config") or {}).get("Healthcheck")
    return {key: value for key, value in check.items() if value} if check else None


def _image_healthcheck(context):
    return _read_healthcheck({"Config": {"Healthcheck": context.image.get("Healthcheck")}}, context)


def _healthcheck_merge(value, context):
    # moby's config merge: durations and retries left at 0 are taken from the image's healthcheck.
    merged = dict(_image_healthcheck(context) or {})
    merged.update(value)
    return merged


def _working_dir(value, field):
    if not value.startswith("/"):
        raise FleetError("%s: %r must be an absolute path" % (field, value))
    # The engine cleans the path (Go's filepath.Clean): /srv/./app/ is kept as /srv/app.
    return "/" + posixpath.normpath(value).lstrip("/")


def _write_healthcheck(value, payload):
    payload["config"]["healthcheck"] = value


def _show_healthcheck(check):
    return {key: format_duration(value) if key in ("Interval", "Timeout", "StartPeriod") else value
            for key, value in check.items()}


def _log_unset(context):
    return context.engine.get("LoggingDriver") or NO_OPINION


def _log_driver_on_engine(value, context):
    if value in BUILTIN_LOG_DRIVERS:
        return None  # no need to ask the engine (GET /info is not free)
    plugins = (context.engine.get("Plugins") or {}).get("Log") or []
    if value in plugins or value + ":latest" in plugins:
        return None
    return "%r is not a log driver of this engine (it has %s); install a plugin first with docker plugin install" % (
        value, ", ".join(sorted(set(plugins) | set(BUILTIN_LOG_DRIVERS))))


def _read_log_driver(inspected, context):
    return ((inspected.get("HostConfig") or {}).get("LogConfig") or {}).get("Type")


def _read_log_options(inspected, context):
    return ((inspected.get("HostConfig") or {}).get("LogConfig") or {}).get("Config") or {}


def _write_log(key):
    def write(value, payload):
        payload["host"].setdefault("log_config", {"Type": "", "Config": {}})[key] = value
    return write


def _bool(key, section):
    def read(inspected, context):
        return bool((inspected.get(section) or {}).get(key))
    return read


CONTAINER_OPTIONS = OptionTable([
    Option("image", normalize=lambda value, field: value.strip()),
    Option("command", type="raw", normalize=_argv, unset=_command_unset, merge=_command_merge,
           read=_config("Cmd", []), write=_set("command")),
    Option("entrypoint", type="raw", normalize=_argv, unset=_image("Entrypoint", []),
           read=_config("Entrypoint", []), write=_set("entrypoint")),
    Option("env", type="dict", normalize=_env, unset=lambda context: {}, read=_read_env,
           write=_set("environment")),
    Option("labels", type="dict", normalize=_labels_normalize, unset=lambda context: {},
           read=_read_labels, write=_set("labels")),
    Option("ports", type="list", elements="raw", normalize=normalize_ports, unset=lambda context: [],
           read=read_ports, write=write_ports, compare="set"),
    Option("mounts", type="list", elements="dict", suboptions=MOUNT_SUBOPTIONS, normalize=normalize_mounts,
           unset=lambda context: [], read=read_mounts, write=write_mounts, compare="set", show=show_mounts),
    # Options with an update change in place, and so stay out of the spec-hash label (see Option).
    Option("networks", type="list", elements="dict", suboptions=NETWORK_SUBOPTIONS,
           normalize=normalize_networks, unset=default_networks, read=read_networks, compare=networks_match,
           update=RECONNECT),
    Option("restart_policy", choices=["no", "always", "on-failure", "unless-stopped"],
           unset=lambda context: "no", read=_read_restart, write=_write_restart,
           update=_update_restart, updated_with="restart_retries"),
    Option("restart_retries", type="int", normalize=_positive_int, unset=lambda context: 0,
           read=_read_retries, write=_write_retries, update=_update_retries, updated_with="restart_policy"),
    Option("healthcheck", type="dict", suboptions=HEALTHCHECK_SUBOPTIONS, normalize=_healthcheck,
           unset=_image_healthcheck, merge=_healthcheck_merge, read=_read_healthcheck, write=_write_healthcheck,
           show=_show_healthcheck),
    Option("cpus", type="raw", normalize=normalize_cpus, check=cpus_on_engine, unset=lambda context: None,
           read=read_cpus, write=CPUS[0], update=CPUS[1]),
    Option("memory", normalize=normalize_memory, unset=lambda context: None, read=read_limit("Memory"),
           write=MEMORY[0], update=MEMORY[1], show=format_size),
    Option("memory_reservation", normalize=normalize_limit, unset=lambda context: None,
           read=read_limit("MemoryReservation"), write=RESERVATION[0], update=RESERVATION[1], show=format_size),
    Option("pids_limit", type="int", normalize=normalize_limit, unset=lambda context: None,
           read=read_limit("PidsLimit"), write=PIDS[0], update=PIDS[1], lifts_in_place=True),
    Option("user", unset=_image("User", ""), read=_config("User", ""), write=_set("user")),
    Option("working_dir", normalize=_working_dir, unset=_image("WorkingDir", ""), read=_config("WorkingDir", ""),
           write=_set("working_dir")),
    Option("hostname", read=_config("Hostname"), write=_set("hostname")),
    Option("read_only", type="bool", unset=lambda context: False, read=_bool("ReadonlyRootfs", "HostConfig"),
           write=_set("read_only", "host")),
    Option("privileged", type="bool", unset=lambda context: False, read=_bool("Privileged", "HostConfig"),
           write=_set("privileged", "host")),
    Option("cap_add", type="list", elements="str", normalize=_caps, unset=lambda context: [],
           read=_read_caps("CapAdd"), write=_set("cap_add", "host")),
    Option("cap_drop", type="list", elements="str", normalize=_caps, unset=lambda context: [],
           read=_read_caps("CapDrop"), write=_set("cap_drop", "host")),
    Option("security_opts", type="list", elements="str", normalize=_security_opts, unset=lambda context: [],
           read=_read_security_opts, write=_set("security_opt", "host")),
    Option("log_driver", unset=_log_unset, check=_log_driver_on_engine, read=_read_log_driver,
           write=_write_log("Type")),
    # Left out, the engine's default log-opts (daemon.json) apply: no opinion. Given, the engine still
    # adds its default log-opts for the default driver (max-file next to the user's max-size), and the
    # API does not tell which: only the options the user names are compared.
    Option("log_options", type="dict", normalize=string_map, compare="subset",
           read=_read_log_options, write=_write_log("Config")),
    Option("stop_signal", unset=_image("StopSignal", NO_OPINION), read=_config("StopSignal"),
           write=_set("stop_signal")),
    Option("stop_timeout", type="int", normalize=_positive_int, read=_config("StopTimeout"),
           write=_set("stop_timeout")),
] + EXTRA_OPTIONS)

# What the spec-hash label cannot vouch for: the options that change in place (see Option.update).
UPDATABLE_OPTIONS = CONTAINER_OPTIONS.subtable(lambda option: not option.in_hash)
