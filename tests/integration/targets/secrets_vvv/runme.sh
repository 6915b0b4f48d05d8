#!/usr/bin/env bash
# Secrets never reach the output, even at -vvv: run a playbook that hands a sentinel registry password and a
# sentinel swarm join token to flotilla.fleet.image and flotilla.fleet.swarm (on the paths that fail and on
# the ones that report a plan), capture everything ansible-playbook prints, and fail on any sentinel in it.
# Nothing on the engine changes: the pulls fail (no registry answers on 127.0.0.1:1), the joins run in
# check mode or fail validation.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

PYTHON="${ANSIBLE_TEST_PYTHON_INTERPRETER:-$(command -v python3)}"
OUT="${OUTPUT_DIR:-$(mktemp -d)}"
LOG="${OUT}/secrets_vvv.log"
# Sentinels: the password is random per run; the token has the shape of a real one, with a marker in it.
SENTINEL_PASSWORD="flotilla-pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
SENTINEL_TOKEN="SWMTKN-1-$(printf '0%.0s' {1..50})-flotillasentinel$(od -An -N8 -tx1 /dev/urandom | tr -dc 'a-z0-9' | head -c 9)"
export SENTINEL_PASSWORD SENTINEL_TOKEN

rc=0
ansible-playbook -vvv -i localhost, -c local -e "ansible_python_interpreter=${PYTHON}" playbook.yml >"${LOG}" 2>&1 || rc=$?
if [[ $rc -ne 0 ]]; then
    cat "${LOG}"
    echo "secrets_vvv: the playbook failed (rc=${rc})" >&2
    exit 1
fi

# The run must have printed what it is meant to print, or a silent run would pass.
for expected in "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" "Failed to pull image 127.0.0.1:1/flotilla/secrets-vvv:1" \
    "join_token: not a swarm join token" "secrets_vvv: all checks passed"; do
    grep -qF -- "${expected}" "${LOG}" || { echo "secrets_vvv: expected '${expected}' in the -vvv output" >&2; exit 1; }
done
if grep -nF -e "${SENTINEL_PASSWORD}" -e "${SENTINEL_TOKEN}" -e "flotillasentinel" "${LOG}"; then
    echo "secrets_vvv: a secret appeared in the -vvv output (${LOG}, lines above)" >&2
    exit 1
fi
echo "secrets_vvv: $(wc -l <"${LOG}") lines of -vvv output, no sentinel in them"
