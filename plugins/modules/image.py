#!/usr/bin/python
# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image
short_description: Make a Docker image present on an engine (pull, load an archive, tag) or remove it
version_added: 0.1.0
description:
  - Pulls an image from a registry, loads it from a C(docker save) archive (for air-gapped hosts), points
    extra tags at it, or removes it.
  - Idempotent by image ID. Before loading, the ID of every image in the archive is computed from the
    archive's C(manifest.json) and config blobs (an image ID is the sha256 of its config); when the engine
    already has those images, nothing is sent and the task reports no change.
  - All input, the archive included, is checked before the engine is changed.
author:
  - Flotilla developers (@flotilla)
extends_documentation_fragment:
  - flotilla.fleet.docker
attributes:
  check_mode:
    support: full
    description: Reports what would change without changing anything. With O(source=pull) and
      O(pull_policy=always), a pull is always reported as a change, since only the registry knows.
  diff_mode:
    support: full
    description: Shows the image ID and tags that O(name) refers to before and after.
  idempotent:
    support: full
    description: A second run with the same options changes nothing (with O(pull_policy=always), only a new
      image in the registry is a change).
options:
  name:
    description:
      - The image reference, such as V(repo/name:tag), V(registry.example.com:5000/name:tag) or
        V(repo/name@sha256:<digest>). Without a tag, V(latest) is meant.
      - With O(state=absent) or O(source=local) it may also be an image ID, V(sha256:<64 hex digits>).
      - With O(source=load) it names the archive image to return and is tagged on it when the archive does not
        carry that tag (the archive must then hold a single image).
    type: str
    required: true
  state:
    description:
      - V(present) makes sure the engine has the image; V(absent) removes the reference O(name).
      - Removing one of several tags of an image only removes that tag; removing the last tag or the ID removes
        the image.
    type: str
    choices: [present, absent]
    default: present
  source:
    description:
      - Where the image comes from when the engine lacks it.
      - V(pull) pulls it from its registry (with O(username) and O(password) when given).
      - V(load) loads the archive O(load_path).
      - V(local) expects the engine to have it already (useful to add O(tags)).
    type: str
    choices: [pull, load, local]
    default: pull
  pull_policy:
    description:
      - V(missing) pulls only when the engine does not have O(name); V(always) pulls every time and reports a
        change when O(name) then refers to a different image.
    type: str
    choices: [missing, always]
    default: missing
  load_path:
    description:
      - Path of a C(docker save) archive (plain, gzip, bzip2 or xz) for O(source=load).
      - The archive is read on the host that runs the module, not on the engine's host. When the module runs on
        the controller with O(docker_host) pointing at a remote engine, the archive must be on the controller;
        it is streamed to the engine only when the engine lacks one of its images.
    type: path
  tags:
    description:
      - More references, such as V(repo/name:v1), to point at the image. A tag that points at another image is
        moved.
      - Each must be a string; a number such as V(5) is refused rather than read as V(5:latest).
    type: list
    elements: raw
  username:
    description: Registry user name for O(source=pull). Give O(password) with it.
    type: str
  password:
    description:
      - Registry password or token for O(source=pull). It is never logged or returned.
      - Without O(username) and O(password), the credentials in C(~/.docker/config.json) of the user running
        the module apply.
    type: str
  force:
    description: With O(state=absent), remove the image even when stopped containers use it or O(name) is an ID
      with several tags.
    type: bool
    default: false
notes:
  - Images are only ever pulled from the registry named in O(name); the module pulls nothing in check mode.
  - Loading a large archive over a slow link can take longer than the default O(timeout) of 60 seconds;
    raise it for such hosts.
seealso:
  - module: flotilla.fleet.container
"""

EXAMPLES = r"""
- name: Load an image saved with docker save on the controller into a remote engine (air-gapped host)
  flotilla.fleet.image:
    name: registry.example.com/shop/web:1.4.2
    source: load
    load_path: /srv/images/shop-web-1.4.2.tar
    docker_host: tcp://node1.example.com:2376
    ca_path: /etc/flotilla/ca.pem
    client_cert: /etc/flotilla/cert.pem
    client_key: /etc/flotilla/key.pem

- name: Pull by digest from a private registry
  flotilla.fleet.image:
    name: registry.example.com/shop/web@sha256:0f3e4c1b6d1f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293
    username: deploy
    password: "{{ vault_registry_password }}"

- name: Give the image a stable local tag
  flotilla.fleet.image:
    name: registry.example.com/shop/web:1.4.2
    source: local
    tags: [shop/web:current]

- name: Remove a tag (the image goes when its last tag does)
  flotilla.fleet.image:
    name: shop/web:current
    state: absent
"""

RETURN = r"""
image:
  description: The image O(name) refers to after the task.
  returned: always
  type: dict
  contains:
    name:
      description: O(name) in the engine's familiar form (V(busybox:latest) for V(docker.io/library/busybox)).
      type: str
      sample: shop/web:1.4.2
    action:
      description: What was done, one of V(pulled), V(loaded), V(tagged), V(removed) or V(unchanged).
      type: str
      sample: loaded
    changed:
      description: Whether anything changed.
      type: bool
    id:
      description: Image ID; null when the image is absent (or, in check mode, would be pulled).
      type: str
      sample: sha256:43e30ac408c5f0a4dbf6d54c44c4a0ba5d5c59f3e4b6d1a2b0c9f8e7d6c5b4a3
    tags:
      description: Every tag of the image, sorted.
      type: list
      elements: str
      sample: [shop/web:1.4.2, shop/web:current]
    digests:
      description: Registry digests of the image (empty for loaded images and in check mode).
      type: list
      elements: str
"""

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetModule
from ansible_collections.flotilla.fleet.plugins.module_utils._image import (
    ImageConverger, ImageRequest, image_argument_spec)


def main():
    FleetModule(image_argument_spec(), supports_check_mode=True).converge(ImageRequest, ImageConverger, "image")


if __name__ == "__main__":
    main()
