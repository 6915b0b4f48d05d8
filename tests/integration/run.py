"""Run the collection's integration targets (used by `scripts/test integration` and `scripts/test lab`).

Targets are tests/integration/targets/<name>/ in the synced collection copy ($COLLECTION_COPY).

Ordinary targets (stage `integration`): `ansible-test integration --local --python 3.11
--continue-on-error`, which plays role targets against `testhost` (local connection, so the local
Docker engine) and runs runme.sh targets. ansible-test's own aliases apply (disabled, unstable, ...).

Lab targets carry the alias `needs/lab` (stage `lab`). ansible-test cannot hand a posix target a custom
inventory, so this script runs them itself: it brings the lab up (tests/lab/lab.py up --nodes 3), loads
the test base image into the nodes, runs every lab target against .build/lab/inventory.yml plus the
pytest tests marked `lab`, and always tears the lab down. A lab target is either
  * runme.sh: run in its directory with INVENTORY_PATH and FLOTILLA_LAB_INVENTORY set to the lab
    inventory and OUTPUT_DIR set to a scratch directory, or
  * a role (tasks/main.yml): played from `hosts: localhost` with the lab inventory loaded; the nodes
    are groups['lab'], each with flotilla_docker_host and the flotilla_ca_path/client cert vars.

Exit status: 0 all passed, 1 something failed, 3 nothing to run.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOTHING = 3
SKIP_ALIASES = {"disabled", "unsupported", "unstable", "hidden"}
REPO_ROOT = Path(os.environ.get("REPO_ROOT") or Path(__file__).resolve().parents[2])
COPY = Path(os.environ.get("COLLECTION_COPY")
            or REPO_ROOT / ".build/collections/ansible_collections/flotilla/fleet")
TARGETS = COPY / "tests" / "integration" / "targets"
LAB_PY = REPO_ROOT / "tests" / "lab" / "lab.py"
LAB_INVENTORY = REPO_ROOT / ".build" / "lab" / "inventory.yml"
LAB_IMAGES = ["flotilla-test/base:latest"]


def log(message):
    print(f"==> integration: {message}", file=sys.stderr, flush=True)


def run(cmd, **kwargs):
    log("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], check=False, **kwargs).returncode


def aliases(target):
    path = target / "aliases"
    if not path.is_file():
        return set()
    return {line.split("#")[0].strip() for line in path.read_text().splitlines()} - {""}


def discover():
    """Return (ordinary, lab) target names, leaving out setup_/prepare_ helpers and skipped aliases."""
    ordinary, lab = [], []
    for target in sorted(p for p in TARGETS.glob("*") if p.is_dir()) if TARGETS.is_dir() else []:
        names = aliases(target)
        if target.name.startswith(("setup_", "prepare_")) or {a.rstrip("/") for a in names} & SKIP_ALIASES:
            continue
        (lab if {"needs/lab", "needs/lab/"} & names else ordinary).append(target.name)
    return ordinary, lab


def run_ordinary(targets):
    env = dict(os.environ, ANSIBLE_TEST_CONTENT_ROOT=str(COPY))
    # Targets are named explicitly (an --exclude pattern that matches nothing is a fatal error).
    cmd = ["ansible-test", "integration", "--local", "--python", "3.11", "--color", "no",
           "--continue-on-error", *targets]
    return 0 if run(cmd, cwd=COPY, env=env) == 0 else 1


def lab_pytest_selected():
    """True if pytest finds tests marked `lab` (exit 5 means none were collected)."""
    rc = subprocess.run([sys.executable, "-m", "pytest", "-q", "--collect-only", "-m", "lab"],
                        cwd=REPO_ROOT, check=False, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL).returncode
    return rc == 0


def lab_env(output_dir):
    return dict(os.environ, INVENTORY_PATH=str(LAB_INVENTORY), FLOTILLA_LAB_INVENTORY=str(LAB_INVENTORY),
                OUTPUT_DIR=str(output_dir), ANSIBLE_ROLES_PATH=str(TARGETS))


def run_lab_target(name, scratch):
    target = TARGETS / name
    output_dir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=scratch))
    env = lab_env(output_dir)
    if (target / "runme.sh").is_file():
        return run(["bash", "runme.sh"], cwd=target, env=env)
    if (target / "tasks" / "main.yml").is_file():
        playbook = output_dir / f"{name}.yml"
        playbook.write_text(f"- hosts: localhost\n  gather_facts: false\n  roles:\n    - {name}\n")
        return run(["ansible-playbook", "-i", LAB_INVENTORY, playbook], cwd=output_dir, env=env)
    log(f"{name}: neither runme.sh nor tasks/main.yml")
    return 1


def run_lab(targets, with_pytest, nodes):
    results = {}
    try:
        if run([sys.executable, LAB_PY, "up", "--nodes", nodes]) != 0:
            log("lab up failed")
            return 1
        if run([sys.executable, LAB_PY, "load-image", *LAB_IMAGES]) != 0:
            log("loading images into the lab failed")
            return 1
        with tempfile.TemporaryDirectory(prefix="flotilla-lab-") as scratch:
            for name in targets:
                start = time.monotonic()
                results[name] = run_lab_target(name, scratch)
                log(f"{name}: {'PASS' if results[name] == 0 else 'FAIL'} ({time.monotonic() - start:.0f}s)")
        if with_pytest:
            results["pytest -m lab"] = run([sys.executable, "-m", "pytest", "-m", "lab"], cwd=REPO_ROOT,
                                           env=lab_env(REPO_ROOT / ".build" / "lab"))
    finally:
        if run([sys.executable, LAB_PY, "down"]) != 0:
            log("WARNING: lab down failed; remove containers labelled flotilla.lab=1 by hand")
    failed = sorted(name for name, rc in results.items() if rc != 0)
    log(f"lab: {len(results) - len(failed)} passed, {len(failed)} failed {failed if failed else ''}")
    return 1 if failed else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--exclude-lab", action="store_true", help="run the ordinary targets")
    which.add_argument("--lab-only", action="store_true", help="run the needs/lab targets in the lab")
    parser.add_argument("--nodes", default="3", help="lab size (default 3)")
    parser.add_argument("targets", nargs="*", help="only these targets")
    args = parser.parse_args(argv)

    ordinary, lab = discover()
    if args.targets:
        ordinary = [t for t in ordinary if t in args.targets]
        lab = [t for t in lab if t in args.targets]
    if args.exclude_lab:
        if not ordinary:
            log(f"nothing to run: no targets without needs/lab under {TARGETS.relative_to(COPY)}")
            return NOTHING
        return run_ordinary(ordinary)
    with_pytest = not args.targets and lab_pytest_selected()
    if not lab and not with_pytest:
        log("nothing to run: no needs/lab targets and no pytest tests marked lab")
        return NOTHING
    if not LAB_PY.is_file():
        log(f"missing {LAB_PY.relative_to(REPO_ROOT)}")
        return 1
    return run_lab(lab, with_pytest, args.nodes)


if __name__ == "__main__":
    sys.exit(main())
