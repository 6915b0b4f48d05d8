"""Ask every lab engine (and, for node settings, the expected manager) what the swarm is; compare with EXPECT.

    python verify.py INVENTORY EXPECT_JSON      EXPECT: {node: {state, role?, labels?}}

A node expected active must be a ready node of the manager's swarm with that role, those labels and
availability active; a node expected inactive must not be a ready node of it. Node states converge within
seconds after a join or a leave, so the comparison is retried for up to 30 s. Exit 1 with the differences.
"""

import json
import sys
import time

import docker
import yaml


def client(host, certs):
    tls = docker.tls.TLSConfig(client_cert=(certs["flotilla_client_cert"], certs["flotilla_client_key"]),
                               ca_cert=certs["flotilla_ca_path"], verify=certs["flotilla_ca_path"])
    api = docker.APIClient(base_url=host["flotilla_docker_host"], tls=tls, version="1.41", timeout=30)
    api.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the lab's CA
    return api


def differences(clients, expect):
    found = []
    for name, wanted in sorted(expect.items()):
        swarm = clients[name].info().get("Swarm") or {}
        state = swarm.get("LocalNodeState")
        role = ("manager" if swarm.get("ControlAvailable") else "worker") if state == "active" else None
        if (state, role) != (wanted["state"], wanted.get("role")):
            found.append("%s: engine says %s/%s, expected %s/%s" % (name, state, role, wanted["state"], wanted.get("role")))
    managers = [name for name, wanted in sorted(expect.items()) if wanted.get("role") == "manager"]
    if not managers:
        return found
    try:
        nodes = clients[managers[0]].nodes()
    except docker.errors.APIError as exc:
        return found + ["%s: cannot list the swarm's nodes: %s" % (managers[0], exc.explanation)]
    for name, wanted in sorted(expect.items()):
        ready = [n for n in nodes if n["Description"]["Hostname"] == name and n["Status"]["State"] == "ready"]
        if wanted["state"] != "active":
            if ready:
                found.append("%s: still a ready node of the swarm" % name)
            continue
        seen = [(n["Spec"].get("Role"), n["Spec"].get("Labels") or {}, n["Spec"].get("Availability")) for n in ready]
        if seen != [(wanted["role"], wanted["labels"], "active")]:
            found.append("%s: the manager sees %s, expected %s" % (name, seen, (wanted["role"], wanted["labels"], "active")))
    return found


def main():
    group = yaml.safe_load(open(sys.argv[1]))["all"]["children"]["lab"]
    expect = json.loads(sys.argv[2])
    clients = {name: client(host, group["vars"]) for name, host in group["hosts"].items()}
    deadline = time.monotonic() + float(sys.argv[3] if len(sys.argv) > 3 else 30)
    while True:
        found = differences(clients, expect)
        if not found or time.monotonic() > deadline:
            break
        time.sleep(1)
    print("\n".join(found) or "as expected", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
