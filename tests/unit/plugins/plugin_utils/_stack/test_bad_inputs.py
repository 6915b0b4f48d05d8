"""Bad Compose input: each case gives the exact message, which names the file or the field (service and key)."""

from __future__ import annotations

import pytest
from stack_helpers import BASE_ENV, error_of

from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._errors import StackError
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._model import load_stack

# (compose.yaml, message); "{file}" stands for the compose file's path, "{dir}" for its directory.
CASES = [
    ("services:\n  web:\n    imgae: nginx\n",
     "stack_file: {file}: validating {file}: services.web additional properties 'imgae' not allowed "
     "(did you mean 'image'?)"),
    ("services:\n  web:\n    image: nginx\n    deploy: {replica: 2}\n",
     "stack_file: {file}: validating {file}: services.web.deploy additional properties 'replica' not allowed "
     "(did you mean 'replicas'?)"),
    ("servics:\n  web:\n    image: nginx\n",
     "stack_file: {file}: validating {file}:  additional properties 'servics' not allowed "
     "(did you mean 'services'?)"),
    # Compose refuses this one itself (our own check covers mode global, below).
    ("services:\n  web:\n    image: nginx\n    container_name: shop-web\n    deploy: {replicas: 2}\n",
     "stack_file: {file}: services.deploy.replicas: can't set container_name and web as container name must be "
     "unique: invalid compose project"),
    ("services:\n  web:\n    image: nginx\n    container_name: shop-web\n    deploy: {mode: global}\n",
     "services.web.container_name: 'shop-web' names one container, but the service has one per host "
     "(mode global): remove container_name or run 1 replica"),
    ("services:\n  web:\n    image: nginx\n    deploy:\n      placement:\n        constraints: ['node.labels.zone ~= eu']\n",
     "services.web.deploy.placement.constraints[0]: unknown operator '~=' in 'node.labels.zone ~= eu' "
     "(Swarm constraints use == or !=; x-flotilla.constraints takes the scheduler's full set)"),
    ("services:\n  web:\n    image: nginx\n    deploy:\n      placement:\n        constraints: ['node.lables.zone == eu']\n",
     "services.web.deploy.placement.constraints[0]: unknown attribute 'node.lables.zone' (use node.hostname, "
     "node.role, node.id, node.platform.arch, node.platform.os, node.labels.<name>, engine.labels.<name>)"),
    ("services:\n  web:\n    image: nginx\n    deploy:\n      placement:\n        constraints: ['node.hostnme == a']\n",
     "services.web.deploy.placement.constraints[0]: unknown attribute 'node.hostnme' (did you mean "
     "'node.hostname'?) (use node.hostname, node.role, node.id, node.platform.arch, node.platform.os, "
     "node.labels.<name>, engine.labels.<name>)"),
    ("services:\n  web:\n    image: nginx\n    deploy:\n      placement:\n        constraints: ['node.labels.zone']\n",
     "services.web.deploy.placement.constraints[0]: cannot parse 'node.labels.zone' "
     "(use <attribute> == <value> or <attribute> != <value>)"),
    ("services:\n  web:\n    image: nginx\n    deploy:\n      placement:\n        preferences: [{spread: zone}]\n",
     "services.web.deploy.placement.preferences[0].spread: unknown attribute 'zone' (use node.hostname, node.role, "
     "node.id, node.platform.arch, node.platform.os, node.labels.<name>, engine.labels.<name>)"),
    ("services:\n  web:\n    image: nginx\n    deploy:\n      resources:\n        reservations: {cpus: lots}\n",
     "stack_file: {file}: decoding failed due to the following error(s):\n\n"
     "'services[web].deploy.resources.reservations.cpus' strconv.ParseFloat: parsing \"lots\": invalid syntax"),
    ("services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n  c: {image: x, depends_on: [a]}\n",
     "stack_file: {file}: dependency cycle detected: a -> b -> c -> a"),
    ("services:\n  web: {image: x, network_mode: 'service:vpn'}\n  vpn: {image: x, deploy: {replicas: 3}}\n",
     "services.web.network_mode: service:vpn needs vpn to run 1 replica, it has 3 replicas "
     "(web joins the network namespace of one container)"),
    ("services:\n  web: {image: x, network_mode: 'container:other'}\n",
     "services.web.network_mode: 'container:other' is not supported (use host, none, bridge or service:<name>)"),
    ("services:\n  web:\n    image: x\n    environment: {TOKEN: '${REQUIRED:?must be set}'}\n",
     "stack_file: {file}: error while interpolating services.web.environment.TOKEN: required variable REQUIRED "
     "is missing a value: must be set"),
    ("services:\n  web:\n    image: [nginx\n",
     "stack_file: {file}: yaml: line 3: did not find expected ',' or ']' (at line 4, column 12 of {file})"),
    ("services:\n  web:\n    environment: {A: b}\n",
     "stack_file: {file}: service \"web\" has neither an image nor a build context specified: invalid compose project"),
    ("services:\n  web: {image: x, volumes_from: [other]}\n  other: {image: x}\n",
     "services.web.volumes_from: not supported: shares another container's mounts, which needs both on one host "
     "(use named volumes)"),
    ("services:\n  web: {image: x, pid: host}\n",
     "services.web.pid: not supported: sharing PID namespaces is not supported (no host namespaces)"),
    ("services:\n  web: {image: x, ipc: host}\n",
     "services.web.ipc: not supported: sharing IPC namespaces is not supported (no host namespaces)"),
    ("services:\n  web: {image: x, devices: ['/dev/ttyUSB0:/dev/ttyUSB0']}\n",
     "services.web.devices: not supported: host devices are not supported by the containers module yet"),
    ("services:\n  web: {image: x, use_api_socket: true}\n",
     "services.web.use_api_socket: not supported: gives the container the Docker API socket, which is root on the host"),
    ("services:\n  web: {image: x, gpus: all}\n",
     "services.web.gpus: not supported: use deploy.resources.reservations.generic_resources (kind gpu) for the scheduler"),
    ("services:\n  web: {image: x, labels: {flotilla.service: other}}\n",
     "services.web.labels.flotilla.service: labels starting with 'flotilla.' are managed by flotilla.fleet"),
    ("services:\n  web: {image: x, x-flotilla: {stratgy: binpack}}\n",
     "services.web.x-flotilla.stratgy: unknown key (did you mean 'strategy'?) (use strategy, spread, affinity, "
     "anti_affinity, preferences, constraints, priority, preemption, hosts, max_per_host)"),
    ("services:\n  web: {image: x, x-flotilla: {hosts: [1, 2]}}\n",
     "services.web.x-flotilla.hosts: must be a group or host name, or a list of them"),
    ("services:\n  web: {image: x, x-flotilla: {spread: zone}}\n",
     "services.web.x-flotilla.spread: must be a list, got str"),
    ("services:\n  web: {image: x}\nx-flotilla: [binpack]\n",
     "x-flotilla: must be a mapping, got list"),
    ("services:\n  web:\n    image: x\n    deploy: {placement: {max_replicas_per_node: 1}}\n"
     "    x-flotilla: {max_per_host: 2}\n",
     "services.web.x-flotilla.max_per_host: also set by deploy.placement.max_replicas_per_node: keep one"),
    ("services:\n  web:\n    image: x\n    deploy:\n      resources:\n        reservations:\n"
     "          generic_resources: [{named_resource_spec: {kind: gpu, value: gpu-0}}]\n",
     "stack_file: {file}: validating {file}: services.web.deploy.resources.reservations.generic_resources.0 "
     "additional properties 'named_resource_spec' not allowed"),
    ("services:\n  web:\n    image: x\n    deploy:\n      resources:\n        reservations:\n"
     "          devices: [{capabilities: [gpu], count: 1}]\n",
     "services.web.deploy.resources.reservations.devices: device requests are not supported yet; reserve a count "
     "with generic_resources (discrete_resource_spec) instead"),
    ("services:\n  web: {image: x, deploy: {mode: replicated-job}}\n",
     "services.web.deploy.mode: 'replicated-job' is not supported (use replicated or global)"),
    ("services:\n  web: {image: x, tmpfs: ['/run:uid=1000']}\n",
     "services.web.tmpfs[0]: tmpfs option 'uid' is not supported (use size and mode)"),
    ("services:\n  web: {image: x, tmpfs: ['run']}\n",
     "services.web.tmpfs[0]: 'run' must be an absolute path"),
    ("services:\n  web: {image: x, restart: sometimes}\n",
     "services.web.restart: unknown policy 'sometimes' (use no, always, on-failure[:N], unless-stopped)"),
    ("services:\n  web: {image: x, platform: arm64}\n",
     "services.web.platform: 'arm64' is not os/arch[/variant], such as linux/arm64"),
    ("services:\n  web:\n    image: x\n    networks:\n      front: {ipv6_address: '2001:db8::10'}\n"
     "networks:\n  front: {}\n",
     "services.web.networks.front.ipv6_address: not supported by the containers module"),
    ("services:\n  web:\n    image: x\n    secrets: [token]\nsecrets:\n  token: {external: true}\n",
     "secrets.token.external: external secrets live in a Swarm; give file, environment or content instead"),
    ("services:\n  web:\n    image: x\n    volumes: [{type: npipe, source: '\\\\.\\pipe\\docker', target: /pipe}]\n",
     "services.web.volumes[0].type: mounts of type npipe are not supported (use volume, bind or tmpfs)"),
    ("services:\n  web: {image: x, ulimits: {files: 1024}}\n",
     "services.web.ulimits.files: not a ulimit (use one of core, cpu, data, fsize, locks, memlock, msgqueue, nice, "
     "nofile, nproc, rss, rtprio, rttime, sigpending, stack)"),
    ("models:\n  llm: {model: ai/smollm2}\nservices:\n  web: {image: x, models: [llm]}\n",
     "models: not supported: AI model runners are not supported"),
]


@pytest.mark.parametrize("text, message", CASES)
def test_bad_compose(tmp_path, text, message):
    path = tmp_path / "compose.yaml"
    expected = message.replace("{file}", str(path)).replace("{dir}", str(tmp_path))
    assert error_of(tmp_path, "name: bad\n" + text if not text.startswith("name") else text) == expected


def test_bad_input_count():
    assert len(CASES) + len(OTHER_CASES) >= 30


def _missing_file(tmp_path):
    load_stack([tmp_path / "nope.yaml"], base_env=BASE_ENV)


def _both(tmp_path):
    load_stack([tmp_path / "compose.yaml"], definition={"services": {}}, base_env=BASE_ENV)


def _definition_not_a_mapping(tmp_path):
    load_stack(definition=["web"], base_env=BASE_ENV)


def _second_file_missing(tmp_path):
    (tmp_path / "compose.yaml").write_text("services: {web: {image: x}}\n")
    load_stack([tmp_path / "compose.yaml", tmp_path / "prod.yaml"], base_env=BASE_ENV)


def _inline_compose_error(tmp_path):
    load_stack(definition={"services": {"web": {"image": "x", "ports": "80"}}}, project_dir=tmp_path,
               base_env=BASE_ENV)


OTHER_CASES = [
    (_missing_file, "stack_file: {dir}/nope.yaml: no such file"),
    (_both, "stack_file: give either stack_file or stack_definition (one of them, not both)"),
    (_definition_not_a_mapping, "stack_definition: must be a mapping in Compose structure, got list"),
    (_second_file_missing, "stack_file[1]: {dir}/prod.yaml: no such file"),
    (_inline_compose_error, "stack_definition: stack_definition: validating -: services.web.ports "
                            "must be a array"),
]


@pytest.mark.parametrize("call, message", OTHER_CASES)
def test_bad_call(tmp_path, call, message):
    with pytest.raises(StackError) as error:
        call(tmp_path)
    assert str(error.value) == message.replace("{dir}", str(tmp_path))
