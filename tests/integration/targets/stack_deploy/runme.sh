#!/usr/bin/env bash
# The stack role on the local engine, through the deploy and destroy playbooks: a second stack that is never
# touched; check mode (nothing on the engine); deploy; deploy again (changed=0, same container IDs); check mode
# again (changed=0); scale web 2 -> 3 -> 1 (only web's containers change); the secret readable inside its
# consumer and absent from the -vvv output; names between services; bad inputs (exact messages, engine
# unchanged); a multi-host stack without a swarm; the status table; destroy (volumes kept); destroy with stack_remove_volumes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

OUT="${OUTPUT_DIR:-$(mktemp -d)}/stack_deploy"
mkdir -p "${OUT}/app"
export ST_FILES_DIR="${OUT}/files" ST_STATE_DIR="${OUT}/state"
SENTINEL_SECRET="st-secret-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export SENTINEL_SECRET WEB_REPLICAS=2
cp files/compose.yaml "${OUT}/app/compose.yaml"
printf '%s' "${SENTINEL_SECRET}" >"${OUT}/app/db_password.txt"
APP=(-e "stack_file=${OUT}/app/compose.yaml")
OTHER=(-e "stack_file=${PWD}/files/other.yaml")
COMMON=(-e "stack_files_dir=${ST_FILES_DIR}" -e "stack_state_dir=${ST_STATE_DIR}")

play() {  # play LOG PLAYBOOK ARGS...: run, keep the output, print it when it fails
    local log="${OUT}/$1.log"; shift
    ansible-playbook "$@" "${COMMON[@]}" >"${log}" 2>&1 || { cat "${log}"; echo "stack_deploy: $* failed" >&2; return 1; }
}
changed() { grep -E '^localhost +:' "${OUT}/$1.log" | sed -E 's/.*changed=([0-9]+).*/\1/'; }
ids() { docker ps -a --filter "label=flotilla.stack=$1" --format '{{.Names}} {{.ID}}' | sort; }
fail() { echo "stack_deploy: $*" >&2; exit 1; }
cleanup() {
    ansible-playbook destroy.yml "${APP[@]}" "${COMMON[@]}" -e stack_remove_volumes=true >/dev/null 2>&1 || true
    ansible-playbook destroy.yml "${OTHER[@]}" "${COMMON[@]}" -e stack_remove_volumes=true >/dev/null 2>&1 || true
}
trap cleanup EXIT

play other-deploy deploy.yml "${OTHER[@]}"
other_ids="$(ids st-other)"
[[ -n "${other_ids}" ]] || fail "st-other has no containers"

play app-check deploy.yml "${APP[@]}" --check --diff
[[ "$(changed app-check)" -gt 0 ]] || fail "check mode on a new stack must report changes"
grep -qF 'st-app-web-2' "${OUT}/app-check.log" || fail "check mode must show the containers it would create"
[[ -z "$(ids st-app)" ]] || fail "check mode created containers"
if docker network inspect st-app_default >/dev/null 2>&1 || docker volume inspect st-app_data >/dev/null 2>&1; then
    fail "check mode created a network or a volume"
fi

play app-deploy deploy.yml "${APP[@]}" -vvv
[[ "$(changed app-deploy)" -gt 0 ]] || fail "the first deploy must report changes"
grep -qF 'st-app-db-1' "${OUT}/app-deploy.log" || fail "the -vvv log has no trace of the deploy"
if grep -nF "${SENTINEL_SECRET}" "${OUT}/app-deploy.log"; then fail "the secret appeared in the -vvv output"; fi
app_ids="$(ids st-app)"
[[ "$(wc -l <<<"${app_ids}")" -eq 4 ]] || fail "expected 4 containers of st-app, got: ${app_ids}"
play verify verify.yml -vvv
if grep -nF "${SENTINEL_SECRET}" "${OUT}/verify.log"; then fail "the secret appeared in the verify output"; fi

play app-again deploy.yml "${APP[@]}"
[[ "$(changed app-again)" -eq 0 ]] || fail "a second deploy must change nothing (changed=$(changed app-again))"
[[ "$(ids st-app)" == "${app_ids}" ]] || fail "a second deploy changed container IDs"
play app-check-again deploy.yml "${APP[@]}" --check --diff
[[ "$(changed app-check-again)" -eq 0 ]] || fail "check mode after a deploy must change nothing"

WEB_REPLICAS=3 play scale-up deploy.yml "${APP[@]}"
[[ "$(ids st-app | grep -v st-app-web-3)" == "${app_ids}" ]] || fail "scaling web to 3 touched other containers"
ids st-app | grep -q '^st-app-web-3 ' || fail "scaling web to 3 created no st-app-web-3"
WEB_REPLICAS=1 play scale-down deploy.yml "${APP[@]}"
[[ "$(ids st-app)" == "$(grep -v st-app-web-2 <<<"${app_ids}")" ]] || fail "scaling web to 1: $(ids st-app)"
WEB_REPLICAS=1 play verify-one verify.yml
[[ "$(ids st-other)" == "${other_ids}" ]] || fail "st-app's deploys touched st-other"
play status status.yml "${APP[@]}" -e '{"stack_env": {"WEB_REPLICAS": "1"}}'
for row in '"Stack st-app: 3 of 3 services at their desired replicas",' '"db             1        1        1  localhost",' \
    '"web            1        1        -  localhost",' '"worker         1        1        -  localhost",'; do
    grep -qF -- "${row}" "${OUT}/status.log" || { cat "${OUT}/status.log"; fail "status has no row ${row}"; }
done

play bad-inputs bad_inputs.yml
rc=0
ansible-playbook -i inventory.yml deploy.yml "${APP[@]}" "${COMMON[@]}" -e stack_name=st-multi \
    -e '{"stack_env": {"WEB_REPLICAS": "2"}}' >"${OUT}/multi.log" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || { cat "${OUT}/multi.log"; fail "a multi-host stack without a swarm must fail"; }
grep -qF "stack st-multi: networks: the stack runs on 2 hosts (st-h1, st-h2), so its networks are overlays on a swarm, and st-h1, st-h2 is not in one (services db, web, worker): form one with the flotilla.fleet.cluster role first" \
    "${OUT}/multi.log" || { cat "${OUT}/multi.log"; fail "the multi-host message is not the expected one"; }
[[ -z "$(ids st-multi)" ]] || fail "st-multi created containers"
if docker network inspect st-multi_default >/dev/null 2>&1; then fail "st-multi created a network"; fi

play app-destroy destroy.yml "${APP[@]}"
[[ -z "$(ids st-app)" ]] || fail "destroy left containers: $(ids st-app)"
docker volume inspect st-app_data >/dev/null || fail "destroy removed the volume without stack_remove_volumes"
! docker network inspect st-app_default >/dev/null 2>&1 || fail "destroy left the network"
[[ "$(ids st-other)" == "${other_ids}" ]] || fail "st-app's destroy touched st-other"
play app-destroy-volumes destroy.yml "${APP[@]}" -e stack_remove_volumes=true
! docker volume inspect st-app_data >/dev/null 2>&1 || fail "stack_remove_volumes kept the volume"
echo "stack_deploy: all checks passed"
