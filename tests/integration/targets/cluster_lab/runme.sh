#!/usr/bin/env bash
# flotilla.fleet.cluster on the multi-engine lab (tests/lab/lab.py up --nodes 3): form (check mode, apply,
# again, check mode again), change one node's zone (only that changes), remove a node, dissolve; one bad
# inventory value fails before any change. After each step verify.py asks every engine what it is.
#
# Run by tests/integration/run.py (lab stage) with INVENTORY_PATH and OUTPUT_DIR; by hand:
#   tests/lab/lab.py up --nodes 3 && bash tests/integration/targets/cluster_lab/runme.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
COLLECTION_ROOT="$(cd "${HERE}/../../../.." && pwd)"
cd "${HERE}"
INVENTORY="${INVENTORY_PATH:-${FLOTILLA_LAB_INVENTORY:-${COLLECTION_ROOT}/.build/lab/inventory.yml}}"
[[ -f "${INVENTORY}" ]] || { echo "cluster_lab: no lab inventory at ${INVENTORY}; run tests/lab/lab.py up --nodes 3" >&2; exit 1; }
OUT="$(mktemp -d "${OUTPUT_DIR:-${TMPDIR:-/tmp}}/cluster_lab.XXXXXX")"
if [[ -z "${ANSIBLE_COLLECTIONS_PATH:-}" ]]; then # by hand: make this checkout importable as flotilla.fleet
    mkdir -p "${OUT}/collections/ansible_collections/flotilla"
    ln -sfn "${COLLECTION_ROOT}" "${OUT}/collections/ansible_collections/flotilla/fleet"
    export ANSIBLE_COLLECTIONS_PATH="${OUT}/collections"
fi
log() { printf 'cluster_lab: %s\n' "$*" >&2; }
started=$(date +%s)
mapfile -t NODES < <(python3 -c 'import sys, yaml; print("\n".join(sorted(yaml.safe_load(open(sys.argv[1]))["all"]["children"]["lab"]["hosts"])))' "${INVENTORY}")
[[ ${#NODES[@]} -eq 3 ]] || { log "needs 3 lab nodes, found ${#NODES[@]}"; exit 1; }
N1="${NODES[0]}" N2="${NODES[1]}" N3="${NODES[2]}"
step=0

# run NAME [ansible-playbook args]: the cluster playbook; its log is kept, its recap checked by the caller.
run() {
    local name="$1"; shift
    step=$((step + 1))
    LOG="${OUT}/${step}-${name}.log"
    if ! ansible-playbook -i "${INVENTORY}" cluster.yml "$@" >"${LOG}" 2>&1; then
        tail -n 40 "${LOG}" >&2; log "${name}: the playbook failed (${LOG})"; exit 1
    fi
}
# changed HOST: the changed= count of HOST in the last recap.
changed() { sed -n "s/^$1 *: .*changed=\([0-9]*\).*/\1/p" "${LOG}"; }
expect_changes() { # expect_changes NAME N1-changed N2-changed N3-changed ("+" means at least one)
    local name="$1"; shift
    local host want got
    for host in "${N1}" "${N2}" "${N3}"; do
        want="$1"; shift; got="$(changed "${host}")"
        if [[ "${want}" == "+" && "${got:-0}" -gt 0 ]] || [[ "${want}" == "${got}" ]]; then continue; fi
        log "${name}: ${host} changed=${got}, expected ${want} (${LOG})"; grep -E '^(changed|TASK)' "${LOG}" | grep -B1 '^changed' >&2 || true; exit 1
    done
}
PYTHON="$(command -v python)" # ansible-playbook's venv, which has the docker SDK
verify() { # verify NAME JSON: every engine asked directly (verify.py)
    if ! "${PYTHON}" verify.py "${INVENTORY}" "$2" 2>"${OUT}/${step}-verify.log"; then
        cat "${OUT}/${step}-verify.log" >&2; log "$1: verify failed"; exit 1
    fi
    log "$1: ok ($(($(date +%s) - started)) s)"
}
labels() { printf '{"flotilla.test": "cluster_lab", "zone": "%s"}' "$1"; }
OUTSIDE='{"state": "inactive"}'
ALL_OUTSIDE="{\"${N1}\": ${OUTSIDE}, \"${N2}\": ${OUTSIDE}, \"${N3}\": ${OUTSIDE}}"
FORMED="{\"${N1}\": {\"state\": \"active\", \"role\": \"manager\", \"labels\": $(labels zone-1)},
         \"${N2}\": {\"state\": \"active\", \"role\": \"worker\", \"labels\": $(labels zone-2)},
         \"${N3}\": {\"state\": \"active\", \"role\": \"worker\", \"labels\": $(labels zone-3)}}"

cleanup() { ansible-playbook -i "${INVENTORY}" cluster.yml -e cluster_state=absent >"${OUT}/cleanup.log" 2>&1 || log "cleanup failed (${OUT}/cleanup.log)"; }
trap cleanup EXIT

run reset -e cluster_state=absent
verify "start outside any swarm" "${ALL_OUTSIDE}"

if ansible-playbook -i "${INVENTORY}" cluster.yml -e lab_bad=availability >"${OUT}/bad.log" 2>&1; then
    log "bad input: an invalid flotilla_availability did not fail"; exit 1
fi
grep -qF "hostvars[${N2}].flotilla_availability: must be one of active, pause, drain, got 'off'" "${OUT}/bad.log" ||
    { tail -n 20 "${OUT}/bad.log" >&2; log "bad input: not the expected message"; exit 1; }
verify "bad input changes nothing" "${ALL_OUTSIDE}"

run form-check --check
expect_changes "form, check mode" + 0 0
verify "form, check mode changes nothing" "${ALL_OUTSIDE}"
run form
expect_changes "form" + + +
verify "formed" "${FORMED}"
run form-again
expect_changes "form again" 0 0 0
run form-check-again --check
expect_changes "form again, check mode" 0 0 0

ZONES=lab_zones=zone-1,zone-b,zone-3
run zone -e "${ZONES}"
expect_changes "one node's zone" 1 0 0
ZONED="${FORMED//\"zone-2\"/\"zone-b\"}"
verify "only that node's labels changed" "${ZONED}"

run remove -e "${ZONES}" -e "lab_leaving=${N3}"
expect_changes "remove a node" 0 0 1
REMOVED="$(python3 -c 'import json,sys; e=json.loads(sys.argv[1]); e[sys.argv[2]]={"state": "inactive"}; print(json.dumps(e))' "${ZONED}" "${N3}")"
verify "node removed, down in the manager's view" "${REMOVED}"
run remove-again -e "${ZONES}" -e "lab_leaving=${N3}"
expect_changes "remove again" 0 0 0

run dissolve -e cluster_state=absent
expect_changes "dissolve" 1 1 0
run dissolve-again -e cluster_state=absent
expect_changes "dissolve again" 0 0 0
verify "dissolved" "${ALL_OUTSIDE}"
trap - EXIT
log "passed in $(($(date +%s) - started)) s"
