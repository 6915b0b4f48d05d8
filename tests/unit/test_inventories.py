"""inventories/lab (committed part + the hosts.yml lab.py writes) and inventories/example parse as intended."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "lab"))

import _certs  # noqa: E402 - lab helpers live next to lab.py, not in a package
from _inventory import render_lab_hosts  # noqa: E402

INVENTORY_CLI = Path(sys.executable).with_name("ansible-inventory")


def inventory(path):
    listed = subprocess.run([str(INVENTORY_CLI), "-i", str(path), "--list"], check=True, capture_output=True,
                            text=True, env=dict(os.environ, ANSIBLE_INVENTORY_UNPARSED_WARNING="false"))
    return json.loads(listed.stdout)


def test_lab_hosts_hold_only_names_and_addresses():
    document = yaml.safe_load(render_lab_hosts([("flotilla-lab-1", "172.30.0.2")], 2376))
    assert document == {"all": {"children": {"lab": {"hosts": {"flotilla-lab-1": {
        "flotilla_docker_host": "tcp://172.30.0.2:2376", "flotilla_lab_ip": "172.30.0.2"}}}}}}


def test_lab_directory_with_generated_hosts(tmp_path):
    directory = tmp_path / "inventories" / "lab"
    shutil.copytree(ROOT / "inventories" / "lab", directory)
    (directory / "hosts.yml").write_text(render_lab_hosts([("flotilla-lab-1", "172.30.0.2"),
                                                           ("flotilla-lab-2", "172.30.0.3")], 2376))
    listed = inventory(directory)
    assert listed["flotilla_cluster"]["children"] == ["lab"]
    assert listed["lab"]["hosts"] == ["flotilla-lab-1", "flotilla-lab-2"]
    host = listed["_meta"]["hostvars"]["flotilla-lab-2"]
    assert host["flotilla_docker_host"] == "tcp://172.30.0.3:2376" and host["ansible_connection"] == "local"
    # Certificate paths are relative to the inventory and land on the files lab.py makes, in any checkout.
    certs = _certs.CertPaths(ROOT / ".build" / "lab" / "certs")
    for variable, expected in (("flotilla_ca_path", certs.ca_cert), ("flotilla_client_cert", certs.client_cert),
                               ("flotilla_client_key", certs.client_key)):
        relative = host[variable].replace("{{ inventory_dir }}", str(ROOT / "inventories" / "lab"))
        assert os.path.normpath(relative) == str(expected), variable


def test_lab_hosts_file_is_ignored_by_git():
    assert (ROOT / "inventories" / "lab" / ".gitignore").read_text().splitlines()[-1] == "hosts.yml"


def test_example_inventory_groups():
    listed = inventory(ROOT / "inventories" / "example")
    assert listed["flotilla_cluster"]["children"] == ["ssh_hosts", "tls_engines"]
    assert listed["flotilla_cluster_managers"]["hosts"] == ["app1.example.com"]
    tls = listed["_meta"]["hostvars"]["engine1.example.com"]
    assert tls["flotilla_docker_host"] == "tcp://{{ inventory_hostname }}:2376" and tls["ansible_connection"] == "local"
    assert listed["_meta"]["hostvars"]["app1.example.com"]["flotilla_docker_host"] == "unix:///var/run/docker.sock"
