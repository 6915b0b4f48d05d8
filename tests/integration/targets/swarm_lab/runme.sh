#!/usr/bin/env bash
# Swarm across the multi-engine lab (tests/lab/lab.py up --nodes 3): form a swarm with flotilla.fleet.swarm,
# label nodes, load images into every node from docker save archives on the controller with
# flotilla.fleet.image, create attachable overlay networks (one encrypted) with flotilla.fleet.network, check
# that containers on two nodes reach each other by name across the overlay, and read flotilla.fleet.host_info
# on each node. The playbook runs at -vvv: the output must hold neither the swarm's real join tokens nor a
# sentinel join token that a node tried to join with.
#
# Run by tests/integration/run.py (lab stage) with INVENTORY_PATH and OUTPUT_DIR; by hand:
#   tests/lab/lab.py up --nodes 3 && bash tests/integration/targets/swarm_lab/runme.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
COLLECTION_ROOT="$(cd "${HERE}/../../../.." && pwd)"
cd "${HERE}"

INVENTORY="${INVENTORY_PATH:-${FLOTILLA_LAB_INVENTORY:-${COLLECTION_ROOT}/.build/lab/inventory.yml}}"
[[ -f "${INVENTORY}" ]] || { echo "swarm_lab: no lab inventory at ${INVENTORY}; run tests/lab/lab.py up --nodes 3" >&2; exit 1; }
OUT="$(mktemp -d "${OUTPUT_DIR:-${TMPDIR:-/tmp}}/swarm_lab.XXXXXX")"
LOG="${OUT}/swarm_lab.log"
trap 'rm -rf "${OUT}/archives" "${OUT}/tokens.json"' EXIT
if [[ -z "${ANSIBLE_COLLECTIONS_PATH:-}" ]]; then # by hand: make this checkout importable as flotilla.fleet
    mkdir -p "${OUT}/collections/ansible_collections/flotilla"
    ln -sfn "${COLLECTION_ROOT}" "${OUT}/collections/ansible_collections/flotilla/fleet"
    export ANSIBLE_COLLECTIONS_PATH="${OUT}/collections"
fi
log() { printf 'swarm_lab: %s\n' "$*" >&2; }
started=$(date +%s)

# Archives on the controller: the modules run here (docker_host points at each node over TLS), and
# flotilla.fleet.image reads load_path on the host that runs the module.
mkdir -p "${OUT}/archives"
# A small image of our own (the base image plus a label): new to the nodes, so loading it is a real load.
printf 'FROM flotilla-test/base:latest\nLABEL flotilla.test=swarm_lab\n' |
    DOCKER_BUILDKIT=0 docker build -q -t flotilla-test/swarm-lab:1 - >"${OUT}/build.log" 2>&1 ||
    { cat "${OUT}/build.log" >&2; exit 1; }
docker save -o "${OUT}/archives/swarm-lab.tar" flotilla-test/swarm-lab:1
docker save -o "${OUT}/archives/base.tar" flotilla-test/base:latest
SWARM_LAB_IMAGE_ID="$(docker image inspect -f '{{.Id}}' flotilla-test/swarm-lab:1)"
SWARM_LAB_BASE_ID="$(docker image inspect -f '{{.Id}}' flotilla-test/base:latest)"
# The secret part of a sentinel join token (25 base36 characters, as swarmkit makes them).
SWARM_LAB_SENTINEL="flotillasentinel$(od -An -N8 -tx1 /dev/urandom | tr -dc 'a-z0-9' | head -c 9)"
export SWARM_LAB_IMAGE_ID SWARM_LAB_BASE_ID SWARM_LAB_SENTINEL SWARM_LAB_OUT="${OUT}"
log "archives saved ($(du -sh "${OUT}/archives" | cut -f1), $(($(date +%s) - started)) s)"

# Per-task timings when ansible.posix is installed (it ships with the ansible package).
if ansible-doc -t callback ansible.posix.profile_tasks >/dev/null 2>&1; then
    export ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks" PROFILE_TASKS_TASK_OUTPUT_LIMIT=15
fi
rc=0
ansible-playbook -vvv -i "${INVENTORY}" playbook.yml >"${LOG}" 2>&1 || rc=$?
# What a reader needs without the -vvv noise: the skip reasons, the counts, the recap and the slowest tasks.
grep -E '"msg": "(SKIPPED|swarm_lab: )' "${LOG}" | sed 's/^ *"msg": //' >&2 || true
sed -n '/^PLAY RECAP/,$p' "${LOG}" | grep -vE '^\s*$' >&2 || true
if [[ $rc -ne 0 ]]; then
    tail -n 80 "${LOG}" >&2
    log "the playbook failed (rc=${rc}); full -vvv log: ${LOG}"
    exit 1
fi

# Secrets: the real join tokens (written by the playbook with no_log) and the sentinel must not appear.
[[ -s "${OUT}/tokens.json" ]] || { log "the playbook wrote no tokens.json"; exit 1; }
mapfile -t secrets < <(python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); print(t["manager"]); print(t["worker"]); print(t["worker"].rsplit("-", 1)[1]); print(t["manager"].rsplit("-", 1)[1])' "${OUT}/tokens.json")
secrets+=("${SWARM_LAB_SENTINEL}")
for expected in VALUE_SPECIFIED_IN_NO_LOG_PARAMETER "A valid join token is necessary to join this cluster"; do
    grep -qF -- "${expected}" "${LOG}" || { log "expected '${expected}' in the -vvv output"; exit 1; }
done
for secret in "${secrets[@]}"; do
    if grep -qF -- "${secret}" "${LOG}"; then
        log "a join token (or its secret part) appears in the -vvv output: ${LOG}"
        exit 1
    fi
done
log "no join token in $(wc -l <"${LOG}") lines of -vvv output"
log "passed in $(($(date +%s) - started)) s"
