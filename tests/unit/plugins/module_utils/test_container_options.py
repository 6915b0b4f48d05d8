"""The container option table: normalisation, what omitted options stand for, reading the engine back."""

import pytest
from hypothesis import given, strategies as st

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._container_options import (
    CONTAINER_OPTIONS, SPEC_HASH_LABEL, ContainerContext)

IMAGE = {"Cmd": ["/bin/sh", "-c", "sleep infinity"], "Entrypoint": None,
         "Env": ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"], "Labels": {"org.image": "base"}, "User": "", "WorkingDir": ""}
INFO = {"LoggingDriver": "json-file"}


def engine_container(config=None, host=None, networks=None, container_id="c0ffee00c0ffee00"):
    """An inspect result as Docker 20.10 reports a container created from IMAGE with no options."""
    inspected = {
        "Id": container_id,
        "Config": {"Cmd": IMAGE["Cmd"], "Entrypoint": None, "Env": IMAGE["Env"], "Labels": dict(IMAGE["Labels"]),
                   "User": "", "WorkingDir": "", "Hostname": container_id[:12], "Healthcheck": None},
        "HostConfig": {"NetworkMode": "default", "RestartPolicy": {"Name": "", "MaximumRetryCount": 0},
                       "PortBindings": {}, "Mounts": None, "NanoCpus": 0, "Memory": 0, "MemoryReservation": 0,
                       "PidsLimit": None, "ReadonlyRootfs": False, "Privileged": False, "CapAdd": None,
                       "CapDrop": None, "SecurityOpt": None,
                       "LogConfig": {"Type": "json-file", "Config": {"max-file": "3", "max-size": "10m"}}},
        "NetworkSettings": {"Networks": networks or {"bridge": {"Aliases": None, "IPAMConfig": None}}},
    }
    inspected["Config"].update(config or {})
    inspected["HostConfig"].update(host or {})
    return inspected


def normalize(**params):
    return CONTAINER_OPTIONS.normalize(params)


def changes(params, inspected, image=None):
    desired = normalize(**params)
    context = ContainerContext(IMAGE if image is None else image, INFO, desired)
    effective = CONTAINER_OPTIONS.effective(desired, context)
    actual = CONTAINER_OPTIONS.actual(inspected, context)
    names = CONTAINER_OPTIONS.differences(effective, actual)
    return names, CONTAINER_OPTIONS.diff(names, effective, actual)


def test_a_container_with_engine_defaults_matches_an_empty_spec():
    assert changes({"image": "base"}, engine_container()) == ([], {"before": {}, "after": {}})


@pytest.mark.parametrize("pids_limit", [None, 0, -1])
def test_every_engine_spelling_of_no_pids_limit_is_no_limit(pids_limit):
    assert changes({}, engine_container(host={"PidsLimit": pids_limit}))[0] == []
    assert changes({"pids_limit": 100}, engine_container(host={"PidsLimit": pids_limit}))[0] == ["pids_limit"]


def test_command_left_out_or_empty_is_the_images_cmd():
    assert changes({"command": []}, engine_container())[0] == []
    assert changes({"command": "/bin/sh -c 'sleep infinity'"}, engine_container())[0] == []
    assert changes({"command": ["sleep", "1"]}, engine_container())[0] == ["command"]


def test_with_an_entrypoint_the_images_cmd_is_not_used():
    inspected = engine_container(config={"Entrypoint": ["sleep"], "Cmd": None})
    assert changes({"entrypoint": "sleep"}, inspected)[0] == []
    assert changes({"entrypoint": ["sleep"], "command": []}, inspected)[0] == []
    assert changes({"entrypoint": "sleep", "command": "1"}, inspected) == (
        ["command"], {"before": {"command": []}, "after": {"command": ["1"]}})


def test_command_strings_are_split_like_a_shell():
    assert normalize(command="sh -c 'echo hi; sleep 1'")["command"] == ["sh", "-c", "echo hi; sleep 1"]
    assert normalize(command=["sleep", 5])["command"] == ["sleep", "5"]
    with pytest.raises(FleetError, match=r"^command: cannot split \"sleep 'x\" into arguments: No closing quotation$"):
        normalize(command="sleep 'x")
    with pytest.raises(FleetError, match=r"^entrypoint: expected a string or a list of strings, got 5$"):
        normalize(entrypoint=5)


def test_env_is_compared_beyond_what_the_image_sets():
    inspected = engine_container(config={"Env": ["A=1", "PATH=/usr/bin:/bin", "LANG=C.UTF-8"]})
    assert changes({"env": {"A": 1}}, inspected)[0] == []
    assert changes({"env": {"A": "1", "PATH": "/usr/bin:/bin"}}, inspected)[0] == []  # spelled out: same
    assert changes({}, inspected) == (["env"], {"before": {"env": {"A": "1"}}, "after": {"env": {}}})
    # The user overrides an image variable, then stops overriding it: that is a change back.
    overridden = engine_container(config={"Env": ["PATH=/opt/bin", "LANG=C.UTF-8"]})
    assert changes({"env": {"PATH": "/opt/bin"}}, overridden)[0] == []
    assert changes({}, overridden)[1] == {"before": {"env": {"PATH": "/opt/bin"}}, "after": {"env": {}}}


def test_labels_ignore_the_images_and_the_spec_hash():
    inspected = engine_container(config={"Labels": {"org.image": "base", "tier": "web", SPEC_HASH_LABEL: "abc"}})
    assert changes({"labels": {"tier": "web"}}, inspected)[0] == []
    assert changes({"labels": {"tier": "web", "org.image": "base"}}, inspected)[0] == []
    assert changes({"labels": {"tier": "db"}}, inspected)[1] == {"before": {"labels": {"tier": "web"}},
                                                                 "after": {"labels": {"tier": "db"}}}


@pytest.mark.parametrize("labels, message", [
    ({SPEC_HASH_LABEL: "x"}, "labels.flotilla.spec-hash: labels starting with 'flotilla.' are managed by flotilla.fleet"),
    ({"flotilla.other": "x"}, "labels.flotilla.other: labels starting with 'flotilla.' are managed by flotilla.fleet"),
    ({"on": True}, "labels.on: True is a boolean; quote it ('true') so the value is exact"),
])
def test_bad_labels(labels, message):
    with pytest.raises(FleetError) as error:
        normalize(labels=labels)
    assert str(error.value) == message


def test_scheduler_labels_are_allowed():
    labels = {"flotilla.project": "shop", "flotilla.service": "web", "flotilla.replica": "1"}
    assert normalize(labels=labels)["labels"] == labels


def test_healthcheck_durations_and_forms():
    assert normalize(healthcheck={"test": "curl -f localhost", "interval": "1m30s", "timeout": "5s",
                                  "retries": 3, "start_period": "500ms", "disable": False})["healthcheck"] == {
        "Test": ["CMD-SHELL", "curl -f localhost"], "Interval": 90 * 10 ** 9, "Timeout": 5 * 10 ** 9,
        "Retries": 3, "StartPeriod": 5 * 10 ** 8}
    assert normalize(healthcheck={"test": ["python3", "-c", "1"]})["healthcheck"] == {
        "Test": ["CMD", "python3", "-c", "1"]}
    assert normalize(healthcheck={"test": ["CMD-SHELL", "true"]})["healthcheck"] == {"Test": ["CMD-SHELL", "true"]}
    assert normalize(healthcheck={"disable": True})["healthcheck"] == {"Test": ["NONE"]}
    # 0 is the engine's "default": the same as leaving it out, so it compares equal to what is read back.
    assert normalize(healthcheck={"test": "true", "retries": 0, "interval": "0s"})["healthcheck"] == {
        "Test": ["CMD-SHELL", "true"]}


@pytest.mark.parametrize("healthcheck, message", [
    ({"interval": "5s"}, "healthcheck.test: required unless disable is true"),
    ({"test": []}, "healthcheck.test: expected a shell command string or a list of arguments, got []"),
    # [CMD] alone makes Docker 20.10's dockerd panic at the first probe: never sent.
    ({"test": ["CMD"]}, "healthcheck.test: CMD needs a command after it, such as [CMD, curl, -f, http://localhost/]"),
    ({"test": ["CMD", ""]}, "healthcheck.test: CMD needs a command after it, such as [CMD, curl, -f, http://localhost/]"),
    ({"test": ["CMD-SHELL"]}, "healthcheck.test: CMD-SHELL needs a command after it, such as [CMD-SHELL, curl -f localhost]"),
    ({"test": ["CMD-SHELL", " "]},
     "healthcheck.test: CMD-SHELL needs a command after it, such as [CMD-SHELL, curl -f localhost]"),
    ({"test": ""}, "healthcheck.test: an empty command passes or fails whatever the container does; give a command, "
                   "or set disable: true"),
    ({"test": "true", "interval": "500us"}, "healthcheck.interval: must be at least 1ms, got '500us'"),
    ({"test": "true", "timeout": "soon"},
     "healthcheck.timeout: cannot parse 'soon' as a duration (use e.g. 30s, 1m30s, 500ms)"),
    ({"test": "true", "retries": -1}, "healthcheck.retries: must not be negative, got -1"),
])
def test_bad_healthchecks(healthcheck, message):
    with pytest.raises(FleetError) as error:
        normalize(healthcheck=healthcheck)
    assert str(error.value) == message


def test_healthcheck_read_back_and_image_defaults():
    check = {"Test": ["CMD-SHELL", "true"], "Interval": 5 * 10 ** 9}
    assert changes({"healthcheck": {"test": "true", "interval": "5s"}},
                   engine_container(config={"Healthcheck": dict(check, Retries=0)}))[0] == []
    image = dict(IMAGE, Healthcheck={"Test": ["CMD", "probe"], "Interval": 10 ** 10, "Retries": 2})
    engine_merged = {"Test": ["CMD-SHELL", "true"], "Interval": 10 ** 10, "Retries": 2}
    # The engine fills interval and retries from the image's healthcheck when the user's are 0.
    assert changes({"healthcheck": {"test": "true"}}, engine_container(config={"Healthcheck": engine_merged}),
                   image)[0] == []
    assert changes({}, engine_container(config={"Healthcheck": image["Healthcheck"]}), image)[0] == []


@pytest.mark.parametrize("value, expected", [(0.5, 0.5), (2, 2.0), (0.3333333, 0.333), ("500m", 0.5), ("0.5", 0.5),
                                             ("1500m", 1.5), (0.01, 0.01), ("10m", 0.01)])
def test_cpus(value, expected):
    assert normalize(cpus=value)["cpus"] == expected
    assert changes({"cpus": value}, engine_container(host={"NanoCpus": int(expected * 1e9)}))[0] == []


@pytest.mark.parametrize("params, message", [
    ({"cpus": 0}, "cpus: must be a positive number of CPUs such as 0.5 or 2, got 0"),
    ({"cpus": "0m"}, "cpus: must be a positive number of CPUs such as 0.5 or 2, got 0m"),
    ({"cpus": -1}, "cpus: must not be negative, got -1"),
    # Below the engine's resolution the limit would round to nothing (or fail at start): say the smallest.
    ({"cpus": 0.0001}, "cpus: 0.0001 is below 0.01 (10m), the smallest CPU limit the engine applies"),
    ({"cpus": "5m"}, "cpus: 5m is below 0.01 (10m), the smallest CPU limit the engine applies"),
    ({"cpus": float("nan")}, "cpus: expected a number of CPUs such as 0.5 or 500m, got nan"),
    ({"cpus": float("inf")}, "cpus: expected a number of CPUs such as 0.5 or 500m, got inf"),
    ({"cpus": True}, "cpus: cannot parse True as cpus (use a number of CPUs such as 0.5 or millicpus such as 500m)"),
    ({"cpus": "half"}, "cpus: cannot parse 'half' as cpus (use a number of CPUs such as 0.5 or millicpus such as 500m)"),
    ({"memory": "99999999t"}, "memory: '99999999t' is more than the engine can hold (at most 8 EiB, 2^63-1 bytes)"),
    ({"memory": "nan"}, "memory: cannot parse 'nan' as a size (use bytes or a number with k, m, g or t, e.g. 512m)"),
    ({"env": {"": "x"}}, "env: '' is not a variable name (it is empty)"),
    ({"env": {"A=B": "x"}}, "env.A=B: 'A=B' is not a variable name ('=' separates the name from the value)"),
    ({"env": {"VERSION": 1.10}},
     "env.VERSION: 1.1 is a float, which YAML may have altered (1.10 becomes 1.1); quote it so the value is exact"),
    ({"command": ["sleep", {"a": 1}]}, "command[1]: expected a string, got {'a': 1}"),
    ({"command": ["echo", True]}, "command[1]: True is a boolean; quote it ('true') so the argument is exact"),
    ({"entrypoint": [["sh"]]}, "entrypoint[0]: expected a string, got ['sh']"),
    ({"cap_add": ["CAP_FOO"]}, "cap_add[0]: 'CAP_FOO' is not a Linux capability (see capabilities(7); ALL for every one)"),
    ({"cap_drop": ["net_admin", "bogus"]},
     "cap_drop[1]: 'bogus' is not a Linux capability (see capabilities(7); ALL for every one)"),
    ({"memory": "5m"}, "memory: the Docker engine needs at least 6m, got '5m'"),
    ({"memory": "0"}, "memory: leave the option out for no limit; 0 is not a limit"),
    ({"memory_reservation": "0"}, "memory_reservation: leave the option out for no limit; 0 is not a limit"),
    ({"pids_limit": 0}, "pids_limit: leave the option out for no limit; 0 is not a limit"),
    ({"pids_limit": -1}, "pids_limit: must not be negative, got -1"),
    ({"restart_retries": -2}, "restart_retries: must not be negative, got -2"),
    ({"stop_timeout": -2}, "stop_timeout: must not be negative, got -2"),
    ({"working_dir": "srv/app"}, "working_dir: 'srv/app' must be an absolute path"),
])
def test_bad_values(params, message):
    with pytest.raises(FleetError) as error:
        normalize(**params)
    assert str(error.value) == message


def test_sizes_are_compared_in_bytes():
    inspected = engine_container(host={"Memory": 64 * 1024 ** 2, "MemoryReservation": 32 * 1024 ** 2})
    assert changes({"memory": "64m", "memory_reservation": "32MiB"}, inspected)[0] == []
    assert changes({"memory": 67108864, "memory_reservation": "32768k"}, inspected)[0] == []
    # The diff shows the user's units, not bytes.
    assert changes({"memory": "1g"}, inspected)[1] == {
        "before": {"memory": "64m", "memory_reservation": "32m"},
        "after": {"memory": "1g", "memory_reservation": None}}


def test_caps_are_upper_case_without_prefix_and_sorted():
    assert normalize(cap_add=["net_admin", "CAP_SYS_TIME", "NET_ADMIN"])["cap_add"] == ["NET_ADMIN", "SYS_TIME"]
    # The engine keeps caps as they were sent, whoever sent them.
    inspected = engine_container(host={"CapAdd": ["CAP_NET_ADMIN", "sys_time"], "CapDrop": ["all"]})
    assert changes({"cap_add": ["SYS_TIME", "net_admin"], "cap_drop": ["ALL"]}, inspected)[0] == []
    with pytest.raises(FleetError, match=r"^cap_drop\[0\]: 'NET ADMIN' is not a capability name such as NET_ADMIN$"):
        normalize(cap_drop=["NET ADMIN"])


def test_security_opts_spellings():
    assert normalize(security_opts=["no-new-privileges:true", "label:disable", "seccomp=unconfined"])[
        "security_opts"] == ["label=disable", "no-new-privileges", "seccomp=unconfined"]
    inspected = engine_container(host={"SecurityOpt": ["no-new-privileges=true", "label=disable"]})
    assert changes({"security_opts": ["label:disable", "no-new-privileges"]}, inspected)[0] == []
    with pytest.raises(FleetError, match=r"^security_opts\[1\]: 'nonsense' is not a security option"):
        normalize(security_opts=["no-new-privileges", "nonsense"])


def test_working_dir_is_cleaned_like_the_engine_does():
    assert normalize(working_dir="/srv/./app/")["working_dir"] == "/srv/app"
    assert normalize(working_dir="//srv")["working_dir"] == "/srv"
    assert changes({"working_dir": "/srv/app/"}, engine_container(config={"WorkingDir": "/srv/app"}))[0] == []


def test_hostname_and_stop_signal_left_out_have_no_opinion():
    inspected = engine_container(config={"Hostname": "whatever", "StopSignal": "SIGINT", "StopTimeout": 30})
    assert changes({}, inspected)[0] == []
    assert changes({"hostname": "web"}, inspected)[0] == ["hostname"]


def test_log_options_the_engine_adds_are_not_changes():
    # daemon.json log-opts are merged into the default driver's options: only named options count.
    assert changes({"log_driver": "json-file", "log_options": {"max-size": "10m"}}, engine_container())[0] == []
    assert changes({"log_options": {"max-size": "5m"}}, engine_container())[1] == {
        "before": {"log_options": {"max-file": "3", "max-size": "10m"}}, "after": {"log_options": {"max-size": "5m"}}}
    assert changes({"log_driver": "local"}, engine_container())[0] == ["log_driver"]


def test_restart_policy_spellings():
    assert changes({"restart_policy": "no"}, engine_container())[0] == []
    inspected = engine_container(host={"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}})
    assert changes({"restart_policy": "on-failure", "restart_retries": 3}, inspected)[0] == []
    assert changes({"restart_policy": "on-failure"}, inspected)[0] == ["restart_retries"]


def test_the_spec_hash_of_an_unchanged_request_is_the_one_before_this_release():
    # Computed by the code before the options declared their updates: upgrading recreates nothing.
    request = {"image": "flotilla-test/base:latest", "command": ["sleep", "1"], "entrypoint": "/bin/sh -c",
               "env": {"A": 1, "B": "x"}, "labels": {"tier": "web", "flotilla.service": "web"},
               "ports": ["127.0.0.1:8080:80", {"container_port": 53, "protocol": "udp"}, "9000"],
               "mounts": [{"type": "tmpfs", "target": "/t", "tmpfs_size": "16m", "tmpfs_mode": "1770"},
                          {"source": "data", "target": "/data/"},
                          {"type": "bind", "source": "/srv", "target": "/srv", "read_only": True}],
               "networks": [{"name": "n", "aliases": ["a"]}], "restart_policy": "on-failure", "restart_retries": 2,
               "healthcheck": {"test": "true", "interval": "30s", "retries": 2}, "cpus": 0.5, "memory": "64m",
               "memory_reservation": "32m", "pids_limit": 64, "user": "nobody", "working_dir": "/srv/./app",
               "hostname": "h", "read_only": True, "privileged": False, "cap_add": ["net_admin"], "cap_drop": ["ALL"],
               "security_opts": ["no-new-privileges:true"], "log_driver": "json-file", "log_options": {"max-size": "5m"},
               "stop_signal": "SIGINT", "stop_timeout": 3}
    assert CONTAINER_OPTIONS.fingerprint(normalize(**request)) == \
        "e6d6572fdacd37337b496b2baf204b0a7114d81aa3ddda0c33d6f36dcc1e8234"
    assert CONTAINER_OPTIONS.fingerprint(normalize(image="flotilla-test/base:latest")) == \
        "c6bc00eee18cd11c6d8e008471e3e4ab16931ca90d222e328d0e0c4a58ded02c"


def test_options_that_change_in_place_stay_out_of_the_hash():
    updatable = {option.name for option in CONTAINER_OPTIONS.options if option.update}
    assert updatable == {"networks", "restart_policy", "restart_retries", "cpus", "memory", "memory_reservation",
                         "pids_limit"}
    assert not any(CONTAINER_OPTIONS.by_name[name].in_hash for name in updatable)
    base = normalize(image="base", env={"A": "1"})
    assert CONTAINER_OPTIONS.fingerprint(dict(base, memory=1 << 30)) == CONTAINER_OPTIONS.fingerprint(base)
    assert CONTAINER_OPTIONS.fingerprint(dict(base, user="nobody")) != CONTAINER_OPTIONS.fingerprint(base)


_simple = st.text(alphabet="abcdefghij0123456789", min_size=1, max_size=6)


@given(env=st.dictionaries(_simple, _simple, max_size=4), labels=st.dictionaries(_simple, _simple, max_size=4),
       caps=st.lists(st.sampled_from(["NET_ADMIN", "net_admin", "CAP_CHOWN", "SYS_TIME"]), max_size=4),
       ports=st.lists(st.integers(min_value=1, max_value=65535), max_size=3, unique=True))
def test_fingerprint_is_stable_across_spellings_and_orders(env, labels, caps, ports):
    spec = normalize(image="base", env=env, labels=labels, cap_add=caps, ports=[str(port) for port in ports])
    respelled = normalize(image=" base ", env=dict(reversed(list(env.items()))),
                          labels=dict(reversed(list(labels.items()))),
                          cap_add=[cap.lower().replace("cap_", "") for cap in reversed(caps)],
                          ports=[{"container_port": port} for port in reversed(ports)])
    assert CONTAINER_OPTIONS.fingerprint(spec) == CONTAINER_OPTIONS.fingerprint(respelled)


def test_argument_spec_matches_the_doc_fragment():
    import yaml
    from ansible_collections.flotilla.fleet.plugins.doc_fragments.container import ModuleDocFragment
    from ansible_collections.flotilla.fleet.plugins.module_utils._container import container_argument_spec

    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]

    def shape(spec):
        result = {key: spec[key] for key in ("type", "elements", "choices", "default", "required") if key in spec}
        result.setdefault("type", "str")
        if "options" in spec or "suboptions" in spec:
            result["options"] = {name: shape(sub) for name, sub in (spec.get("options") or spec["suboptions"]).items()}
        return result

    assert {name: shape(spec) for name, spec in documented.items()} == \
        {name: shape(spec) for name, spec in container_argument_spec().items()}


def test_the_diff_shows_the_users_units():
    check = {"Test": ["CMD-SHELL", "true"], "Interval": 30 * 10 ** 9}
    inspected = engine_container(config={"Healthcheck": check}, host={"NanoCpus": 500000000})
    names, diff = changes({"healthcheck": {"test": "true", "interval": "1m30s", "timeout": "500ms"}, "cpus": "250m",
                           "mounts": [{"type": "tmpfs", "target": "/t", "tmpfs_size": "16m"}]}, inspected)
    assert diff == {
        "before": {"healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": "30s"}, "cpus": 0.5, "mounts": []},
        "after": {"healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": "1m30s", "Timeout": "500ms"},
                  "cpus": 0.25, "mounts": [{"type": "tmpfs", "source": "", "target": "/t", "read_only": False,
                                            "tmpfs_size": "16m"}]}}
    assert CONTAINER_OPTIONS.show({"memory": 256 << 20, "state": "started"}) == {"memory": "256m", "state": "started"}
