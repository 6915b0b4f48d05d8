"""The option-table machinery and the shared normalisers (_options.py)."""

import pytest
from hypothesis import given, strategies as st

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._options import (
    NO_OPINION, RECONNECT, Option, OptionTable, format_duration, parse_duration, parse_size, string_list, string_map)


@pytest.mark.parametrize("value, expected", [
    (1048576, 1048576), ("512", 512), ("512b", 512), ("1k", 1024), ("64m", 64 * 1024 ** 2),
    ("64M", 64 * 1024 ** 2), ("1g", 1024 ** 3), ("1.5GiB", int(1.5 * 1024 ** 3)), ("2MB", 2 * 1024 ** 2),
    (" 3 m ", 3 * 1024 ** 2), ("1t", 1024 ** 4), (0, 0), ("512Mi", 512 * 1024 ** 2), ("1kb", 1024),
])
def test_parse_size(value, expected):
    assert parse_size(value, "memory") == expected


@pytest.mark.parametrize("value, message", [
    ("lots", "memory: cannot parse 'lots' as a size (use bytes or a number with k, m, g or t, e.g. 512m)"),
    ("1x", "memory: cannot parse '1x' as a size (use bytes or a number with k, m, g or t, e.g. 512m)"),
    ("-5m", "memory: cannot parse '-5m' as a size (use bytes or a number with k, m, g or t, e.g. 512m)"),
    (-5, "memory: must not be negative, got -5"),
    (True, "memory: expected a size such as 512m or 1g, got True"),
    (float("nan"), "memory: expected a size such as 512m or 1g, got nan"),
    ("99999999t", "memory: '99999999t' is more than the engine can hold (at most 8 EiB, 2^63-1 bytes)"),
])
def test_parse_size_errors_name_the_field(value, message):
    with pytest.raises(FleetError) as error:
        parse_size(value, "memory")
    assert str(error.value) == message


@given(st.integers(min_value=0, max_value=2 ** 30), st.sampled_from(["", "k", "m", "g"]))
def test_parse_size_units_are_powers_of_1024(number, unit):
    factor = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[unit]
    assert parse_size("%d%s" % (number, unit), "size") == number * factor


@pytest.mark.parametrize("value, expected", [
    ("30s", 30 * 10 ** 9), ("1m30s", 90 * 10 ** 9), ("500ms", 500 * 10 ** 6), ("1h", 3600 * 10 ** 9),
    ("2us", 2000), ("7ns", 7), (5, 5 * 10 ** 9), (0.5, 5 * 10 ** 8), ("10", 10 * 10 ** 9), ("1.5s", 15 * 10 ** 8),
])
def test_parse_duration(value, expected):
    assert parse_duration(value, "healthcheck.interval") == expected


@pytest.mark.parametrize("value, message", [
    ("5 parsecs", "healthcheck.interval: cannot parse '5 parsecs' as a duration (use e.g. 30s, 1m30s, 500ms)"),
    ("1m 30s", "healthcheck.interval: cannot parse '1m 30s' as a duration (use e.g. 30s, 1m30s, 500ms)"),
    ("s", "healthcheck.interval: cannot parse 's' as a duration (use e.g. 30s, 1m30s, 500ms)"),
    (-1, "healthcheck.interval: must not be negative, got -1"),
    (False, "healthcheck.interval: expected a duration such as 30s or 1m30s, got False"),
])
def test_parse_duration_errors(value, message):
    with pytest.raises(FleetError) as error:
        parse_duration(value, "healthcheck.interval")
    assert str(error.value) == message


@given(st.integers(min_value=0, max_value=2 ** 40 - 1))
def test_format_size_reads_back_as_the_same_bytes(size):
    from ansible_collections.flotilla.fleet.plugins.module_utils._fleet import format_size
    assert parse_size(format_size(size), "size") == size


@pytest.mark.parametrize("nanoseconds, text", [
    (30 * 10 ** 9, "30s"), (90 * 10 ** 9, "1m30s"), (5 * 10 ** 8, "500ms"), (3600 * 10 ** 9, "1h"), (0, "0s"),
    (1500, "1us500ns"),
])
def test_format_duration_is_what_a_user_writes(nanoseconds, text):
    assert format_duration(nanoseconds) == text
    assert parse_duration(text, "d") == nanoseconds


def test_string_map_stringifies_whole_numbers_and_none():
    assert string_map({"A": 1, "C": None, "D": "x"}, "env") == {"A": "1", "C": "", "D": "x"}


@pytest.mark.parametrize("value, message", [
    ({"DEBUG": True}, "env.DEBUG: True is a boolean; quote it ('true') so the value is exact"),
    ({"DEBUG": False}, "env.DEBUG: False is a boolean; quote it ('false') so the value is exact"),
    ({"NESTED": {"a": 1}}, "env.NESTED: expected a string, got a dict"),
    ({"VERSION": 1.10}, "env.VERSION: 1.1 is a float, which YAML may have altered (1.10 becomes 1.1); quote it so "
                        "the value is exact"),
    (["A=1"], "env: expected a dictionary, got ['A=1']"),
])
def test_string_map_errors(value, message):
    with pytest.raises(FleetError) as error:
        string_map(value, "env")
    assert str(error.value) == message


def test_string_list():
    assert string_list(["a", "b"], "caps") == ["a", "b"]
    with pytest.raises(FleetError, match=r"^caps\[1\]: expected a string, got 3$"):
        string_list(["a", 3], "caps")
    with pytest.raises(FleetError, match=r"^caps: expected a list, got 'a'$"):
        string_list("a", "caps")


def test_option_compare_modes():
    assert Option("x").equal(NO_OPINION, "anything")
    assert Option("x").equal([1, 2], [1, 2]) and not Option("x").equal([1, 2], [2, 1])
    assert Option("x", compare="set").equal([{"a": 1}, {"b": 2}], [{"b": 2}, {"a": 1}])
    assert not Option("x", compare="set").equal([{"a": 1}], [{"a": 1}, {"b": 2}])
    subset = Option("x", compare="subset")
    assert subset.equal({"max-size": "5m"}, {"max-size": "5m", "max-file": "3"})
    assert not subset.equal({"max-size": "5m"}, {"max-size": "10m", "max-file": "3"})
    assert subset.equal({}, None) and not subset.equal({"a": "1"}, None)


def test_argument_spec_is_generated_from_the_table():
    table = OptionTable([Option("memory"), Option("caps", type="list", elements="str"),
                         Option("mode", choices=["a", "b"], aliases=["m"]), Option("secret", no_log=True),
                         Option("sub", type="dict", suboptions={"x": {"type": "int"}})])
    assert table.argument_spec() == {
        "memory": {"type": "str"}, "caps": {"type": "list", "elements": "str"},
        "mode": {"type": "str", "choices": ["a", "b"], "aliases": ["m"]}, "secret": {"type": "str", "no_log": True},
        "sub": {"type": "dict", "options": {"x": {"type": "int"}}},
    }


def _table():
    return OptionTable([
        Option("memory", normalize=parse_size, unset=lambda context: None,
               read=lambda inspected, context: inspected.get("Memory") or None,
               update=lambda value, body: body.update(Memory=value), show=lambda value: "%dm" % (value >> 20)),
        Option("user", unset=lambda context: context["user"], read=lambda inspected, context: inspected["User"]),
        Option("name_only", update=RECONNECT),
        Option("env", type="dict", normalize=string_map, unset=lambda context: {},
               merge=lambda value, context: dict(context["env"], **value),
               read=lambda inspected, context: inspected["Env"]),
    ])


def test_normalize_effective_differences_diff():
    table = _table()
    desired = table.normalize({"memory": "64m", "user": None, "env": {"A": 1}}, "containers[0].")
    assert desired == {"memory": 64 * 1024 ** 2, "env": {"A": "1"}}
    context = {"user": "nobody", "env": {"PATH": "/bin"}}
    effective = table.effective(desired, context)
    assert effective == {"memory": 64 * 1024 ** 2, "user": "nobody", "name_only": NO_OPINION,
                         "env": {"PATH": "/bin", "A": "1"}}
    actual = table.actual({"Memory": 0, "User": "root", "Env": {"PATH": "/bin", "A": "1"}}, context)
    assert actual == {"memory": None, "user": "root", "env": {"PATH": "/bin", "A": "1"}}
    changes = table.differences(effective, actual)
    assert changes == ["memory", "user"]
    # In the user's units: 64m, not 67108864.
    assert table.diff(changes, effective, actual) == {"before": {"memory": None, "user": "root"},
                                                      "after": {"memory": "64m", "user": "nobody"}}


def test_normalize_errors_carry_the_prefix():
    with pytest.raises(FleetError, match=r"^containers\[2\]\.memory: cannot parse"):
        _table().normalize({"memory": "lots"}, "containers[2].")


@given(st.dictionaries(st.sampled_from(["memory", "user", "name_only", "env"]), st.text(max_size=8)))
def test_fingerprint_ignores_key_order_and_options_kept_out_of_it(values):
    table = _table()
    reordered = dict(reversed(list(values.items())))
    assert table.fingerprint(values) == table.fingerprint(reordered)
    with_unhashed = dict(values, name_only="changes nothing")
    assert table.fingerprint(with_unhashed) == table.fingerprint({k: v for k, v in values.items() if k != "name_only"})


def test_fingerprint_changes_with_any_hashed_value():
    table = _table()
    assert table.fingerprint({"user": "a"}) != table.fingerprint({"user": "b"})
    assert table.fingerprint({"user": "a"}) != table.fingerprint({"user": "a", "env": {"A": "1"}})
    assert table.fingerprint({"user": "a"}) == table.fingerprint({"user": "a", "memory": 1})  # changes in place
    assert table.fingerprint({"user": "a"}, extra={"x": 1}) != table.fingerprint({"user": "a"})


def test_named_entries_yield_field_paths_and_refuse_a_name_twice():
    from ansible_collections.flotilla.fleet.plugins.module_utils._options import named_entries
    entries = [{"name": "a"}, {"name": "b"}]
    assert [pair[0] for pair in named_entries(entries, "networks", "network")] == ["networks[0]", "networks[1]"]
    with pytest.raises(FleetError, match=r"^networks\[1\]\.name: network a is listed twice$"):
        list(named_entries([{"name": "a"}, {"name": "a"}], "networks", "network"))


def test_parse_ipv4_names_the_field():
    from ansible_collections.flotilla.fleet.plugins.module_utils._options import parse_ipv4
    assert parse_ipv4("10.0.0.7", "x") == "10.0.0.7"
    with pytest.raises(FleetError, match=r"^connected\[0\]\.ipv4_address: '10\.0\.0' is not an IPv4 address$"):
        parse_ipv4("10.0.0", "connected[0].ipv4_address")


def test_in_hash_follows_from_the_update():
    table = _table()
    assert [option.name for option in table.options if option.in_hash] == ["user", "env"]


def _restart_table():
    def write_field(key):
        return lambda value, body: body.setdefault("RestartPolicy", {}).update({key: value})
    return OptionTable([
        Option("networks", update=RECONNECT),
        Option("policy", update=write_field("Name"), updated_with="retries"),
        Option("retries", update=write_field("MaximumRetryCount"), updated_with="policy"),
        Option("limit", update=lambda value, body: body.update(Limit=-1 if value is None else value),
               lifts_in_place=True),
        Option("memory", update=lambda value, body: body.update(Memory=value)),
        Option("image"),
    ])


def test_update_body_writes_each_change_and_skips_reconnects():
    table = _restart_table()
    assert table.update_body({"memory": 5, "networks": ["n"]}) == {"Memory": 5}
    assert table.update_body({}) == {}
    # One body field for two options: a change of one sends both (an empty Name would mean "keep").
    assert table.update_body({"retries": 3}, {"policy": "on-failure", "retries": 0, "memory": 9}) == {
        "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}}
    assert table.update_body({"limit": None}) == {"Limit": -1}


def test_what_can_change_in_place():
    table = _restart_table()
    assert table.updates_in_place({"memory": 5, "networks": [], "limit": None})
    assert not table.updates_in_place({"memory": None})  # the endpoint reads 0 as "keep"
    assert not table.updates_in_place({"image": "x"})


def test_checks_against_the_engine_name_the_field_and_cover_subtables():
    table = OptionTable([
        Option("cpus", update=lambda value, body: None,
               check=lambda value, context: "more than %d" % context["ncpu"] if value > context["ncpu"] else None),
        Option("image"),
    ])
    assert table.effective({"cpus": 2}, {"ncpu": 2}) == {"cpus": 2, "image": NO_OPINION}
    with pytest.raises(FleetError, match=r"^containers\[1\]\.cpus: more than 2$"):
        table.check({"cpus": 3}, {"ncpu": 2}, "containers[1].")
    images_only = table.subtable(lambda option: option.name == "image")
    assert [option.name for option in images_only.options] == ["image"]
    with pytest.raises(FleetError, match=r"^cpus: more than 2$"):
        images_only.effective({"cpus": 3}, {"ncpu": 2})
    images_only.effective({"image": "x"}, None)  # nothing to check: the context is not even looked at


def test_show_leaves_unknown_names_alone():
    assert _table().show({"memory": 64 << 20, "state": "started"}) == {"memory": "64m", "state": "started"}
