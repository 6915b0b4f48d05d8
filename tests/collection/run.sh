#!/usr/bin/env bash
# Galaxy packaging test: build the collection from the synced copy, install the tarball offline into
# an empty collections path, and load a plugin's documentation from the installed copy only.
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

# first_plugin: "TYPE NAME" of a plugin to load: the first module, else the placement lookup.
first_plugin() {
    local root="${WORK}/installed/ansible_collections/flotilla/fleet/plugins" f
    for f in "${root}"/modules/*.py; do
        [[ -f "$f" && "$(basename "$f")" != _* && "$(basename "$f")" != __init__.py ]] || continue
        echo "module $(basename "$f" .py)"
        return 0
    done
    [[ -f "${root}/lookup/placement.py" ]] && { echo "lookup placement"; return 0; }
    return 1
}

use_installed() {
    local plugin type name
    plugin="$(first_plugin)" || { warn "collection: no module or placement lookup to load yet"; return 0; }
    read -r type name <<<"$plugin"
    log "collection: ansible-doc -t ${type} flotilla.fleet.${name} (installed copy only)"
    # Only the fresh install is on the collections path (see install), so the checkout cannot mask a
    # packaging bug.
    ansible-doc -t "$type" "flotilla.fleet.${name}" >"${WORK}/doc.txt" ||
        die "collection: ansible-doc failed for flotilla.fleet.${name}"
    head -n 20 "${WORK}/doc.txt"
}

build
install
use_installed
log "collection: OK"
