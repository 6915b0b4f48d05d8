"""Every hard filter, and the explanation of what it eliminated."""

from __future__ import annotations

from helpers import GIB, host, hosts_of, place, running, zoned_hosts


def unplaced_messages(result):
    return {u["name"]: u["message"] for u in result["unplaced"]}


def test_resources_fit_and_shortfalls_are_counted_per_resource():
    hosts = [host("small", cpus=1, memory="1g"), host("medium", cpus=4, memory="1g"), host("big", cpus=4, memory="16g")]
    result = place([{"name": "app", "replicas": 2, "cpus": 2, "memory": "4g"}], hosts)
    assert hosts_of(result, "app") == ["big", "big"]
    result = place([{"name": "app", "replicas": 3, "cpus": 2, "memory": "4g"}], hosts)
    assert unplaced_messages(result) == {"app-3": "2 hosts: insufficient cpus; 1 host: insufficient memory"}


def test_custom_countable_resources():
    hosts = [host("cpu-only"), host("gpu", resources={"gpu": 2})]
    result = place([{"name": "train", "replicas": 3, "resources": {"gpu": 1}}], hosts)
    assert hosts_of(result, "train") == ["gpu", "gpu", None]
    assert unplaced_messages(result) == {"train-3": "2 hosts: insufficient gpu"}
    assert result["hosts"]["gpu"][0]["resources"] == {"gpu": 1}


def test_label_constraints_filter_hosts():
    hosts = [host("a", labels={"disk": "ssd", "zone": "eu-1"}), host("b", labels={"disk": "hdd", "zone": "eu-1"}),
             host("c", labels={"disk": "ssd", "zone": "eu-2"})]
    result = place([{"name": "db", "replicas": 2, "constraints": ["disk == ssd", "zone != eu-2"]}], hosts)
    assert hosts_of(result, "db") == ["a", "a"]
    result = place([{"name": "db", "constraints": ["disk == nvme"]}], hosts)
    assert unplaced_messages(result) == {"db-1": "3 hosts: constraint disk == nvme"}


def test_hostname_is_an_implicit_label():
    result = place([{"name": "pinned", "replicas": 2, "constraints": ["hostname == h2"]}], [host("h1"), host("h2")])
    assert hosts_of(result, "pinned") == ["h2", "h2"]


def test_drained_paused_and_unreachable_hosts_take_no_new_replicas():
    hosts = [host("drained", availability="drain"), host("paused", availability="pause"),
             host("down", reachable=False), host("up", cpus=1)]
    result = place([{"name": "web", "replicas": 2, "cpus": 1}], hosts)
    assert hosts_of(result, "web") == ["up", None]
    assert unplaced_messages(result) == {
        "web-2": "1 host: host drained; 1 host: host paused; 1 host: host unreachable; 1 host: insufficient cpus"}


def test_unreachable_hosts_need_no_capacity():
    result = place([{"name": "web"}], [{"name": "down", "reachable": False}, host("up")])
    assert hosts_of(result, "web") == ["up"]


def test_max_per_host_and_distinct_hosts():
    hosts = [host("h1"), host("h2")]
    result = place([{"name": "web", "replicas": 5, "max_per_host": 2, "strategy": "binpack"}], hosts)
    assert sorted(hosts_of(result, "web")[:4]) == ["h1", "h1", "h2", "h2"]
    assert unplaced_messages(result) == {"web-5": "2 hosts: already runs 2 replica(s) (max_per_host)"}
    result = place([{"name": "db", "replicas": 3, "distinct_hosts": True}], hosts)
    assert hosts_of(result, "db")[2] is None


def test_host_ports_conflict_with_each_other_and_with_foreign_containers():
    hosts = [host("h1", containers=[{"name": "nginx", "ports": [80]}]), host("h2"), host("h3")]
    result = place([{"name": "web", "replicas": 3, "ports": [80, "443"]}], hosts)
    assert hosts_of(result, "web") == ["h2", "h3", None]
    assert unplaced_messages(result) == {"web-3": "3 hosts: host port 80/tcp in use"}
    udp = place([{"name": "web", "ports": [80]}, {"name": "dns", "ports": ["80/udp"]}], [host("only")])
    assert hosts_of(udp, "dns") == ["only"]


def test_local_volume_pins_the_replica_to_its_host():
    hosts = [host("h1"), host("h2", volumes=[{"name": "db-data", "driver": "local"}]),
             host("h3", volumes=[{"name": "shared", "driver": "nfs"}])]
    result = place([{"name": "db", "volumes": ["db-data"]}], hosts)
    assert hosts_of(result, "db") == ["h2"]
    result = place([{"name": "db", "volumes": ["db-data"], "memory": "10g"}], hosts)
    assert unplaced_messages(result) == {"db-1": "2 hosts: volume db-data is on another host; 1 host: insufficient memory"}


def test_a_new_local_volume_keeps_later_replicas_with_the_first():
    result = place([{"name": "db", "replicas": 2, "volumes": ["data"]}], zoned_hosts(3))
    assert len(set(hosts_of(result, "db"))) == 1


def test_per_replica_volumes():
    hosts = [host("h1", volumes=["data-2"]), host("h2", volumes=["data-1"]), host("h3")]
    result = place([{"name": "db", "replicas": 3, "volumes": ["data-{replica}"]}], hosts)
    assert hosts_of(result, "db")[:2] == ["h2", "h1"]
    assert result["hosts"]["h2"][0]["volumes"] == ["data-1"]


def test_a_volume_on_a_drained_host_leaves_its_replica_unplaced():
    hosts = [host("h1", volumes=["data"], availability="drain"), host("h2")]
    result = place([{"name": "db", "volumes": ["data"]}], hosts)
    assert unplaced_messages(result) == {"db-1": "1 host: host drained; 1 host: volume data is on another host"}


def test_required_affinity_and_anti_affinity():
    hosts = zoned_hosts(4)
    services = [{"name": "cache", "replicas": 2, "strategy": "binpack"},
                {"name": "app", "replicas": 2, "affinity": [{"service": "cache", "required": True}]},
                {"name": "batch", "replicas": 4, "anti_affinity": [{"service": "cache", "required": True}]}]
    result = place(services, hosts)
    cache_hosts = set(hosts_of(result, "cache"))
    assert set(hosts_of(result, "app")) <= cache_hosts
    placed_batch = [h for h in hosts_of(result, "batch") if h]
    assert placed_batch and not cache_hosts & set(placed_batch)
    assert result["unplaced"] == []


def test_required_anti_affinity_holds_both_ways():
    services = [{"name": "db-a", "anti_affinity": [{"service": "db-b", "required": True}]}, {"name": "db-b"}]
    result = place(services, [host("h1"), host("h2", cpus=1)])
    assert hosts_of(result, "db-a") != hosts_of(result, "db-b")
    result = place(services, [host("only")])
    assert unplaced_messages(result) == {"db-b-1": "1 host: runs db-a (anti-affinity)"}


def test_memory_from_facts_counts_foreign_containers():
    hosts = [host("h1", memory="4g", containers=[{"name": "other", "memory": 3 * GIB}]), host("h2", memory="1g")]
    result = place([{"name": "web", "memory": "2g"}], hosts)
    assert result["unplaced"][0]["message"] == "2 hosts: insufficient memory"


def test_exited_containers_hold_nothing():
    hosts = [host("h1", memory="4g", containers=[{"name": "old", "memory": 4 * GIB, "state": "exited"}])]
    assert hosts_of(place([{"name": "web", "memory": "2g"}], hosts), "web") == ["h1"]


def test_containers_of_another_project_are_not_ours():
    hosts = [host("h1", cpus=1, containers=[running("web", 1, project="other", cpus=1)]), host("h2")]
    result = place([{"name": "web", "cpus": 1, "project": "shop"}], hosts)
    assert hosts_of(result, "web") == ["h2"]
    assert result["moves"] == [{"action": "start", "service": "web", "replica": 1, "name": "shop-web-1",
                                "from": None, "to": "h2", "reason": "new replica"}]
