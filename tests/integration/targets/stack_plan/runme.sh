#!/usr/bin/env bash
# The plan playbook on the local engine (no inventory: its embedded default), twice: a plan that fits, checked
# as data, and one that does not fit (it must fail after printing the reasons). The engine's events during
# both runs must name nothing of the stack, and a probe volume made inside the
# same window must show up in them (so a watcher that sees nothing cannot pass). The first run is at -vvv with a
# sentinel secret in stack_env: it must reach the plan's data and never the output.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

OUT="${OUTPUT_DIR:-$(mktemp -d)}"
STACK=stack-plan-it
PROBE="${STACK}-probe-$$"
mkdir -p "${OUT}"

SENTINEL_TOKEN="flotilla-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export SENTINEL_TOKEN

since="$(date +%s)"
ansible-playbook -vvv check.yml -e "stack_file=${PWD}/files/compose.yaml" \
    -e "{\"stack_env\": {\"API_TOKEN\": \"${SENTINEL_TOKEN}\"}}" "$@" >"${OUT}/fits.log" 2>&1 || { cat "${OUT}/fits.log"; exit 1; }
if grep -nF "${SENTINEL_TOKEN}" "${OUT}/fits.log"; then
    echo "stack_plan: the secret from stack_env appeared in the -vvv output (lines above)" >&2
    exit 1
fi
grep -qF "Stack ${STACK}: 3 of 3 replicas placed on 1 of 1 hosts" "${OUT}/fits.log"
grep -qE '^localhost +cpus +\[[#.]{20}\] +[0-9]+% [0-9.]+ of [0-9.]+$' "${OUT}/fits.log"

rc=0
ansible-playbook flotilla.fleet.plan -e "stack_file=${PWD}/files/compose.yaml" \
    -e '{"stack_env": {"CACHE_MEMORY": "100000G"}}' "$@" >"${OUT}/too-big.log" 2>&1 || rc=$?
cat "${OUT}/too-big.log"
[[ $rc -ne 0 ]] || { echo "stack_plan: a replica that fits nowhere must fail the play" >&2; exit 1; }
grep -qF "Unplaced (1):" "${OUT}/too-big.log"
grep -qE "stack-plan-it-cache-1 \(service cache\): 1 host: insufficient memory; largest free room: [0-9.]+ cpus \(localhost\), [0-9.]+ GiB memory \(localhost\)" "${OUT}/too-big.log"

rc=0
ansible-playbook flotilla.fleet.plan -e "stack_file=${PWD}/files/external.yaml" "$@" >"${OUT}/external.log" 2>&1 || rc=$?
cat "${OUT}/external.log"
[[ $rc -ne 0 ]] || { echo "stack_plan: an external network that does not exist must fail the play" >&2; exit 1; }
grep -qF "networks.shared: external network 'stack-plan-it-no-such-net' does not exist on localhost: create it first" \
    "${OUT}/external.log"

docker volume create --label "flotilla.test=${STACK}" "${PROBE}" >/dev/null
docker volume rm "${PROBE}" >/dev/null
until="$(( $(date +%s) + 1 ))"
docker events --since "${since}" --until "${until}" --format '{{.Type}} {{.Action}} {{.Actor.ID}} {{json .Actor.Attributes}}' \
    >"${OUT}/events.log"
grep -qF "volume create ${PROBE}" "${OUT}/events.log" || { echo "stack_plan: the probe's event is missing" >&2; exit 1; }
if grep -v -F "${PROBE}" "${OUT}/events.log" | grep -F "${STACK}"; then
    echo "stack_plan: the plan changed the engine (events above)" >&2
    exit 1
fi
echo "stack_plan: $(wc -l <"${OUT}/events.log") engine events in the window, none from the plan"
