#!/usr/bin/env bash
# flotilla.fleet.image_build + flotilla.fleet.image_ship on the multi-engine lab (tests/lab/lab.py up --nodes 3).
# Run by tests/integration/run.py (lab stage) with INVENTORY_PATH and OUTPUT_DIR; by hand:
#   tests/lab/lab.py up --nodes 3 && bash tests/integration/targets/image_ship_lab/runme.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
COLLECTION_ROOT="$(cd "${HERE}/../../../.." && pwd)"
cd "${HERE}"
INVENTORY="${INVENTORY_PATH:-${FLOTILLA_LAB_INVENTORY:-${COLLECTION_ROOT}/.build/lab/inventory.yml}}"
[[ -f "${INVENTORY}" ]] || { echo "image_ship_lab: no lab inventory at ${INVENTORY}; run tests/lab/lab.py up --nodes 3" >&2; exit 1; }
OUT="$(mktemp -d "${OUTPUT_DIR:-${TMPDIR:-/tmp}}/image_ship_lab.XXXXXX")"
if [[ -z "${ANSIBLE_COLLECTIONS_PATH:-}" ]]; then # by hand: make this checkout importable as flotilla.fleet
    mkdir -p "${OUT}/collections/ansible_collections/flotilla"
    ln -sfn "${COLLECTION_ROOT}" "${OUT}/collections/ansible_collections/flotilla/fleet"
    export ANSIBLE_COLLECTIONS_PATH="${OUT}/collections"
fi
REPO="${SHIP_LAB_REPO:-image-ship-lab/app}"
mkdir -p "${OUT}/context"
started=$(date +%s)
cleanup() {
    SHIP_LAB_TAGS="$(docker image ls --format '{{.Repository}}:{{.Tag}}' "${REPO}" | paste -sd, -)"
    export SHIP_LAB_TAGS
    ansible-playbook -i "${INVENTORY}" cleanup.yml >"${OUT}/cleanup.log" 2>&1 || echo "image_ship_lab: cleanup failed (${OUT}/cleanup.log)" >&2
    docker image ls -q "${REPO}" | sort -u | xargs -r docker image rm -f >/dev/null
}
trap cleanup EXIT
if ! ansible-playbook -i "${INVENTORY}" playbook.yml -e "ship_lab_out=${OUT}" -e "ship_lab_repo=${REPO}" >"${OUT}/ship.log" 2>&1; then
    tail -n 60 "${OUT}/ship.log" >&2
    echo "image_ship_lab: failed (${OUT}/ship.log)" >&2
    exit 1
fi
sed -n '/^PLAY RECAP/,$p' "${OUT}/ship.log" | grep -vE '^\s*$' >&2
echo "image_ship_lab: passed in $(($(date +%s) - started)) s" >&2
