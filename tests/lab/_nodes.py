"""Docker-in-Docker lab nodes: the outer containers, their network and volumes (docker SDK)."""

import io
import re
import tarfile
import time

import docker
import docker.errors
import docker.tls

LABEL = "flotilla.lab"
NETWORK = "flotilla-lab"
NODE_PREFIX = "flotilla-lab-"
NODE_IMAGE = "flotilla-test/node:latest"
TLS_PORT = 2376
CERT_DIR_IN_NODE = "/etc/flotilla/certs"
NODE_API_VERSION = "1.41"

# --privileged fails on this kernel ("unable to apply caps") and so does SYS_RESOURCE, so every
# other capability is listed explicitly (the API has no "ALL minus X"). Engines older than the
# kernel reject the newest names (20.10 knows no BPF); create_node drops those and retries.
CAPABILITIES = [
    "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE",
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER",
    "KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN",
    "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "PERFMON", "SETFCAP", "SETGID", "SETPCAP",
    "SETUID", "SYSLOG", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE", "SYS_NICE",
    "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_TIME", "SYS_TTY_CONFIG", "WAKE_ALARM",
]

# dockerd starts only once the controller has copied the node's server certificate in (the
# certificate names the node's IP, which is known only after the container started).
NODE_COMMAND = """\
for i in $(seq 600); do [ -f {certs}/ready ] && break; sleep 0.2; done
[ -f {certs}/ready ] || {{ echo "no TLS certificates arrived in {certs}" >&2; exit 1; }}
exec dockerd --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:{port} \
  --tlsverify --tlscacert={certs}/ca.pem --tlscert={certs}/server-cert.pem \
  --tlskey={certs}/server-key.pem --storage-driver={driver}
"""


class LabError(Exception):
    """A lab failure with a message fit for the user."""


def node_name(index):
    return f"{NODE_PREFIX}{index}"


def node_index(name):
    """1-based index of a node name, or None for names that are not lab nodes."""
    suffix = name[len(NODE_PREFIX):] if name.startswith(NODE_PREFIX) else ""
    return int(suffix) if suffix.isdigit() else None


def lab_containers(client):
    found = client.containers.list(all=True, filters={"label": f"{LABEL}=1"})
    return sorted(found, key=lambda c: node_index(c.name) or 0)


def ensure_network(client):
    existing = client.networks.list(names=[NETWORK])
    if existing:
        return existing[0]
    return client.networks.create(NETWORK, driver="bridge", labels={LABEL: "1"})


def node_ip(container):
    container.reload()
    networks = container.attrs["NetworkSettings"]["Networks"]
    return (networks.get(NETWORK) or {}).get("IPAddress") or None


def create_node(client, name, storage_driver):
    """Start the outer container of a node; its dockerd waits for certificates."""
    volume = client.volumes.create(f"{name}-docker", labels={LABEL: "1"})
    command = NODE_COMMAND.format(certs=CERT_DIR_IN_NODE, port=TLS_PORT, driver=storage_driver)
    capabilities = list(CAPABILITIES)
    while True:
        try:
            return client.containers.run(
                NODE_IMAGE, ["/bin/sh", "-c", command], name=name, hostname=name, detach=True,
                labels={LABEL: "1"}, network=NETWORK,
                cap_add=capabilities, security_opt=["seccomp=unconfined", "apparmor=unconfined"],
                cgroupns="host",
                volumes={"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"},
                         volume.name: {"bind": "/var/lib/docker", "mode": "rw"}},
                # A fresh /run on each start: a restarted node must not find a stale pid file.
                tmpfs={"/run": "rw,exec"},
            )
        except docker.errors.APIError as exc:
            unknown = _unknown_capability(str(exc.explanation or exc))
            if unknown not in capabilities:
                raise
            capabilities.remove(unknown)


def _unknown_capability(message):
    """The capability named by an engine's 'unknown capability: "CAP_X"' error, e.g. 'X'."""
    match = re.search(r'unknown capability: \W*(?:CAP_)?([A-Z_]+)', message)
    return match.group(1) if match else None


def remove_node(client, container):
    name = container.name
    container.remove(force=True, v=True)
    try:
        client.volumes.get(f"{name}-docker").remove(force=True)
    except docker.errors.NotFound:
        pass


def copy_certs(container, paths):
    """Put CA, server certificate and key into the node, then the `ready` marker."""
    node = container.name
    files = {"ca.pem": paths.ca_cert.read_bytes(),
             "server-cert.pem": paths.server_cert(node).read_bytes(),
             "server-key.pem": paths.server_key(node).read_bytes(),
             "ready": b""}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for directory in ("etc/flotilla", CERT_DIR_IN_NODE.lstrip("/")):
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        # `ready` last: the node's start script waits for it before it reads the others.
        for name, data in files.items():
            info = tarfile.TarInfo(f"{CERT_DIR_IN_NODE.lstrip('/')}/{name}")
            info.size, info.mode = len(data), 0o600 if name.endswith("key.pem") else 0o644
            tar.addfile(info, io.BytesIO(data))
    if not container.put_archive("/", buffer.getvalue()):
        raise LabError(f"lab node {node}: copying TLS certificates into the node failed")


def tls_client(ip, paths, timeout=30):
    tls = docker.tls.TLSConfig(client_cert=(str(paths.client_cert), str(paths.client_key)),
                               ca_cert=str(paths.ca_cert), verify=True)
    # requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE from the environment override the session's
    # CA file (docker/docker-py#2433), so the lab CA would be ignored: switch the environment
    # off. That must happen before the first request, so the API version is pinned instead of
    # auto-detected; 1.41 is what bookworm's dockerd 20.10 speaks, newer engines accept it too.
    client = docker.DockerClient(base_url=f"tcp://{ip}:{TLS_PORT}", tls=tls, timeout=timeout,
                                 version=NODE_API_VERSION)
    client.api.trust_env = False
    return client


def tls_answers(ip, paths):
    try:
        client = tls_client(ip, paths, timeout=5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (docker.errors.DockerException, OSError):
        return False


def last_log_lines(container, count=10):
    try:
        text = container.logs(tail=count).decode(errors="replace").strip()
    except docker.errors.DockerException as exc:
        text = f"(could not read logs: {exc})"
    return text or "(no output)"


def wait_for_engines(containers, paths, timeout):
    """Wait until every node's dockerd answers over TLS; raise LabError naming the first laggard."""
    deadline = time.monotonic() + timeout
    pending = {c.name: c for c in containers}
    while pending:
        for name, container in list(pending.items()):
            container.reload()
            ip = node_ip(container)
            if container.status != "running":
                raise LabError(f"lab node {name}: container is {container.status}; last log "
                               f"lines:\n{last_log_lines(container)}")
            if ip and tls_answers(ip, paths):
                del pending[name]
        if pending and time.monotonic() > deadline:
            name, container = sorted(pending.items())[0]
            raise LabError(f"lab node {name}: dockerd did not answer on tcp://{node_ip(container)}:"
                           f"{TLS_PORT} within {timeout} s; last log lines:\n"
                           f"{last_log_lines(container)}")
        if pending:
            time.sleep(0.5)
