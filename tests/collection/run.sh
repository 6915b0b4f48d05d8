#!/usr/bin/env bash
# Galaxy packaging test: build the collection from the synced copy, install the tarball offline into
# an empty collections path, and load documentation and run modules from the installed copy only.
# Run by `scripts/test collection` (expects .venv on PATH and ensure_collection_copy already done).
set -euo pipefail
# shellcheck source=scripts/_common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/_common.sh"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/flotilla-collection.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

build() {
    log "collection: ansible-galaxy collection build"
    ansible-galaxy collection build "${COLLECTION_COPY}" --output-path "${WORK}/dist"
    TARBALL="$(find "${WORK}/dist" -name 'flotilla-fleet-*.tar.gz' | head -n1)"
    [[ -n "$TARBALL" ]] || die "collection: build produced no flotilla-fleet-*.tar.gz"
    log "collection: built $(basename "$TARBALL") ($(du -h "$TARBALL" | cut -f1))"
    if tar -tzf "$TARBALL" | grep -E '^(\.venv|\.build|\.cache|tests/output)/' | head -n5 | grep .; then
        die "collection: tarball contains build/cache directories (see galaxy.yml build_ignore)"
    fi
}

install() {
    log "collection: ansible-galaxy collection install --offline into an empty path"
    # Point the collections path at the empty target, or galaxy sees the checkout copy as "installed".
    export ANSIBLE_COLLECTIONS_PATH="${WORK}/installed" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
    ansible-galaxy collection install --offline -p "${WORK}/installed" "$TARBALL"
    local installed="${WORK}/installed/ansible_collections/flotilla/fleet"
    [[ -f "${installed}/MANIFEST.json" ]] || die "collection: no MANIFEST.json in ${installed}"
    ansible-galaxy collection list flotilla.fleet -p "${WORK}/installed"
}

use_installed() {
    local root="${WORK}/installed/ansible_collections/flotilla/fleet"
    log "collection: ansible-doc flotilla.fleet.container (installed copy only)"
    # Only the fresh install is on the collections path (see install), so the checkout cannot mask a
    # packaging bug.
    ansible-doc flotilla.fleet.container >"${WORK}/doc.txt" || die "collection: ansible-doc failed"
    grep -q "docker_host" "${WORK}/doc.txt" || die "collection: ansible-doc shows no docker_host option (doc fragment missing?)"
    log "collection: run flotilla.fleet.host_info and flotilla.fleet.container from the installed copy"
    ansible localhost -c local -e "ansible_python_interpreter=$(command -v python)" \
        -m flotilla.fleet.host_info >"${WORK}/host_info.txt" || { cat "${WORK}/host_info.txt"; die "collection: host_info failed"; }
    grep -q '"api_version"' "${WORK}/host_info.txt" || die "collection: host_info returned no engine facts"
    ansible localhost -c local -e "ansible_python_interpreter=$(command -v python)" -m flotilla.fleet.container \
        -a "name=flotilla-collection-probe state=absent" >"${WORK}/container.txt" ||
        { cat "${WORK}/container.txt"; die "collection: container module failed"; }
    grep -q "${root}/plugins/modules" <(ansible-doc -F flotilla.fleet.container 2>/dev/null; ansible-doc --list_files -t module flotilla.fleet 2>/dev/null) ||
        die "collection: modules were not loaded from ${root}"
}

build
install
use_installed
log "collection: OK"
