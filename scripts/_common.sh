# shellcheck shell=bash
# Shared helpers for scripts/test, scripts/demo and .ci/run. Source it; do not run it.
#
#   REPO_ROOT              the checkout (= the collection root)
#   ensure_venv FILE       create/reuse .venv (Python 3.11) and pip install -r FILE when FILE changed
#   ensure_collection_copy sync the working tree into .build/collections/ansible_collections/flotilla/fleet
#                          and export ANSIBLE_COLLECTIONS_PATH / COLLECTION_COPY
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${REPO_ROOT}/.venv"
BUILD_DIR="${REPO_ROOT}/.build"
COLLECTIONS_ROOT="${BUILD_DIR}/collections"
COLLECTION_COPY="${COLLECTIONS_ROOT}/ansible_collections/flotilla/fleet"
PYTHON_VERSION="3.11"
export REPO_ROOT VENV BUILD_DIR COLLECTIONS_ROOT COLLECTION_COPY

# Bold only on a terminal, and never with NO_COLOR set (CI logs stay plain).
if [[ -t 2 && -z "${NO_COLOR:-}" ]]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD="" PLAIN=""; fi
log() { printf '%s==> %s%s\n' "$BOLD" "$*" "$PLAIN" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# find_python311: print the path of a Python 3.11 interpreter, or fail with a hint.
find_python311() {
    local candidate
    for candidate in "${PYTHON311:-}" python3.11 python3; do
        [[ -n "$candidate" ]] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    die "Python ${PYTHON_VERSION} not found (tried \$PYTHON311, python3.11, python3). Install it, e.g. 'pyenv install 3.11' or 'apt-get install python3.11 python3.11-venv'."
}

# requirements_hash FILE: hash of FILE plus every file it pulls in with -r/-c (recursively).
requirements_hash() {
    local file="$1" dir line ref
    dir="$(dirname "$file")"
    {
        cat "$file"
        while IFS= read -r line; do
            case "$line" in
                -r\ * | -c\ * | --requirement\ * | --constraint\ *)
                    ref="${line#* }"
                    ref="${ref#"${ref%%[![:space:]]*}"}"
                    [[ -f "${dir}/${ref}" ]] && requirements_hash "${dir}/${ref}"
                    ;;
            esac
        done <"$file"
    } | sha256sum | cut -d' ' -f1
}

# venv_is_usable: true if .venv exists and runs Python 3.11.
venv_is_usable() {
    [[ -x "${VENV}/bin/python" ]] &&
        "${VENV}/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null
}

# ensure_venv FILE: create/reuse .venv and install FILE into it only when its content changed.
ensure_venv() {
    local requirements="$1" stamp want have=""
    [[ "$requirements" = /* ]] || requirements="${REPO_ROOT}/${requirements}"
    [[ -f "$requirements" ]] || die "requirements file not found: ${requirements}"

    if ! venv_is_usable; then
        local python
        python="$(find_python311)"
        log "Creating virtualenv ${VENV} with ${python}"
        rm -rf "${VENV}"
        "$python" -m venv "${VENV}" || die "could not create ${VENV} (on Debian: apt-get install python3.11-venv)"
    fi

    stamp="${VENV}/.flotilla-stamp-$(basename "$requirements")"
    want="$(requirements_hash "$requirements")"
    [[ -f "$stamp" ]] && have="$(cat "$stamp")"
    if [[ "$want" != "$have" ]]; then
        log "Installing $(basename "$requirements") into ${VENV} (content changed)"
        "${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" ||
            die "pip install -r $(basename "$requirements") failed (see above); PyPI must be reachable"
        printf '%s\n' "$want" >"$stamp"
    else
        log "Virtualenv up to date for $(basename "$requirements")"
    fi

    export VIRTUAL_ENV="${VENV}"
    export PATH="${VENV}/bin:${PATH}"
    hash -r
}

# bundled_collections_dir: the site-packages dir that holds the `ansible` package's collections, if any.
bundled_collections_dir() {
    "${VENV}/bin/python" - <<'EOF'
import importlib.util, os
spec = importlib.util.find_spec("ansible_collections")
for path in (spec.submodule_search_locations if spec else []):
    if os.path.isdir(os.path.join(path, "community", "docker")):
        print(os.path.dirname(path))
        break
EOF
}

# sync_listed_files SRC DEST LIST: make DEST hold exactly the NUL-separated paths in LIST (relative to
# SRC), rewriting only files whose content changed (atomic rename) so a concurrent run reading DEST
# never sees a half-synced tree. DEST/tests/output (ansible-test's results and venv) is left alone.
sync_listed_files() {
    "${VENV}/bin/python" - "$@" <<'EOF'
import filecmp, os, shutil, sys
src, dest, listing = sys.argv[1:4]
with open(listing, "rb") as fh:
    wanted = {p.decode() for p in fh.read().split(b"\0") if p}
changed = 0
for rel in sorted(wanted):
    s, d = os.path.join(src, rel), os.path.join(dest, rel)
    if not os.path.lexists(s):
        continue  # deleted in the work tree but still in the index
    os.makedirs(os.path.dirname(d), exist_ok=True)
    if os.path.islink(s):
        if os.path.islink(d) and os.readlink(d) == os.readlink(s):
            continue
        tmp = d + ".sync-tmp"
        os.symlink(os.readlink(s), tmp)
    else:
        if os.path.isfile(d) and not os.path.islink(d) and filecmp.cmp(s, d, shallow=False) \
                and os.stat(s).st_mode == os.stat(d).st_mode:
            continue
        tmp = d + ".sync-tmp"
        shutil.copy2(s, tmp)
    os.replace(tmp, d)
    changed += 1
removed = 0
for root, dirs, files in os.walk(dest, topdown=True):
    rel_root = os.path.relpath(root, dest)
    if rel_root == "tests":
        dirs[:] = [d for d in dirs if d != "output"]
    for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
        rel = os.path.normpath(os.path.join(rel_root, name))
        if rel not in wanted:
            os.remove(os.path.join(root, name))
            removed += 1
for root, dirs, files in os.walk(dest, topdown=False):
    if root != dest and not os.listdir(root) and not os.path.relpath(root, dest).startswith("tests/output"):
        os.rmdir(root)
print(f"{changed} file(s) updated, {removed} removed")
EOF
}

# ensure_collection_copy: real copy of the working tree (tracked + untracked, not ignored) at
# COLLECTION_COPY. ansible-test resolves symlinks, so a symlinked checkout would not do.
ensure_collection_copy() {
    local list summary
    command -v git >/dev/null 2>&1 || die "git is required to list the collection's files"
    mkdir -p "${COLLECTION_COPY}"
    list="$(mktemp)"
    (cd "${REPO_ROOT}" && git ls-files -z --cached --others --exclude-standard) >"$list"
    summary="$(sync_listed_files "${REPO_ROOT}" "${COLLECTION_COPY}" "$list")" ||
        { rm -f "$list"; die "could not sync the collection copy"; }
    rm -f "$list"

    local paths="${COLLECTIONS_ROOT}" bundled
    bundled="$(bundled_collections_dir 2>/dev/null || true)"
    [[ -n "$bundled" ]] && paths="${paths}:${bundled}"
    export ANSIBLE_COLLECTIONS_PATH="$paths"
    log "Collection copy synced (${summary}): ${COLLECTION_COPY}"
    log "ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH}"
}

# use_engine_tls_env: drop CA-bundle overrides that break TLS to our own Docker engines. requests
# lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE win over docker-py's per-client CA (the lab's own CA), so
# every TLS connection to a lab node fails certificate verification while they are set. Nothing
# after this point talks to the internet (pip uses its own PIP_CERT/config).
use_engine_tls_env() {
    unset REQUESTS_CA_BUNDLE CURL_CA_BUNDLE
}

# ensure_docker_and_images: the shared prerequisites of integration, molecule, lab and demo.
ensure_docker_and_images() {
    local ensure="${REPO_ROOT}/scripts/ensure-docker" build="${REPO_ROOT}/tests/images/build.py"
    [[ -x "$ensure" ]] || die "missing ${ensure#"${REPO_ROOT}"/} (not written yet?)"
    [[ -f "$build" ]] || die "missing ${build#"${REPO_ROOT}"/} (not written yet?)"
    log "Ensuring Docker Engine is usable"
    "$ensure"
    log "Building test images (cached by content key)"
    "${VENV}/bin/python" "$build" all
}
