# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One Compose service (canonical JSON) -> the options of ``flotilla.fleet.containers`` for its replicas.

Every key is looked up in the key table (``_keys``): mapped here, recorded for a later option, ignored with a
warning, or refused with an error that names the service and the key.
"""

from __future__ import annotations

from ansible_collections.flotilla.fleet.plugins.module_utils._fleet import ULIMIT_NAMES

from ._errors import StackError
from ._keys import IGNORED, RECORDED, REFUSED, SERVICE_KEYS
from ._mounts import container_mounts, container_ports, file_mounts, service_files
from ._units import duration_seconds, parse_bytes

# Labels the containers module manages itself; a Compose file may not set them.
_MANAGED_PREFIX = "flotilla."
_RESTART = {"no": "no", "always": "always", "unless-stopped": "unless-stopped", "on-failure": "on-failure"}
_DEPLOY_RESTART = {"none": "no", "any": "always", "on-failure": "on-failure"}
# Straight copies: Compose key -> containers option.
_SAME = {"user": "user", "working_dir": "working_dir", "hostname": "hostname", "read_only": "read_only",
         "privileged": "privileged", "cap_add": "cap_add", "cap_drop": "cap_drop", "security_opt": "security_opts",
         "stop_signal": "stop_signal", "pids_limit": "pids_limit", "init": "init", "dns": "dns",
         "dns_search": "dns_search", "dns_opt": "dns_opts", "group_add": "group_add", "tty": "tty",
         "domainname": "domainname"}


def map_service(stack: str, name: str, definition: dict, project: dict, files_dir: str, warnings: list) -> dict:
    """The model of one service, without placement (see ``_deploy``)."""
    check_keys(name, definition, warnings)
    options = {"image": definition.get("image") or f"{stack}-{name}"}
    for key in ("command", "entrypoint"):
        if definition.get(key) is not None:
            options[key] = [str(item) for item in definition[key]]
    env = {key: str(value) for key, value in (definition.get("environment") or {}).items() if value is not None}
    if env:
        options["env"] = env
    labels = dict(definition.get("labels") or {})
    for key in labels:
        if key.startswith(_MANAGED_PREFIX):
            raise StackError(f"services.{name}.labels.{key}", f"labels starting with {_MANAGED_PREFIX!r} are "
                             "managed by flotilla.fleet")
    if labels:
        options["labels"] = labels
    if definition.get("ports"):
        options["ports"] = container_ports(name, definition["ports"])
    files = service_files(stack, name, definition, project, files_dir)
    mounts = container_mounts(name, definition, project.get("volumes") or {}, warnings) + file_mounts(files)
    if mounts:
        options["mounts"] = mounts
    pending = {}
    _networks(name, definition, project.get("networks") or {}, options, pending)
    if definition.get("healthcheck"):
        options["healthcheck"] = _healthcheck(name, definition["healthcheck"], pending)
    _restart(name, definition, options)
    for key, option in _SAME.items():
        if definition.get(key) not in (None, [], ""):
            options[option] = definition[key]
    logging = definition.get("logging") or {}
    if logging.get("driver"):
        options["log_driver"] = logging["driver"]
    if logging.get("options"):
        options["log_options"] = {key: str(value) for key, value in logging["options"].items()}
    if definition.get("stop_grace_period") is not None:
        options["stop_timeout"] = duration_seconds(definition["stop_grace_period"],
                                                   f"services.{name}.stop_grace_period")
    _resources(name, definition, options)
    _extras(name, definition, options)
    for key in RECORDED:
        if definition.get(key) not in (None, [], {}):
            pending[key] = definition[key]
    return {"container": options, "pending": pending, "files": files}


def check_keys(name: str, definition: dict, warnings: list) -> None:
    for key in definition:
        field = f"services.{name}.{key}"
        if key.startswith("x-"):  # extensions; x-flotilla is read by _deploy
            continue
        if key in REFUSED:
            raise StackError(field, f"not supported: {REFUSED[key]}")
        if key in IGNORED:
            warnings.append(f"{field}: ignored ({IGNORED[key]})")
        elif key in RECORDED:
            warnings.append(f"{field}: kept in the model but not applied ({RECORDED[key]})")
        elif key not in SERVICE_KEYS:
            raise StackError(field, "a Compose key that flotilla.fleet does not know yet (it is neither mapped, "
                             "ignored nor refused in its key table)")


def _networks(name: str, definition: dict, declared: dict, options: dict, pending: dict) -> None:
    mode = definition.get("network_mode")
    field = f"services.{name}.network_mode"
    if mode in ("host", "none", "bridge"):
        options["networks"] = [{"name": mode}]
        return
    if mode:
        if mode.startswith("service:"):
            # The containers module cannot join another container's namespace yet: kept for the deploy.
            pending["network_mode"] = mode
            return
        raise StackError(field, f"{mode!r} is not supported (use host, none, bridge or service:<name>)")
    attached = []
    for key, settings in sorted((definition.get("networks") or {}).items(),
                                key=lambda item: (-((item[1] or {}).get("priority") or 0), item[0])):
        settings = settings or {}
        where = f"services.{name}.networks.{key}"
        if key not in declared:
            raise StackError(where, f"network {key!r} is not declared in the top-level networks")
        network = {"name": declared[key]["name"], "aliases": sorted({name, *(settings.get("aliases") or [])})}
        if settings.get("ipv4_address"):
            network["ipv4_address"] = settings["ipv4_address"]
        for extra in ("ipv6_address", "link_local_ips", "mac_address", "driver_opts", "gw_priority"):
            if settings.get(extra):
                raise StackError(f"{where}.{extra}", "not supported by the containers module")
        attached.append(network)
    if attached:
        options["networks"] = attached


def _healthcheck(name: str, check: dict, pending: dict) -> dict:
    test = check.get("test")
    if check.get("disable") or test == ["NONE"]:
        return {"disable": True}
    result = {"test": list(test) if isinstance(test, list) else test}
    for key in ("interval", "timeout", "start_period"):
        if check.get(key) is not None:
            result[key] = str(check[key])
    if check.get("retries") is not None:
        result["retries"] = int(check["retries"])
    if check.get("start_interval") is not None:
        pending["healthcheck_start_interval"] = check["start_interval"]
    return result


def _restart(name: str, definition: dict, options: dict) -> None:
    restart = definition.get("restart")
    if restart:
        policy, _sep, retries = str(restart).partition(":")
        if policy not in _RESTART:
            raise StackError(f"services.{name}.restart", f"unknown policy {restart!r} "
                             "(use no, always, on-failure[:N], unless-stopped)")
        options["restart_policy"] = _RESTART[policy]
        if retries:
            options["restart_retries"] = int(retries)
        return
    policy = (definition.get("deploy") or {}).get("restart_policy") or {}
    if policy.get("condition"):
        options["restart_policy"] = _DEPLOY_RESTART[policy["condition"]]
        if policy.get("max_attempts") and policy["condition"] == "on-failure":
            options["restart_retries"] = int(policy["max_attempts"])


def _resources(name: str, definition: dict, options: dict) -> None:
    resources = (definition.get("deploy") or {}).get("resources") or {}
    limits, reservations = resources.get("limits") or {}, resources.get("reservations") or {}
    cpus = limits.get("cpus", definition.get("cpus"))
    if cpus not in (None, 0, "0"):
        options["cpus"] = float(cpus)
    memory = limits.get("memory", definition.get("mem_limit"))
    if memory not in (None, 0, "0"):
        options["memory"] = str(parse_bytes(memory, f"services.{name}.deploy.resources.limits.memory"))
    soft = definition.get("mem_reservation", reservations.get("memory"))
    if soft not in (None, 0, "0"):
        options["memory_reservation"] = str(parse_bytes(soft, f"services.{name}.deploy.resources.reservations.memory"))
    if limits.get("pids"):
        options["pids_limit"] = int(limits["pids"])


def _extras(name: str, definition: dict, options: dict) -> None:
    """extra_hosts, sysctls, ulimits and shm_size, from Compose's canonical spellings to the options'."""
    hosts = definition.get("extra_hosts") or []
    if hosts:
        # Compose writes host=ip (an IPv6 address has colons); the option takes host:ip.
        options["extra_hosts"] = [entry.replace("=", ":", 1) for entry in hosts]
    if definition.get("sysctls"):
        options["sysctls"] = {key: str(value) for key, value in definition["sysctls"].items()}
    ulimits = []
    for limit, value in sorted((definition.get("ulimits") or {}).items()):
        if limit not in ULIMIT_NAMES:
            raise StackError(f"services.{name}.ulimits.{limit}",
                             "not a ulimit (use one of %s)" % ", ".join(ULIMIT_NAMES))
        soft, hard = (value.get("soft"), value.get("hard")) if isinstance(value, dict) else (value, value)
        ulimits.append({"name": limit, "soft": int(soft), "hard": int(hard)})
    if ulimits:
        options["ulimits"] = ulimits
    if definition.get("shm_size") not in (None, 0, "0"):
        options["shm_size"] = str(parse_bytes(definition["shm_size"], f"services.{name}.shm_size"))
