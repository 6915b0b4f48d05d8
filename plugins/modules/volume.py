#!/usr/bin/python
# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: volume
short_description: Converge one Docker volume without ever losing data by accident
version_added: 0.1.0
description:
  - Creates or removes one named volume, and checks that an existing one has the driver, driver options and
    labels given.
  - Docker cannot change a volume's driver, options or labels. When one differs, the task fails with the list
    of differing options, and the volume and its data are left alone. Only O(recreate=options-changed) (or
    V(always)) lets the module delete the volume and create it anew, B(which loses all the data in it).
  - A volume that any container uses, running or stopped, is never removed or recreated; the error names the
    containers. Remove them first (M(flotilla.fleet.container) with O(flotilla.fleet.container#module:state=absent)).
  - O(state=absent) removes a volume only when it is known to hold no data, unless O(force=true). See
    O(force) for how that is found out.
  - Options you leave out are not compared, except O(driver) (V(local) when left out).
author:
  - Flotilla developers (@flotilla)
extends_documentation_fragment:
  - flotilla.fleet.docker
attributes:
  check_mode:
    support: full
    description: Reports what would change, including every refusal, without changing anything.
  diff_mode:
    support: full
    description: Shows before and after of the options that differ.
  idempotent:
    support: partial
    description: A second run with the same options changes nothing, except with O(recreate=always).
options:
  name:
    description:
      - Volume name. Two or more letters, digits, C(_), C(.) and C(-), starting with a letter or a digit.
    type: str
    required: true
  state:
    description:
      - V(present) creates the volume when it does not exist, and checks it when it does.
      - V(absent) removes it. A volume used by any container (running or stopped) is not removed, whatever
        O(force) says; a volume that may hold data is removed only with O(force=true).
    type: str
    default: present
    choices: [present, absent]
  recreate:
    description:
      - V(never) fails with the list of differing options when the volume differs from the options given.
      - V(options-changed) deletes the volume and creates it with the options given when an option differs.
        B(All data in the volume is lost.) Data outside the engine (an NFS export mounted through driver
        options) is not touched.
      - V(always) deletes and creates the volume on every run, losing its data every time; not idempotent.
      - A volume in use by any container is never recreated; the task fails and names the containers. Before
        deleting anything, the module checks that the engine has the driver the new volume needs.
    type: str
    default: never
    choices: [never, options-changed, always]
  force:
    description:
      - With O(state=absent), remove the volume even when it may hold data.
      - Without it, the volume is removed only when it is known to hold no data. That is the case for a V(local)
        volume backed by a device (NFS export, bind source), whose data stays on the device, and for a V(local)
        volume whose mount point the module can read and finds empty. The module reads the mount point directly,
        so it can do that only when it runs on the Docker host itself (a C(unix://) O(docker_host)) with the
        rights to read C(/var/lib/docker/volumes) (use C(become)). Otherwise (a remote engine, another driver,
        no rights) the volume counts as holding data.
      - A volume in use by a container is not removed even with O(force=true).
      - Applies to O(state=absent) only.
    type: bool
    default: false
  driver:
    description:
      - Volume driver. Left out, V(local).
    type: str
  driver_options:
    description:
      - Options of the driver; values are strings. Left out, not compared; V({}) means none.
      - For the V(local) driver the keys are C(type), C(o), C(device) and C(size); C(type) and C(device) go
        together, and an C(nfs) or C(nfs4) volume needs C(addr=SERVER) in C(o). These are checked before
        anything changes; the mount itself happens when a container first uses the volume.
    type: dict
  labels:
    description:
      - Labels of the volume. Docker cannot change labels in place, so a change needs a recreate.
      - Left out, not compared; V({}) means no labels.
    type: dict
seealso:
  - module: flotilla.fleet.container
"""

EXAMPLES = r"""
- name: A local volume
  flotilla.fleet.volume:
    name: db-data
    labels:
      flotilla.project: shop

- name: A volume that mounts an NFS export when a container uses it
  flotilla.fleet.volume:
    name: media
    driver_options:
      type: nfs
      o: addr=192.0.2.10,rw,nfsvers=4
      device: ":/export/media"

- name: Change the options of a volume; ALL DATA IN IT IS LOST
  flotilla.fleet.volume:
    name: scratch
    driver_options:
      type: tmpfs
      device: tmpfs
      o: size=100m
    recreate: options-changed

- name: Remove a volume and whatever data is in it
  flotilla.fleet.volume:
    name: scratch
    state: absent
    force: true
"""

RETURN = r"""
volume:
  description: The volume after the task (in check mode, as it is now).
  returned: always
  type: dict
  contains:
    name:
      description: Volume name.
      type: str
      sample: db-data
    action:
      description: What was done, one of V(created), V(recreated), V(removed) or V(unchanged).
      type: str
      sample: created
    changed:
      description: Whether anything changed.
      type: bool
    driver:
      description: Volume driver.
      type: str
      returned: when the volume exists
      sample: local
    driver_options:
      description: Options of the driver.
      type: dict
      returned: when the volume exists
      sample: {"type": "nfs", "o": "addr=192.0.2.10,rw", "device": ":/export/media"}
    labels:
      description: Labels of the volume.
      type: dict
      returned: when the volume exists
    mountpoint:
      description: Where the volume is on the Docker host.
      type: str
      returned: when the volume exists
      sample: /var/lib/docker/volumes/db-data/_data
    scope:
      description: Scope of the volume, V(local) or V(global).
      type: str
      returned: when the volume exists
    created_at:
      description: When the volume was created.
      type: str
      returned: when the volume exists
    containers:
      description: Names of the containers that use the volume, running or stopped.
      type: list
      elements: str
      returned: when the volume exists
"""

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetModule
from ansible_collections.flotilla.fleet.plugins.module_utils._volume import (
    VolumeConverger, VolumeRequest, volume_argument_spec)


def main():
    FleetModule(volume_argument_spec(), supports_check_mode=True).converge(VolumeRequest, VolumeConverger, "volume")


if __name__ == "__main__":
    main()
