"""The container options fixed at creation beyond the core table (_container_extras): grammar, read-back."""

import pytest

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._container_options import CONTAINER_OPTIONS

from test_container_options import changes, engine_container, normalize

# What Docker 20.10 reports for a container created with none of these options.
ENGINE_DEFAULTS = {"Init": None, "ExtraHosts": None, "Dns": [], "DnsSearch": [], "DnsOptions": [], "Sysctls": None,
                   "Ulimits": None, "ShmSize": 67108864, "GroupAdd": None}
EVERY_OPTION = {
    "init": True, "extra_hosts": ["db.local:127.0.0.1", "v6.local:::1", "gw:host-gateway"],
    "dns": ["127.0.0.53"], "dns_search": ["example.internal"], "dns_opts": ["ndots:2"],
    "sysctls": {"net.core.somaxconn": 1024}, "ulimits": [{"name": "nproc", "soft": 64, "hard": None},
                                                         {"name": "nofile", "soft": 1024, "hard": 2048}],
    "shm_size": "128m", "group_add": ["audio", "100"], "tty": True, "domainname": "example.internal",
}
# The same, as the engine reports it back.
ENGINE_WITH_EVERY_OPTION = {
    "host": {"Init": True, "ExtraHosts": ["db.local:127.0.0.1", "gw:host-gateway", "v6.local:::1"],
             "Dns": ["127.0.0.53"], "DnsSearch": ["example.internal"], "DnsOptions": ["ndots:2"],
             "Sysctls": {"net.core.somaxconn": "1024"},
             "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 2048}, {"Name": "nproc", "Soft": 64, "Hard": 64}],
             "ShmSize": 128 * 1024 ** 2, "GroupAdd": ["100", "audio"]},
    "config": {"Tty": True, "Domainname": "example.internal"},
}


def test_omitted_options_have_no_opinion_on_engine_defaults():
    inspected = engine_container(host=ENGINE_DEFAULTS, config={"Tty": False, "Domainname": ""})
    assert changes({"image": "base"}, inspected) == ([], {"before": {}, "after": {}})
    # A daemon.json that sets init, DNS, default ulimits or a larger shm is not a change either.
    tuned = dict(ENGINE_DEFAULTS, Init=True, Dns=["127.0.0.1"], ShmSize=256 * 1024 ** 2,
                 Ulimits=[{"Name": "nofile", "Soft": 1, "Hard": 2}])
    assert changes({"image": "base"}, engine_container(host=tuned)) == ([], {"before": {}, "after": {}})


def test_every_option_reads_back_equal_to_what_was_asked():
    inspected = engine_container(host=ENGINE_WITH_EVERY_OPTION["host"], config=ENGINE_WITH_EVERY_OPTION["config"])
    assert changes(dict(EVERY_OPTION, image="base"), inspected) == ([], {"before": {}, "after": {}})


def test_ulimits_compare_only_the_names_asked_for():
    host = dict(ENGINE_WITH_EVERY_OPTION["host"], Ulimits=[{"Name": "nofile", "Soft": 1024, "Hard": 2048},
                                                           {"Name": "core", "Soft": 0, "Hard": 0}])
    assert changes({"image": "base", "ulimits": [{"name": "nofile", "soft": 1024, "hard": 2048}]},
                   engine_container(host=host))[0] == []
    names, diff = changes({"image": "base", "ulimits": [{"name": "nofile", "soft": 512, "hard": 2048}]},
                          engine_container(host=host))
    assert names == ["ulimits"]


def test_each_option_detects_a_change_and_shows_the_users_units():
    inspected = engine_container(host=ENGINE_WITH_EVERY_OPTION["host"], config=ENGINE_WITH_EVERY_OPTION["config"])
    changed = {"init": False, "extra_hosts": ["db.local:127.0.0.2"], "dns": ["127.0.0.54"],
               "dns_search": ["b.internal"],
               "dns_opts": ["ndots:3"], "sysctls": {"net.core.somaxconn": "2048"},
               "ulimits": [{"name": "nofile", "soft": 10, "hard": 20}], "shm_size": "256m", "group_add": ["video"],
               "tty": False, "domainname": "other.internal"}
    for name, value in changed.items():
        names, diff = changes({"image": "base", name: value}, inspected)
        assert names == [name], name
    assert changes({"image": "base", "shm_size": "256m"}, inspected)[1] == {
        "before": {"shm_size": "128m"}, "after": {"shm_size": "256m"}}


def test_normalised_values():
    ulimits = [{"name": "nproc", "soft": 5, "hard": None}, {"name": "core", "soft": -1, "hard": -1}]
    assert normalize(extra_hosts=["db:::0:1"], dns=["::1"], group_add=["b", "a", "b"], shm_size="1g",
                     sysctls={"kernel.msgmax": 65536}, ulimits=ulimits) == {
        "extra_hosts": ["db:::1"], "dns": ["::1"], "group_add": ["a", "b"], "shm_size": 1024 ** 3,
        "sysctls": {"kernel.msgmax": "65536"},
        "ulimits": [{"name": "core", "soft": -1, "hard": -1}, {"name": "nproc", "soft": 5, "hard": 5}]}


def test_every_extra_option_is_fixed_at_creation():
    for name in EVERY_OPTION:
        assert CONTAINER_OPTIONS.by_name[name].in_hash, name
    hashes = {CONTAINER_OPTIONS.fingerprint(normalize(**{name: value})) for name, value in EVERY_OPTION.items()}
    assert len(hashes) == len(EVERY_OPTION)


@pytest.mark.parametrize("params, message", [
    ({"extra_hosts": ["db.local"]}, "extra_hosts[0]: 'db.local' is not host:ip (such as db.local:127.0.0.1)"),
    ({"extra_hosts": ["ok:127.0.0.1", "-bad:127.0.0.1"]},
     "extra_hosts[1]: '-bad:127.0.0.1' is not host:ip (such as db.local:127.0.0.1)"),
    ({"extra_hosts": ["db:10.0.0.300"]}, "extra_hosts[0]: '10.0.0.300' is not an IP address (or host-gateway)"),
    ({"extra_hosts": "db:127.0.0.1"}, "extra_hosts: expected a list, got 'db:127.0.0.1'"),
    ({"dns": ["127.0.0.1", "dns.local"]}, "dns[1]: 'dns.local' is not an IP address"),
    ({"dns_search": ["bad domain"]}, "dns_search[0]: 'bad domain' is not a domain name"),
    ({"dns_opts": ["ndots 2"]}, "dns_opts[0]: 'ndots 2' is not a resolver option such as ndots:2"),
    ({"sysctls": {"net core": "1"}}, "sysctls: 'net core' is not a kernel parameter name such as net.core.somaxconn"),
    ({"sysctls": {"net.ipv4.ip_forward": True}},
     "sysctls.net.ipv4.ip_forward: True is a boolean; quote it ('true') so the value is exact"),
    ({"ulimits": [{"name": "files", "soft": 1, "hard": None}]},
     "ulimits[0].name: 'files' is not a ulimit (use one of core, cpu, data, fsize, locks, memlock, msgqueue, nice, "
     "nofile, nproc, rss, rtprio, rttime, sigpending, stack)"),
    ({"ulimits": [{"name": "nofile", "soft": 1, "hard": None}, {"name": "nofile", "soft": 2, "hard": None}]},
     "ulimits[1].name: ulimit nofile is listed twice"),
    ({"ulimits": [{"name": "nofile", "soft": 4096, "hard": 1024}]},
     "ulimits[0].soft: 4096 is above the hard limit 1024"),
    ({"ulimits": [{"name": "nofile", "soft": -2, "hard": 1}]},
     "ulimits[0]: limits are -1 (unlimited) or more, got soft -2, hard 1"),
    ({"shm_size": "0"}, "shm_size: must be a positive size such as 64m, got '0'"),
    ({"group_add": ["audio", ""]}, "group_add[1]: '' is not a group name or ID"),
    ({"domainname": "bad_domain."}, "domainname: 'bad_domain.' is not a domain name"),
])
def test_bad_inputs_name_the_field(params, message):
    with pytest.raises(FleetError) as error:
        normalize(**params)
    assert str(error.value) == message
