# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The container options (declared once in _container_options.CONTAINER_OPTIONS and _container.CONTROL_SPEC)."""

    DOCUMENTATION = r"""
options:
  name:
    description: Container name.
    type: str
    required: true
  state:
    description:
      - V(present) makes sure the container exists with this configuration; a new container is not started, a
        recreated one keeps its previous running state.
      - V(started) also makes sure it runs; V(stopped) makes sure it exists and does not run.
      - V(healthy) starts it and waits up to O(wait_timeout) seconds for its healthcheck to pass. When neither
        O(healthcheck) nor the image defines a healthcheck, the task fails before changing anything.
      - V(absent) removes it (named volumes are kept).
    type: str
    choices: [present, started, stopped, healthy, absent]
    default: started
  recreate:
    description:
      - Recreate the container even when its configuration is unchanged.
      - A recreate keeps the old container, renamed, until the new one runs (see O(order)); when the new one
        cannot be created, started or made healthy, the old container gets its name and state back.
    type: bool
    default: false
  order:
    description:
      - How a recreate replaces a running container.
      - V(stop-first) stops the old container before the new one starts (no two run on the same volumes).
      - V(start-first) starts the new one (and waits for it to be healthy, with O(state=healthy)) while the old one
        still runs, renamed, and stops the old one after. Two containers cannot publish the same host port or
        hold the same static address, so when O(ports) publishes a fixed host port or O(networks) has an
        O(networks[].ipv4_address), V(start-first) falls back to V(stop-first) and the result's C(plan.order_note)
        says why.
    type: str
    choices: [stop-first, start-first]
    default: stop-first
  pull:
    description:
      - V(missing) pulls the image when the engine does not have it; V(never) fails instead.
      - Air-gapped hosts load images with M(flotilla.fleet.image).
    type: str
    choices: [missing, never]
    default: missing
  wait_timeout:
    description: Seconds to wait for O(state=healthy).
    type: int
    default: 60
  compare:
    description:
      - V(hash) trusts the spec hash label written at creation for the options fixed at creation; the options
        that change in place (O(cpus), O(memory), O(memory_reservation), O(pids_limit), O(restart_policy),
        O(restart_retries), O(networks)) are always compared with what the engine reports.
      - V(full) compares every option with what the engine reports, to catch changes made outside Ansible.
    type: str
    choices: [hash, full]
    default: hash
  image:
    description:
      - Image reference (V(name:tag), V(name@sha256:digest)) or image ID (V(sha256:...) or its first 12 hex
        digits). Required unless O(state=absent).
      - The container is recreated when the reference resolves to another image ID; another reference to the same
        image changes nothing.
      - Images loaded with C(docker load) or C(docker import) have no repository digest, so V(name@sha256:digest)
        cannot refer to them; pin them by image ID. An image ID is never pulled.
    type: str
  command:
    description:
      - Command, as a list of arguments or a string split like a shell would. Left out (or V([])), the
        image's CMD is used, unless O(entrypoint) is given (the engine then runs the entrypoint without the
        image's CMD).
    type: raw
  entrypoint:
    description: Entrypoint, as a list or a string. Left out, the image's ENTRYPOINT is used.
    type: raw
  env:
    description:
      - Environment variables, merged over the image's. Values are strings; quote booleans and decimals
        (YAML reads V(1.10) as the number 1.1). A name is not empty and has no C(=).
      - Variables the image sets are only compared when given here.
    type: dict
  labels:
    description:
      - Labels. Keys starting with C(flotilla.) are reserved, except C(flotilla.stack) (and its older name
        C(flotilla.project)), C(flotilla.service) and C(flotilla.replica), which M(flotilla.fleet.host_info) and
        the scheduler read.
      - Labels the image brings are only compared when given here.
    type: dict
  ports:
    description:
      - Published ports, as C([HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]) strings or dictionaries with
        C(container_port), C(host_port), C(host_ip) and C(protocol).
      - Bind to an explicit address (C(127.0.0.1:8080:80)) unless the port must be reachable from everywhere.
        Without an address the port is published on every address, IPv4 and IPv6; C(0.0.0.0) means IPv4 only.
      - Port ranges are not supported; list each port.
    type: list
    elements: raw
  mounts:
    description: Named volumes, bind mounts and tmpfs mounts.
    type: list
    elements: dict
    suboptions:
      type:
        description: Kind of mount.
        type: str
        choices: [volume, bind, tmpfs]
        default: volume
      source:
        description: Volume name (left out, an anonymous volume) or absolute host path for V(bind).
        type: str
      target:
        description: Absolute path inside the container, other than V(/).
        type: str
        required: true
      read_only:
        description: Mount read-only.
        type: bool
        default: false
      tmpfs_size:
        description: Size limit of a tmpfs mount, such as V(64m).
        type: str
      tmpfs_mode:
        description: Octal file mode of a tmpfs mount, such as V(1777).
        type: str
  networks:
    description:
      - Networks to attach, in order; the first is used at creation (the container's network mode). Left out,
        the default bridge.
      - Changes are applied by connecting and disconnecting, keeping the container; switching to or from the
        V(host) or V(none) network recreates it.
    type: list
    elements: dict
    suboptions:
      name:
        description: Network name.
        type: str
        required: true
      aliases:
        description: DNS aliases on this network (user-defined networks only).
        type: list
        elements: str
      ipv4_address:
        description: Static IPv4 address (user-defined networks with a subnet only).
        type: str
  restart_policy:
    description: Restart policy; changed in place.
    type: str
    choices: ['no', always, on-failure, unless-stopped]
  restart_retries:
    description: Maximum restarts with O(restart_policy=on-failure).
    type: int
  healthcheck:
    description:
      - Healthcheck; left out, the image's. Durations are strings such as C(5s) or C(1m30s).
      - Durations and retries left out (or 0) are taken from the image's healthcheck, as the engine does.
    type: dict
    suboptions:
      test:
        description:
          - Shell command string (run with C(CMD-SHELL)) or argument list (optionally starting with C(CMD) or
            C(CMD-SHELL)).
          - An empty command (V(""), V([CMD]), V([CMD-SHELL])) is refused; use O(healthcheck.disable) for no check.
        type: raw
      interval:
        description: Time between checks.
        type: str
      timeout:
        description: Time a check may take.
        type: str
      retries:
        description: Consecutive failures before the container is unhealthy.
        type: int
      start_period:
        description: Grace period after start in which failures do not count.
        type: str
      disable:
        description: Disable the image's healthcheck.
        type: bool
        default: false
  cpus:
    description:
      - CPU limit, a number of CPUs such as V(0.5) or V(2), or millicpus such as V(500m) (the spelling of the
        P(flotilla.fleet.placement#lookup) lookup); changed in place.
      - At least V(0.01) (V(10m)), the smallest limit the engine applies, and at most the engine's CPU count.
    type: raw
  memory:
    description:
      - Memory hard limit, such as V(512m), V(1g), V(1.5GiB), V(512Mi) or a number of bytes (every unit a power of
        1024, as with the P(flotilla.fleet.placement#lookup) lookup); changed in place. No swap beyond it.
      - The engine cannot lift a limit in place, so removing O(memory), O(memory_reservation) or O(cpus) recreates
        the container.
    type: str
  memory_reservation:
    description: Memory soft limit; changed in place.
    type: str
  pids_limit:
    description: Maximum number of processes; changed in place, also when removed.
    type: int
  user:
    description: User (and group) to run as. Left out, the image's.
    type: str
  working_dir:
    description: Working directory, an absolute path. Left out, the image's.
    type: str
  hostname:
    description: Host name inside the container.
    type: str
  read_only:
    description: Mount the root filesystem read-only.
    type: bool
  privileged:
    description: Give the container all privileges of the host. Avoid.
    type: bool
  cap_add:
    description: Capabilities to add, such as V(NET_ADMIN) (Linux capability names, with or without C(CAP_)).
    type: list
    elements: str
  cap_drop:
    description: Capabilities to drop, such as V(ALL).
    type: list
    elements: str
  security_opts:
    description: Security options, such as V(no-new-privileges).
    type: list
    elements: str
  log_driver:
    description:
      - Logging driver. Left out, the engine's default.
      - A built-in driver (such as V(json-file), V(local), V(journald)) or a log plugin installed on the engine.
    type: str
  log_options:
    description:
      - Logging driver options.
      - Only the options given are compared. The engine adds its default log options (C(log-opts) in
        C(daemon.json)) to those of its default driver, so removing an option from this list is not seen as a
        change.
    type: dict
  stop_signal:
    description: Signal that stops the container. Left out, the image's.
    type: str
  stop_timeout:
    description: Seconds to wait after the stop signal before killing.
    type: int
  init:
    description:
      - Run an init process (docker-init) as PID 1 that reaps zombies and forwards signals.
      - Left out, the engine's default applies (no opinion). Fixed at creation; a change recreates.
    type: bool
  extra_hosts:
    description:
      - Extra lines for the container's C(/etc/hosts), each C(host:ip) (such as C(db.local:127.0.0.1)); the
        address may be V(host-gateway). Order does not matter. Fixed at creation.
    type: list
    elements: str
  dns:
    description: DNS server addresses, in order. Left out, the engine's default applies. Fixed at creation.
    type: list
    elements: str
  dns_search:
    description: DNS search domains, in order. Left out, the engine's default applies. Fixed at creation.
    type: list
    elements: str
  dns_opts:
    description: Resolver options (such as C(ndots:2)) for C(/etc/resolv.conf). Fixed at creation.
    type: list
    elements: str
  sysctls:
    description:
      - Namespaced kernel parameters, name to value (such as C(net.core.somaxconn) to C("1024")). Values are
        strings; quote booleans and floats. Fixed at creation.
    type: dict
  ulimits:
    description:
      - Resource limits (setrlimit) of the container's processes. Only the names listed are compared (the engine
        adds its default ulimits). Fixed at creation.
    type: list
    elements: dict
    suboptions:
      name:
        description: The resource, such as V(nofile) or V(nproc) (the names of C(docker run --ulimit)).
        type: str
        required: true
      soft:
        description: The soft limit; -1 for unlimited.
        type: int
        required: true
      hard:
        description: The hard limit (at least O(ulimits[].soft)); -1 for unlimited. Defaults to O(ulimits[].soft).
        type: int
  shm_size:
    description:
      - Size of C(/dev/shm), such as V(128m) or V(1g) (powers of 1024). Left out, the engine's default (64m)
        applies. Fixed at creation.
    type: str
  group_add:
    description: Extra groups (names or IDs) for the container's user. Order does not matter. Fixed at creation.
    type: list
    elements: str
  tty:
    description: Allocate a pseudo-TTY. Fixed at creation.
    type: bool
  domainname:
    description: The container's NIS domain name. Fixed at creation.
    type: str
"""
