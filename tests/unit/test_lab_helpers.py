"""Unit tests for the pure helpers of tests/images/build.py and tests/lab/ (no Docker needed)."""

import importlib.util
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "lab"))

import _certs  # noqa: E402 - lab helpers live next to lab.py, not in a package
import _nodes  # noqa: E402
from _inventory import render_inventory  # noqa: E402


def _load_build_module():
    spec = importlib.util.spec_from_file_location("flotilla_image_build",
                                                  ROOT / "tests" / "images" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build_module()


def test_image_key_is_stable_and_ignores_package_order():
    recipe = dict(build.RECIPES["base"])
    shuffled = dict(recipe, packages=list(reversed(recipe["packages"])))
    assert build.image_key(recipe, "amd64", []) == build.image_key(shuffled, "amd64", [])


def test_image_key_changes_with_arch_packages_and_wheels():
    recipe = build.RECIPES["node"]
    key = build.image_key(recipe, "amd64", ["docker==7.1.0"])
    assert key != build.image_key(recipe, "arm64", ["docker==7.1.0"])
    assert key != build.image_key(recipe, "amd64", ["docker==7.2.0"])
    more = dict(recipe, packages=recipe["packages"] + ["curl"])
    assert key != build.image_key(more, "amd64", ["docker==7.1.0"])


def test_pinned_wheels_uses_installed_versions():
    (pin,) = build.pinned_wheels(["docker"])
    assert pin.startswith("docker==") and len(pin) > len("docker==")


def test_apt_mirror_reads_deb822_and_legacy_sources(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\n# comment http://ignored/debian\nURIs: http://mirror.example/debian\n"
        "Suites: bookworm\n\nTypes: deb\nURIs: http://mirror.example/debian-security\n")
    assert build.apt_mirror(tmp_path) == "http://mirror.example/debian"
    (tmp_path / "sources.list").write_text(
        "deb [arch=amd64 signed-by=/k.gpg] http://legacy.example/debian/ bookworm main\n")
    assert build.apt_mirror(tmp_path) == "http://legacy.example/debian/"


def test_apt_mirror_none_when_only_third_party_sources(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "other.list").write_text("deb https://pkgs.example/apt x main\n")
    assert build.apt_mirror(tmp_path) is None


def test_node_index_and_names():
    assert _nodes.node_index(_nodes.node_name(12)) == 12
    assert _nodes.node_index("flotilla-lab-x") is None
    assert _nodes.node_index("other") is None


def test_unknown_capability_parses_engine_error():
    message = 'invalid CapAdd: unknown capability: "CAP_BPF"'
    assert _nodes._unknown_capability(message) == "BPF"
    assert _nodes._unknown_capability("some other error") is None


def test_render_inventory_groups_hosts_with_tls_vars(tmp_path):
    paths = _certs.CertPaths(tmp_path)
    text = render_inventory([("flotilla-lab-1", "10.0.0.2"), ("flotilla-lab-2", "10.0.0.3")],
                            paths, 2376)
    lab = yaml.safe_load(text)["all"]["children"]["lab"]
    assert list(lab["hosts"]) == ["flotilla-lab-1", "flotilla-lab-2"]
    host = lab["hosts"]["flotilla-lab-2"]
    assert host["flotilla_docker_host"] == "tcp://10.0.0.3:2376"
    assert host["flotilla_lab_ip"] == "10.0.0.3"
    assert host["ansible_connection"] == "community.docker.docker"
    assert lab["vars"] == {"flotilla_ca_path": str(paths.ca_cert),
                           "flotilla_client_cert": str(paths.client_cert),
                           "flotilla_client_key": str(paths.client_key)}


def test_certs_are_reused_and_server_cert_names_the_ip(tmp_path):
    paths = _certs.CertPaths(tmp_path / "certs")
    assert _certs.ensure_ca_and_client(paths) is True
    assert _certs.ensure_ca_and_client(paths) is False
    _certs.issue_server_cert(paths, "flotilla-lab-1", "10.0.0.2")
    assert _certs.server_cert_matches(paths, "flotilla-lab-1", "10.0.0.2")
    assert not _certs.server_cert_matches(paths, "flotilla-lab-1", "10.0.0.9")
    assert not _certs.server_cert_matches(paths, "flotilla-lab-2", "10.0.0.2")
    assert oct(paths.client_key.stat().st_mode & 0o777) == "0o600"


def test_the_molecule_env_file_is_what_the_lab_capabilities_give():
    # Regenerate with: .venv/bin/python tests/lab/lab.py molecule-env
    assert (ROOT / _nodes.MOLECULE_ENV_FILE).read_text() == _nodes.render_molecule_env()
    assert set(_nodes.UNKNOWN_TO_ENGINE_20_10) < set(_nodes.CAPABILITIES)
    assert len(set(_nodes.CAPABILITIES)) == len(_nodes.CAPABILITIES)
    assert "SYS_RESOURCE" not in _nodes.CAPABILITIES  # fails on this kernel, as --privileged does


def test_every_molecule_node_gets_the_lab_capabilities_from_the_env_file():
    from molecule.interpolation import Interpolator, TemplateWithDefaults

    env = yaml.safe_load((ROOT / _nodes.MOLECULE_ENV_FILE).read_text())
    interpolator = Interpolator(TemplateWithDefaults, env)
    scenarios = sorted((ROOT / "molecule").glob("*/molecule.yml"))
    assert [path.parent.name for path in scenarios] == ["default", "fleet"]
    for path in scenarios:
        text = path.read_text()
        assert "${%s}" % _nodes.MOLECULE_CAPABILITIES_VAR in text
        platforms = yaml.safe_load(interpolator.interpolate(text, None))["platforms"]
        assert platforms and [platform["capabilities"] for platform in platforms] == \
            [_nodes.capabilities_for_engine_20_10()] * len(platforms), path
