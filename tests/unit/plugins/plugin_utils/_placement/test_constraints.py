from __future__ import annotations

import pytest

from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._constraints import (
    check_satisfiable, parse_constraint)
from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._errors import PlacementError

OPS_HELP = "(use ==, !=, in, not in, exists, not exists, regex, <, <=, >, >=)"
LABELS = {"zone": "eu-1", "disk": "ssd", "kernel": "5.10.2", "hostname": "web-12", "gpu": "true"}


@pytest.mark.parametrize("text, matches", [
    ("zone == eu-1", True), ("zone==eu-1", True), ("zone == eu-2", False), ("missing == x", False),
    ("zone != eu-2", True), ("zone != eu-1", False), ("missing != x", True),
    ("zone in eu-1,eu-2", True), ("zone in eu-2, eu-3", False), ("missing in a", False),
    ("zone not in eu-2,eu-3", True), ("zone not in eu-1", False), ("missing not in a", True),
    ("gpu exists", True), ("missing exists", False), ("gpu not exists", False), ("missing not exists", True),
    (r"hostname regex web-\d+", True), ("hostname regex web", False), ("missing regex .*", False),
    ("kernel >= 5.10", True), ("kernel > 5.9", True), ("kernel < 5.9", False), ("kernel <= 5.10.2", True),
    ("kernel > 5.10.10", False), ("zone >= 1", False), ("missing >= 1", False),
])
def test_every_operator(text, matches):
    assert parse_constraint(text, "c").matches(LABELS) is matches


def test_versions_compare_numerically_not_as_text():
    assert parse_constraint("v >= 1.10", "c").matches({"v": "1.10"})
    assert not parse_constraint("v >= 1.10", "c").matches({"v": "1.9"})
    assert parse_constraint("v > 1.9", "c").matches({"v": "v1.10.0"})


def test_mapping_form_is_equivalent():
    constraint = parse_constraint({"label": "zone", "op": "in", "value": ["eu-1", "eu-3"]}, "c")
    assert constraint == parse_constraint("zone in eu-1,eu-3", "c")
    assert constraint.text == "zone in eu-1,eu-3"
    assert parse_constraint({"label": "ssd", "value": True}, "c").matches({"ssd": "true"})


@pytest.mark.parametrize("raw, message", [
    ("zone ~= eu-1", f"unknown operator '~=' in 'zone ~= eu-1' {OPS_HELP}"),
    ("zone = eu-1", f"unknown operator '=' in 'zone = eu-1' (did you mean '=='?) {OPS_HELP}"),
    ("zone", f"missing operator in 'zone' {OPS_HELP}"),
    ("", "cannot parse constraint '' (write '<label> <operator> <value>')"),
    ("zone ==", "'==' needs a value in 'zone =='"),
    ("zone in", "'in' needs a value in 'zone in'"),
    ("gpu exists yes", "'exists' takes no value in 'gpu exists yes'"),
    ("zone regex (", "invalid regex '(': missing ), unterminated subpattern at position 0"),
    ("kernel >= new", "'>=' needs a version like 1.2.3, got 'new'"),
    ({"label": "zone", "op": "like", "value": "x"}, f"unknown operator 'like' {OPS_HELP}"),
    ({"label": "zone", "op": "==", "value": ["a", "b"]}, "'==' takes one value, got 2 in 'zone == a,b'"),
    ({"label": "zone", "operator": "=="}, "unknown key 'operator' (use label, op, value)"),
])
def test_bad_constraints_say_what_is_wrong(raw, message):
    with pytest.raises(PlacementError) as error:
        parse_constraint(raw, "services[0].constraints[1]")
    path = "services[0].constraints[1].op" if isinstance(raw, dict) and raw.get("op") == "like" else "services[0].constraints[1]"
    assert str(error.value) == f"{path}: {message}"


@pytest.mark.parametrize("texts", [
    ["zone == a", "zone == b"], ["zone in a,b", "zone not in a,b"], ["zone == a", "zone != a"],
    ["gpu exists", "gpu not exists"], ["zone in a", "zone not exists"],
])
def test_constraints_that_can_never_hold_together_are_rejected(texts):
    constraints = tuple(parse_constraint(t, "c") for t in texts)
    with pytest.raises(PlacementError) as error:
        check_satisfiable(constraints, "services[3].constraints")
    quoted = " and ".join(repr(c.text) for c in constraints)
    label = constraints[0].label
    assert str(error.value) == f"services[3].constraints: no host can satisfy {quoted} at once (label {label!r})"


def test_compatible_constraints_pass():
    check_satisfiable(tuple(parse_constraint(t, "c") for t in ["zone in a,b", "zone != a", "disk exists"]), "x")


@pytest.mark.parametrize("raw", [
    {"label": "zone", "op": "in", "value": "eu-1,eu-3"}, {"label": "zone", "op": "in", "value": "eu-1, eu-3"},
    {"label": "zone", "op": "in", "value": ["eu-1", "eu-3"]}, "zone in eu-1,eu-3", "zone in [eu-1, eu-3]",
])
def test_in_takes_a_list_or_a_comma_string_in_both_forms(raw):
    """Issue 9 defect 7: the mapping form with "a,b" matched nothing."""
    constraint = parse_constraint(raw, "c")
    assert constraint.values == ("eu-1", "eu-3") and constraint.matches(LABELS)
    negated = parse_constraint({**raw, "op": "not in"} if isinstance(raw, dict) else raw.replace(" in ", " not in "), "c")
    assert negated.values == ("eu-1", "eu-3") and not negated.matches(LABELS)


@pytest.mark.parametrize("text, version, matches", [
    ("v >= 6.1.0", "6.1", True), ("v <= 6.1", "6.1.0", True), ("v > 6.1", "6.1.0", False),
    ("v < 6.1.0", "6.1", False), ("v >= 6.1.0.0", "v6.1", True), ("v > 6.1", "6.1.1", True), ("v >= 6.0", "6", True),
])
def test_trailing_zeros_compare_equal(text, version, matches):
    """Issue 9 defect 9: 6.1 >= 6.1.0 was false."""
    assert parse_constraint(text, "c").matches({"v": version}) is matches
