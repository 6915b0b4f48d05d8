#!/usr/bin/env bash
set -eux
ansible-playbook -i inventory.yml test.yml "$@"

# node3 fails on purpose in this playbook, so its exit code is 2: check that only node3 failed.
set +e
ansible-playbook -i inventory.yml unreachable.yml "$@" | tee unreachable.log
set -e
grep -E '^node1 +: ok=2 .*failed=0' unreachable.log
grep -E '^node3 +: .*failed=1' unreachable.log
rm -f unreachable.log
