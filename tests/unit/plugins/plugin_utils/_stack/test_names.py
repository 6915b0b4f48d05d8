"""Properties of names: every resource is scoped by the stack the way Compose scopes it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stack_helpers import BASE_ENV

from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._model import load_stack

STACKS = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)
# Two characters at least: Compose reads "a:/data" as a Windows drive path, not volume a.
NAMES = st.from_regex(r"[a-z][a-z0-9_-]{1,8}", fullmatch=True)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stack=STACKS, services=st.dictionaries(NAMES, st.integers(1, 4), min_size=1, max_size=4),
       networks=st.lists(NAMES, min_size=1, max_size=3, unique=True),
       volumes=st.lists(NAMES, min_size=1, max_size=3, unique=True))
def test_networks_volumes_and_containers_are_scoped_by_the_stack(tmp_path, stack, services, networks, volumes):
    definition = {
        "name": stack,
        "services": {name: {"image": "img", "deploy": {"replicas": count}, "networks": networks,
                            "volumes": [f"{volume}:/data/{index}" for index, volume in enumerate(volumes)]}
                     for name, count in services.items()},
        "networks": {name: {} for name in networks},
        "volumes": {name: {} for name in volumes},
    }
    model = load_stack(definition=definition, project_dir=tmp_path, base_env=BASE_ENV)
    assert model["name"] == stack
    assert {key: value["name"] for key, value in model["networks"].items()} == {
        name: f"{stack}_{name}" for name in networks}
    assert {key: value["name"] for key, value in model["volumes"].items()} == {
        name: f"{stack}_{name}" for name in volumes}
    every_container = []
    for name, count in services.items():
        service = model["services"][name]
        assert service["containers"] == [f"{stack}-{name}-{index}" for index in range(1, count + 1)]
        assert service["placement"]["project"] == stack
        assert sorted(network["name"] for network in service["container"]["networks"]) == sorted(
            f"{stack}_{network}" for network in networks)
        assert [mount["source"] for mount in service["container"]["mounts"]] == [f"{stack}_{v}" for v in volumes]
        assert service["placement"]["volumes"] == sorted(f"{stack}_{v}" for v in volumes)
        every_container += service["containers"]
    assert len(set(every_container)) == len(every_container) == sum(services.values())
