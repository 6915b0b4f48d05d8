#!/usr/bin/env python
"""Build the Docker images that tests and the demo need, from Debian packages only.

No container registry is reachable, so images are made with ``debootstrap`` and ``docker import``.
Each image is tagged with a content key (sha256 of its recipe); a rerun whose key is already
tagged does nothing. The rootfs tarball is cached under ``.cache/images/<key>.tar`` so an engine
that lost its images re-imports it without running debootstrap again.

Usage (as root, with the venv python):  build.py [base|node|haproxy|all] [--print-name]
Prints the key-tagged image names on stdout (progress goes to stderr).
"""

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import docker
import docker.errors

# Bump when the build steps change in a way the package lists do not capture.
RECIPE_VERSION = 1
SUITE = "bookworm"
# Python in the image (bookworm's python3); wheels for the node image are fetched for it.
IMAGE_PYTHON = "3.11"
REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / ".cache" / "images"

BASE_PACKAGES = [
    "python3", "iproute2", "iputils-ping", "netcat-openbsd", "procps", "ca-certificates",
]
NODE_PACKAGES = BASE_PACKAGES + [
    "docker.io", "containerd", "runc", "iptables", "openssl", "python3-pip",
]
# The docker SDK and its dependencies, pinned to the controller's versions so modules run
# against the same SDK inside a node as on the controller.
NODE_WHEELS = ["docker", "requests", "urllib3", "charset-normalizer", "idna", "certifi"]

PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The ingress image: HAProxy in master-worker mode. The master socket (-S) answers `show proc` and
# `reload`; the stats socket's `expose-fd listeners` lets a reloaded worker take over the listening
# sockets of the old one, so no connection is refused during a reload. The role flotilla.fleet.ingress
# replaces the bootstrap config below on its first run (it only has to start and listen).
HAPROXY_CONFIG_DIR = "/usr/local/etc/haproxy"
HAPROXY_BOOTSTRAP_CONFIG = """\
global
    log stdout format raw local0
    stats socket /run/haproxy-admin.sock mode 600 level admin expose-fd listeners
    hard-stop-after 30s

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend flotilla-ready
    bind 127.0.0.1:8404
    http-request return status 200 content-type text/plain string ready
"""

# Exits at once on SIGTERM, so `docker stop` does not wait for the 10 s kill timeout.
IDLE_CMD = 'CMD ["/bin/sh", "-c", "trap \'exit 0\' TERM; sleep infinity & wait"]'

RECIPES = {
    "base": {
        "repository": "flotilla-test/base",
        "packages": BASE_PACKAGES,
        "wheels": [],
        "changes": [f"ENV {PATH_ENV}", "ENV LANG=C.UTF-8", IDLE_CMD],
    },
    "haproxy": {
        "repository": "flotilla/haproxy",
        "packages": BASE_PACKAGES + ["haproxy", "socat"],
        "wheels": [],
        "files": {f"{HAPROXY_CONFIG_DIR}/haproxy.cfg": HAPROXY_BOOTSTRAP_CONFIG},
        "changes": [
            f"ENV {PATH_ENV}", "ENV LANG=C.UTF-8",
            f'CMD ["haproxy", "-W", "-db", "-S", "/run/haproxy-master.sock", '
            f'"-f", "{HAPROXY_CONFIG_DIR}/haproxy.cfg"]',
        ],
    },
    "node": {
        "repository": "flotilla-test/node",
        "packages": NODE_PACKAGES,
        "wheels": NODE_WHEELS,
        "changes": [
            f"ENV {PATH_ENV}", "ENV LANG=C.UTF-8",
            # Inner image data must not live on the outer engine's (fuse-)overlay filesystem.
            "VOLUME /var/lib/docker",
            'CMD ["dockerd", "--host=unix:///var/run/docker.sock"]',
        ],
    },
}


class BuildError(Exception):
    """A failure with a message fit for the user; no traceback needed."""


def log(message):
    print(f"[build] {message}", file=sys.stderr, flush=True)


def host_architecture():
    try:
        return subprocess.run(["dpkg", "--print-architecture"], check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def pinned_wheels(names):
    """Pin each wheel to the version installed with this interpreter (the controller venv)."""
    pins = []
    for name in names:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            raise BuildError(f"python package {name!r} is not installed in {sys.prefix}; run "
                             "this script with the project venv (pip install -r requirements.txt)")
    return pins


def image_key(recipe, arch, wheels):
    """Content key: anything that changes what ends up in the image changes the key."""
    material = {
        "recipe_version": RECIPE_VERSION,
        "suite": SUITE,
        "arch": arch,
        "packages": sorted(recipe["packages"]),
        "wheels": sorted(wheels),
        "image_python": IMAGE_PYTHON if wheels else None,
        "changes": recipe["changes"],
    }
    if recipe.get("files"):  # only recipes with files: the other keys stay as they were
        material["files"] = recipe["files"]
    blob = json.dumps(material, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def apt_mirror(sources_dir=Path("/etc/apt")):
    """First Debian archive URI in the machine's apt sources, or None for debootstrap's default."""
    files = [sources_dir / "sources.list"] + sorted((sources_dir / "sources.list.d").glob("*"))
    for path in files:
        if not path.is_file() or not path.name.endswith((".list", ".sources")):
            continue
        for uri in _uris_in_sources(path.read_text(errors="replace")):
            if uri.rstrip("/").endswith("/debian"):
                return uri
    return None


def _uris_in_sources(text):
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        legacy = re.match(r"deb\s+(?:\[[^\]]*\]\s+)?(\S+)", line)
        if legacy:
            yield legacy.group(1)
        elif line.startswith("URIs:"):
            yield from line.split()[1:]


def ensure_debootstrap():
    if shutil.which("debootstrap"):
        return
    log("debootstrap is missing; installing it with apt-get")
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "debootstrap"]):
        if subprocess.run(cmd, check=False,
                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}).returncode:
            raise BuildError(f"'{' '.join(cmd)}' failed; install debootstrap and retry")


def mounts_under(root):
    root = os.path.realpath(root)
    with open("/proc/mounts") as mounts:
        points = [line.split()[1].replace("\\040", " ") for line in mounts]
    return sorted((p for p in points if p == root or p.startswith(root + "/")), reverse=True)


def remove_rootfs(root):
    # debootstrap may leave /proc, /sys or a bind-mounted /dev behind when it fails; never let
    # rmtree walk into a mount (it would delete the host's /dev entries).
    for point in mounts_under(root):
        subprocess.run(["umount", "-l", point], check=False)
    if mounts_under(root):
        raise BuildError(f"could not unmount everything under {root}; remove it by hand")
    shutil.rmtree(root, ignore_errors=True)


def download_wheels(pins, dest):
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(dest),
           "--only-binary=:all:", "--python-version", IMAGE_PYTHON, *pins]
    if subprocess.run(cmd, check=False).returncode:
        raise BuildError("pip download of the node image wheels failed (is PyPI reachable?)")


def build_rootfs_tar(recipe, arch, wheels, tar_path):
    """debootstrap a rootfs for the recipe and write it as a tarball at tar_path."""
    ensure_debootstrap()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="rootfs-", dir=CACHE_DIR))
    root = work / "rootfs"
    try:
        cmd = ["debootstrap", "--variant=minbase", f"--arch={arch}",
               "--include=" + ",".join(recipe["packages"]), SUITE, str(root)]
        mirror = apt_mirror()
        if mirror:
            cmd.append(mirror)
        log(f"running {' '.join(cmd)}  (takes a minute or two)")
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode:
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
            raise BuildError(f"debootstrap failed (exit {proc.returncode}):\n{tail}\n"
                             f"full log: {root}/debootstrap/debootstrap.log")
        if wheels:
            wheel_dir = root / "tmp" / "wheels"
            download_wheels(wheels, wheel_dir)
            names = [pin.split("==")[0] for pin in wheels]
            install = ["chroot", str(root), "python3", "-m", "pip", "install", "--quiet",
                       "--no-index", "--find-links", "/tmp/wheels", "--break-system-packages",
                       "--no-warn-script-location", "--root-user-action=ignore", *names]
            # The host's PIP_* settings (find-links, cert paths) mean nothing inside the chroot.
            env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
            if subprocess.run(install, env=env, check=False).returncode:
                raise BuildError("pip install of the docker SDK inside the node rootfs failed")
            shutil.rmtree(wheel_dir)
        write_files(root, recipe.get("files", {}))
        slim_rootfs(root)
        partial = work / "rootfs.tar"
        subprocess.run(["tar", "--numeric-owner", "--xattrs", "-C", str(root), "-cf",
                        str(partial), "."], check=True)
        os.replace(partial, tar_path)  # atomic: a cached tarball is always complete
    finally:
        remove_rootfs(root)
        shutil.rmtree(work, ignore_errors=True)


def write_files(root, files):
    """Files the recipe adds to the rootfs (absolute paths inside the image)."""
    for path, content in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        target.chmod(0o644)


def slim_rootfs(root):
    """Drop apt caches and docs; they only make import and load-image slower."""
    for sub in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc",
                "usr/share/man", "usr/share/info"):
        target = root / sub
        if target.is_dir() and not mounts_under(target):
            for child in target.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                elif child.name != "lock":
                    child.unlink(missing_ok=True)


def import_tar(client, tar_path, repository, key, changes):
    log(f"importing {tar_path.name} as {repository}:{key[:12]}")
    changes = changes + [f"LABEL flotilla.image.key={key}"]
    output = client.api.import_image_from_file(str(tar_path), repository=repository,
                                               tag=key[:12], changes=changes)
    if "error" in str(output).lower():
        raise BuildError(f"docker import of {tar_path} failed: {output}")


def recipe_key(name, arch):
    """(recipe, pinned wheels, content key) for the recipe `name`."""
    recipe = RECIPES[name]
    wheels = pinned_wheels(recipe["wheels"])
    return recipe, wheels, image_key(recipe, arch, wheels)


def ensure_image(client, name, arch):
    """Make sure the image for recipe `name` exists; return its key-tagged reference."""
    recipe, wheels, key = recipe_key(name, arch)
    repository = recipe["repository"]
    reference = f"{repository}:{key[:12]}"
    try:
        image = client.images.get(reference)
        log(f"{reference} is up to date")
    except docker.errors.ImageNotFound:
        tar_path = CACHE_DIR / f"{key}.tar"
        if tar_path.exists():
            log(f"re-importing cached rootfs {tar_path}")
        else:
            if os.geteuid() != 0:
                raise BuildError(f"building {reference} needs root (debootstrap); "
                                 f"rerun as root: sudo {sys.executable} {' '.join(sys.argv)}")
            started = time.monotonic()
            build_rootfs_tar(recipe, arch, wheels, tar_path)
            log(f"rootfs for {name} built in {time.monotonic() - started:.0f} s")
        import_tar(client, tar_path, repository, key, recipe["changes"])
        image = client.images.get(reference)
    if f"{repository}:latest" not in image.tags:
        image.tag(repository, "latest")
    return reference


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("which", nargs="?", default="all", choices=["base", "node", "haproxy", "all"],
                        help="all builds base, node and haproxy (the test images and the ingress image)")
    parser.add_argument("--print-name", action="store_true",
                        help="only print the key-tagged image names; build nothing")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    names = ["base", "node", "haproxy"] if args.which == "all" else [args.which]
    arch = host_architecture()
    try:
        if args.print_name:
            for name in names:
                recipe, _wheels, key = recipe_key(name, arch)
                print(f"{recipe['repository']}:{key[:12]}")
            return 0
        try:
            client = docker.from_env(timeout=600)
            client.ping()
        except docker.errors.DockerException as exc:
            raise BuildError(f"no Docker engine answers ({exc}); run scripts/ensure-docker")
        for name in names:
            print(ensure_image(client, name, arch), flush=True)
    except (BuildError, docker.errors.DockerException, subprocess.CalledProcessError) as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
