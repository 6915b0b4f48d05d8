#!/usr/bin/env python
"""A lab of Docker-in-Docker nodes, each running its own dockerd reachable over TLS.

    lab.py up [--nodes 3]           create/refresh nodes flotilla-lab-1..N, write the inventory
    lab.py load-image NAME [NAME..] copy host images into every node
    lab.py status                   show the nodes and whether their engines answer
    lab.py down                     remove nodes, network and volumes (label flotilla.lab=1)
    lab.py molecule-env [--check]   write .env.yml, the node capabilities the Molecule scenarios read

Run as root (or a docker-group user) with the project venv. Needs the image built by
tests/images/build.py node. Writes .build/lab/inventory.yml, .build/lab/certs/ and inventories/lab/hosts.yml
(the git-ignored part of the inventory directory inventories/lab).
"""

import argparse
import contextlib
import fcntl
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker
import docker.errors

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _certs  # noqa: E402 - sibling modules of this script
import _nodes  # noqa: E402
from _inventory import render_inventory, render_lab_hosts  # noqa: E402
from _nodes import LabError  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
LAB_DIR = REPO_ROOT / ".build" / "lab"
INVENTORY = LAB_DIR / "inventory.yml"
LAB_HOSTS = REPO_ROOT / "inventories" / "lab" / "hosts.yml"  # with the committed rest of inventories/lab
CERT_PATHS = _certs.CertPaths(LAB_DIR / "certs")
LOCK_FILE = LAB_DIR / ".lock"
LOCK_TIMEOUT = 600
# overlay2 works inside a node here: /var/lib/docker is a volume on the host's ext4, not on the
# outer engine's fuse-overlayfs. vfs also works but copies every layer in full.
DEFAULT_STORAGE_DRIVER = "overlay2"


def log(message):
    print(f"[lab] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def lab_lock(timeout=LOCK_TIMEOUT):
    """Serialize lab.py runs that change the lab: two concurrent `up`s would fight over nodes."""
    LAB_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOCK_FILE, "a+") as handle:
        deadline = time.monotonic() + timeout
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LabError(f"another lab.py run held {LOCK_FILE} for over {timeout} s")
                if not announced:
                    log("waiting for another lab.py run to finish")
                    announced = True
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def host_client():
    try:
        client = docker.from_env(timeout=120)
        client.ping()
        return client
    except docker.errors.DockerException as exc:
        raise LabError(f"no Docker engine answers on this host ({exc}); run scripts/ensure-docker")


def node_is_healthy(container, image_id, storage_driver):
    """A node can be kept if it runs the current image and driver and answers with valid TLS."""
    ip = _nodes.node_ip(container)
    return (container.status == "running" and container.image.id == image_id
            and f"--storage-driver={storage_driver}" in " ".join(container.attrs["Args"])
            and ip is not None and _certs.server_cert_matches(CERT_PATHS, container.name, ip)
            and _nodes.tls_answers(ip, CERT_PATHS))


def cmd_up(args):
    started = time.monotonic()
    client = host_client()
    try:
        image_id = client.images.get(_nodes.NODE_IMAGE).id
    except docker.errors.ImageNotFound:
        raise LabError(f"image {_nodes.NODE_IMAGE} is missing; build it with: "
                       f"{sys.executable} {REPO_ROOT}/tests/images/build.py node")
    if _certs.ensure_ca_and_client(CERT_PATHS):
        log(f"created a new lab CA and client certificate in {CERT_PATHS.dir}")
    _nodes.ensure_network(client)

    wanted = {_nodes.node_name(i) for i in range(1, args.nodes + 1)}
    kept = []
    for container in _nodes.lab_containers(client):
        if container.name in wanted and node_is_healthy(container, image_id, args.storage_driver):
            kept.append(container)
        else:
            log(f"removing {container.name} (unwanted, stale or not answering)")
            _nodes.remove_node(client, container)
    kept_names = {c.name for c in kept}

    created = []
    for name in sorted(wanted - kept_names, key=_nodes.node_index):
        log(f"starting {name}")
        created.append(_nodes.create_node(client, name, args.storage_driver))
    for container in created:
        ip = _nodes.node_ip(container)
        if not ip:
            raise LabError(f"lab node {container.name}: got no IP on network {_nodes.NETWORK}; "
                           f"last log lines:\n{_nodes.last_log_lines(container)}")
        _certs.issue_server_cert(CERT_PATHS, container.name, ip)
        _nodes.copy_certs(container, CERT_PATHS)

    nodes = sorted(kept + created, key=lambda c: _nodes.node_index(c.name))
    _nodes.wait_for_engines(nodes, CERT_PATHS, args.timeout)
    pairs = [(c.name, _nodes.node_ip(c)) for c in nodes]
    INVENTORY.parent.mkdir(parents=True, exist_ok=True)
    INVENTORY.write_text(render_inventory(pairs, CERT_PATHS, _nodes.TLS_PORT))
    if LAB_HOSTS.parent.is_dir():
        LAB_HOSTS.write_text(render_lab_hosts(pairs, _nodes.TLS_PORT))
    summary = {
        "nodes": {name: f"tcp://{ip}:{_nodes.TLS_PORT}" for name, ip in pairs},
        "kept": sorted(kept_names), "created": [c.name for c in created],
        "inventory": str(INVENTORY), "inventory_dir": str(LAB_HOSTS.parent), "certs": str(CERT_PATHS.dir),
        "storage_driver": args.storage_driver,
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(summary, indent=2))


def running_nodes(client):
    nodes = [c for c in _nodes.lab_containers(client) if c.status == "running"]
    if not nodes:
        raise LabError("no lab node is running; start the lab with: lab.py up")
    return nodes


def node_has_image(container, image_name, image_id):
    client = _nodes.tls_client(_nodes.node_ip(container), CERT_PATHS, timeout=30)
    try:
        return client.images.get(image_name).id == image_id
    except docker.errors.ImageNotFound:
        return False
    finally:
        client.close()


def load_into_node(container, image_name, archive):
    """Stream a saved image archive into one node through its TLS API."""
    client = _nodes.tls_client(_nodes.node_ip(container), CERT_PATHS, timeout=600)
    try:
        with open(archive, "rb") as stream:  # requests sends a file object in chunks
            for event in client.api.load_image(stream):
                if "error" in event:
                    raise LabError(f"lab node {container.name}: loading {image_name} failed: "
                                   f"{event['error']}")
    finally:
        client.close()


def cmd_load_image(args):
    started = time.monotonic()
    client = host_client()
    nodes = running_nodes(client)
    for name in args.names:
        try:
            image = client.images.get(name)
        except docker.errors.ImageNotFound:
            raise LabError(f"image {name} is not on the host; build it first "
                           f"(tests/images/build.py)")
        missing = [c for c in nodes if not node_has_image(c, name, image.id)]
        for container in nodes:
            if container not in missing:
                log(f"{container.name}: {name} already present")
        if not missing:
            continue
        # Save once to disk, then stream that file to the nodes in parallel.
        fd, archive = tempfile.mkstemp(prefix="image-", suffix=".tar", dir=LAB_DIR)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in client.api.get_image(name, chunk_size=1 << 20):
                    out.write(chunk)
            with ThreadPoolExecutor(max_workers=len(missing)) as pool:
                loads = {c.name: pool.submit(load_into_node, c, name, archive) for c in missing}
                for node, load in loads.items():
                    load.result()  # re-raises the node's LabError, if any
                    log(f"{node}: {name} loaded")
        finally:
            os.unlink(archive)
    log(f"load-image done in {time.monotonic() - started:.1f} s")


def cmd_status(args):
    client = host_client()
    containers = _nodes.lab_containers(client)
    if not containers:
        print("lab is down (no container labelled flotilla.lab=1)")
        return
    for container in containers:
        ip = _nodes.node_ip(container)
        line = f"{container.name:16} {container.status:8} {ip or '-':15}"
        if container.status == "running" and ip:
            line += " engine: " + describe_engine(ip)
        print(line)
    if INVENTORY.exists():
        print(f"inventory: {INVENTORY}")


def describe_engine(ip):
    try:
        engine = _nodes.tls_client(ip, CERT_PATHS, timeout=5)
        try:
            info = engine.info()
        finally:
            engine.close()
    except (docker.errors.DockerException, OSError) as exc:
        return f"NOT answering over TLS ({type(exc).__name__})"
    swarm = info.get("Swarm", {}).get("LocalNodeState", "?")
    return (f"{info.get('ServerVersion')} driver={info.get('Driver')} "
            f"containers={info.get('Containers')} images={info.get('Images')} swarm={swarm}")


def cmd_down(args):
    started = time.monotonic()
    client = host_client()
    label = {"label": f"{_nodes.LABEL}=1"}
    for container in _nodes.lab_containers(client):
        log(f"removing {container.name}")
        _nodes.remove_node(client, container)
    for volume in client.volumes.list(filters=label):
        volume.remove(force=True)
    for network in client.networks.list(filters=label):
        network.remove()
    INVENTORY.unlink(missing_ok=True)
    LAB_HOSTS.unlink(missing_ok=True)
    log(f"lab is down ({time.monotonic() - started:.1f} s)")


def cmd_molecule_env(args):
    """Write (or, with --check, compare) .env.yml from CAPABILITIES: the one list of node capabilities."""
    path = REPO_ROOT / _nodes.MOLECULE_ENV_FILE
    wanted = _nodes.render_molecule_env()
    current = path.read_text() if path.exists() else None
    if args.check:
        if current != wanted:
            raise LabError(f"{path} is not what CAPABILITIES in tests/lab/_nodes.py gives; run lab.py molecule-env")
        return
    if current != wanted:
        path.write_text(wanted)
        log(f"wrote {path}")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="create or refresh the lab")
    up.add_argument("--nodes", type=int, default=3, help="number of nodes (default 3)")
    up.add_argument("--timeout", type=int, default=60,
                    help="seconds to wait for the inner engines (default 60)")
    up.add_argument("--storage-driver", default=DEFAULT_STORAGE_DRIVER,
                    help=f"inner dockerd storage driver (default {DEFAULT_STORAGE_DRIVER})")
    up.set_defaults(func=cmd_up)
    load = sub.add_parser("load-image", help="copy host images into every running node")
    load.add_argument("names", nargs="+", metavar="NAME")
    load.set_defaults(func=cmd_load_image)
    sub.add_parser("status", help="show the nodes").set_defaults(func=cmd_status)
    sub.add_parser("down", help="remove the whole lab").set_defaults(func=cmd_down)
    env = sub.add_parser("molecule-env", help="write .env.yml, the node capabilities Molecule reads")
    env.add_argument("--check", action="store_true", help="fail when .env.yml is out of date, change nothing")
    env.set_defaults(func=cmd_molecule_env)
    args = parser.parse_args(argv)
    if args.command == "up" and not 1 <= args.nodes <= 20:
        parser.error("--nodes must be between 1 and 20")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        if args.command in ("status", "molecule-env"):
            args.func(args)
        else:
            with lab_lock():
                args.func(args)
    except (LabError, docker.errors.DockerException) as exc:
        print(f"lab.py {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
