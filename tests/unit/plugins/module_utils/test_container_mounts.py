"""Mounts: canonical forms, engine read-back, and messages naming the field."""

import pytest

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._container_mounts import (
    normalize_mounts, read_mounts, show_mounts, write_mounts)


def mount(target, kind="volume", source="", read_only=False, **extra):
    return dict({"type": kind, "source": source, "target": target, "read_only": read_only}, **extra)


def test_mounts_normalised_written_and_read_back():
    mounts = normalize_mounts([
        {"type": "tmpfs", "target": "/scratch/", "tmpfs_size": "16m", "tmpfs_mode": "1770", "read_only": False},
        {"type": "volume", "source": "data", "target": "/data", "read_only": False},
        {"type": "bind", "source": "/srv/conf", "target": "/etc/app", "read_only": True},
        {"target": "/anon"},
    ], "mounts")
    assert mounts == [mount("/anon"), mount("/data", source="data"), mount("/etc/app", "bind", "/srv/conf", True),
                      mount("/scratch", "tmpfs", tmpfs_size=16 * 1024 ** 2, tmpfs_mode=0o1770)]
    payload = {"config": {}, "host": {}}
    write_mounts(mounts, payload)
    assert payload["host"]["mounts"][3] == {"Type": "tmpfs", "Source": None, "Target": "/scratch", "ReadOnly": False,
                                            "TmpfsOptions": {"SizeBytes": 16 * 1024 ** 2, "Mode": 0o1770}}
    engine = {"HostConfig": {"Mounts": [
        {"Type": "bind", "Source": "/srv/conf", "Target": "/etc/app", "ReadOnly": True},
        {"Type": "volume", "Source": "data", "Target": "/data"},
        {"Type": "tmpfs", "Target": "/scratch", "TmpfsOptions": {"SizeBytes": 16 * 1024 ** 2, "Mode": 1016}},
        {"Type": "volume", "Target": "/anon"},
    ]}}
    assert read_mounts(engine, None) == mounts


@pytest.mark.parametrize("mounts, message", [
    ([{"type": "volume", "source": "vol", "target": "data"}], "mounts[0].target: 'data' must be an absolute path"),
    ([{"type": "bind", "source": "tmp", "target": "/d"}],
     "mounts[0].source: a bind mount needs an absolute host path, got 'tmp'"),
    ([{"type": "bind", "target": "/d"}], "mounts[0].source: a bind mount needs an absolute host path, got None"),
    ([{"type": "volume", "source": "bad name", "target": "/d"}], "mounts[0].source: 'bad name' is not a valid volume name"),
    ([{"type": "tmpfs", "source": "vol", "target": "/d"}], "mounts[0].source: a tmpfs mount has no source"),
    ([{"type": "volume", "source": "vol", "target": "/d", "tmpfs_size": "1m"}],
     "mounts[0]: tmpfs_size and tmpfs_mode apply to type tmpfs only"),
    ([{"type": "tmpfs", "target": "/d", "tmpfs_mode": "rwx"}],
     "mounts[0].tmpfs_mode: 'rwx' is not an octal mode such as 1777"),
    ([{"type": "tmpfs", "target": "/d", "tmpfs_size": "big"}],
     "mounts[0].tmpfs_size: cannot parse 'big' as a size (use bytes or a number with k, m, g or t, e.g. 512m)"),
    ([{"source": "vol", "target": "/d"}, {"type": "tmpfs", "target": "/d/"}], "mounts[1].target: /d is mounted twice"),
])
def test_bad_mounts(mounts, message):
    with pytest.raises(FleetError) as error:
        normalize_mounts(mounts, "mounts")
    assert str(error.value) == message


def test_mount_target_root_is_refused():
    with pytest.raises(FleetError) as error:
        normalize_mounts([{"source": "vol", "target": "/"}], "mounts")
    assert str(error.value) == "mounts[0].target: '/' is the container's root filesystem; mount into a directory below it"
    with pytest.raises(FleetError, match=r"^mounts\[0\]\.target: '/\./' is the container's root filesystem"):
        normalize_mounts([{"type": "tmpfs", "target": "/./"}], "mounts")


def test_mounts_are_shown_in_the_users_units():
    mounts = normalize_mounts([{"type": "tmpfs", "target": "/t", "tmpfs_size": "16m", "tmpfs_mode": "1770"},
                               {"source": "data", "target": "/data"}], "mounts")
    assert show_mounts(mounts) == [mount("/data", source="data"),
                                   mount("/t", "tmpfs", tmpfs_size="16m", tmpfs_mode="1770")]
    assert mounts[1]["tmpfs_size"] == 16 * 1024 ** 2  # showing leaves the canonical value alone
