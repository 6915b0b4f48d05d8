#!/usr/bin/python
# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_ship
short_description: Copy an image from one Docker engine to another that lacks it, streamed through the controller
version_added: 0.1.0
description:
  - Makes the engine of the task (the target) have the image O(name) of the O(source) engine, without a
    registry. When the target lacks the image (by image ID), C(docker save) on the source is streamed, chunk by
    chunk, into C(docker load) on the target; the controller holds one chunk (1 MiB) at a time and writes no
    file.
  - Runs on the controller (an action plugin) and reaches both engines from there. The target is given by the
    usual connection options, on the task or through C(module_defaults) for C(group/flotilla.fleet.docker),
    so with one task on many hosts each host's engine is a target and the hosts are served in parallel
    (up to C(forks) at a time; each reads its own C(docker save) from the source).
  - Idempotent by image ID. A target that has the image receives nothing and reports no change; when only the
    tag O(name) is missing or points at another image, it is moved (V(tagged)), still without a transfer.
author:
  - Flotilla developers (@flotilla)
extends_documentation_fragment:
  - flotilla.fleet.docker
attributes:
  check_mode:
    support: full
    description: Reports which targets would receive the image; nothing is transferred.
  diff_mode:
    support: full
    description: Shows the target's image ID and tags before and after.
  idempotent:
    support: full
    description: A second run changes nothing and transfers nothing.
  action:
    support: full
    description: Runs on the controller; no module is sent to the host.
options:
  name:
    description:
      - The image on the source engine, as a reference such as V(myapp/web:3f2a9c0d1b7e4a55) (the tag is
        loaded with it) or an image ID V(sha256:<64 hex digits>) (loaded untagged).
    type: str
    required: true
  source:
    description:
      - How to reach the engine that has the image, with the same keys as the connection options of the
        target (O(docker_host), O(tls), O(validate_certs), O(ca_path), O(client_cert), O(client_key),
        O(api_version), O(timeout); no aliases). Left empty, the controller's E(DOCKER_HOST) or local socket.
    type: dict
    default: {}
    suboptions:
      docker_host:
        description: The source engine, as C(unix://PATH), C(tcp://HOST:PORT) or C(ssh://USER@HOST).
        type: str
      tls:
        description: Use TLS (default V(true) for C(tcp://)).
        type: bool
      validate_certs:
        description: Verify the source engine's certificate.
        type: bool
      ca_path:
        description: CA certificate of the source engine, on the controller.
        type: path
      client_cert:
        description: Client certificate for the source engine, on the controller.
        type: path
      client_key:
        description: Private key of O(source.client_cert).
        type: path
      api_version:
        description: API version, or V(auto).
        type: str
        default: auto
      timeout:
        description: Seconds to wait for each API call.
        type: int
notes:
  - The connection options, certificate paths included, are read on the controller, for both engines.
  - The target engine's E(DOCKER_*) defaults are the controller's environment, not the host's.
seealso:
  - module: flotilla.fleet.image_build
  - module: flotilla.fleet.image
"""

EXAMPLES = r"""
# In a play over the hosts that need the image, each host's engine set through module_defaults
# (group/flotilla.fleet.docker: docker_host: "{{ flotilla_docker_host }}"):
- name: Ship the image built on the controller's engine to this host's engine when it lacks it
  flotilla.fleet.image_ship:
    name: myapp/web:3f2a9c0d1b7e4a55
    source:
      docker_host: unix:///var/run/docker.sock

- name: Ship from a remote builder over TLS
  flotilla.fleet.image_ship:
    name: "{{ web_image.image.name }}"
    source:
      docker_host: tcp://builder.example.com:2376
      ca_path: /etc/flotilla/certs/ca.pem
      client_cert: /etc/flotilla/certs/cert.pem
      client_key: /etc/flotilla/certs/key.pem
"""

RETURN = r"""
image:
  description: What the target has after the task.
  returned: success
  type: dict
  contains:
    name:
      description: The image reference (or ID) shipped.
      type: str
    id:
      description: The image ID.
      type: str
      sample: sha256:0d5c6f3b2a...
    action:
      description: V(shipped), V(tagged) (the image was there, the tag was not) or V(unchanged).
      type: str
      sample: shipped
    changed:
      description: Whether anything changed.
      type: bool
    tags:
      description: Tags of the image on the target after the task.
      type: list
      elements: str
    bytes:
      description: Bytes streamed from the source to the target (0 when nothing was sent).
      type: int
    seconds:
      description: Seconds the transfer took (0 when nothing was sent).
      type: float
    source:
      description: The source engine.
      type: str
    target:
      description: The target engine.
      type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.flotilla.fleet.plugins.module_utils._image_ship import (
    SHIP_REQUIRED_TOGETHER, ship_argument_spec)


def main():
    # The action plugin of the same name does the work on the controller; this runs only if it is bypassed.
    module = AnsibleModule(ship_argument_spec(), required_together=SHIP_REQUIRED_TOGETHER, supports_check_mode=True)
    module.fail_json(msg="flotilla.fleet.image_ship runs on the controller (an action plugin); it cannot run as a "
                         "module on the host")


if __name__ == "__main__":
    main()
