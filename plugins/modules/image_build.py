#!/usr/bin/python
# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_build
short_description: Build a Docker image from a build context once, tagged by a hash of its inputs
version_added: 0.1.0
description:
  - Builds an image from a directory through the engine's build API (the classic builder; no registry is
    needed) and tags it C(<name>:<hash>), where the hash covers everything the build depends on.
  - The hash is taken over every file of the context that the engine would receive (C(.dockerignore) applies,
    as for C(docker build)), by path, type, permission bits and content, and over O(dockerfile),
    O(build_args) and O(target). Modification times do not count.
  - Idempotent by that tag. When the engine already has C(<name>:<hash>), nothing is built and the task
    reports no change; an edited file, build argument or target gives a new hash, hence a build.
  - The full hash is also put on the image as the label C(flotilla.build.hash).
  - The context is read on the host that runs the module, not on the engine's host. When the module runs on
    the controller with O(docker_host) pointing at a remote engine, the context must be on the controller and
    is streamed to the engine.
  - To put the image on other engines, use M(flotilla.fleet.image_ship).
author:
  - Flotilla developers (@flotilla)
extends_documentation_fragment:
  - flotilla.fleet.docker
attributes:
  check_mode:
    support: full
    description: Hashes the context and reports whether a build would happen, without building.
  diff_mode:
    support: full
    description: Shows the image ID and tags of C(<name>:<hash>) before and after.
  idempotent:
    support: full
    description: A second run with an unchanged context changes nothing and builds nothing.
options:
  name:
    description:
      - Repository of the image, such as V(myapp/web), without a tag (the tag is the hash).
    type: str
    required: true
  context:
    description:
      - The build context, a directory on the host that runs the module.
    type: path
    required: true
  dockerfile:
    description:
      - Path of the Dockerfile, relative to O(context) and inside it.
    type: str
    default: Dockerfile
  build_args:
    description:
      - Build arguments (C(ARG) in the Dockerfile). Values are strings; they are part of the hash.
      - Build arguments stay in the image history, so they must never hold secrets.
    type: dict
  target:
    description:
      - The stage of a multi-stage Dockerfile to build.
    type: str
  tags:
    description:
      - Extra references to point at the built image, such as V(myapp/web:latest). Moving one is a change.
    type: list
    elements: str
notes:
  - Each API read waits at most O(timeout) seconds; a build step that prints nothing for longer needs a larger
    O(timeout).
  - The engine builds with its own network; on air-gapped hosts the Dockerfile must not download anything,
    and its C(FROM) images must already be on the engine.
seealso:
  - module: flotilla.fleet.image_ship
  - module: flotilla.fleet.image
"""

EXAMPLES = r"""
- name: Build the web image on the local engine (only when its context changed)
  flotilla.fleet.image_build:
    name: myapp/web
    context: "{{ playbook_dir }}/web"
    build_args:
      VERSION: "1.4"
    tags: [myapp/web:latest]
  register: web_image

- name: Ship it to every host that lacks it
  flotilla.fleet.image_ship:
    name: "{{ web_image.image.name }}"
"""

RETURN = r"""
image:
  description: The image built (or found).
  returned: always
  type: dict
  contains:
    name:
      description: The reference C(<name>:<hash>), for containers and M(flotilla.fleet.image_ship).
      type: str
      sample: myapp/web:3f2a9c0d1b7e4a55
    action:
      description: V(built), V(tagged) (only extra tags moved) or V(unchanged).
      type: str
      sample: built
    changed:
      description: Whether anything changed.
      type: bool
    id:
      description: The image ID; null in check mode before a build.
      type: str
      sample: sha256:0d5c6f3b2a...
    tags:
      description: Tags of the image after the task.
      type: list
      elements: str
    context_hash:
      description: The full sha256 of the build's inputs (its first 16 digits are the tag).
      type: str
"""

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetModule
from ansible_collections.flotilla.fleet.plugins.module_utils._image_build import (
    BUILD_SPEC, BuildConverger, BuildRequest)


def main():
    FleetModule(dict(BUILD_SPEC), supports_check_mode=True).converge(BuildRequest, BuildConverger, "image")


if __name__ == "__main__":
    main()
