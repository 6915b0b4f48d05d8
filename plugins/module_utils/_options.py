# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Option tables: each resource option declared once, with everything derived from it.

An :class:`Option` knows its Ansible type (so the argument_spec is generated), how to normalise
what the user wrote, what it means when the user did not write it (an image or engine default, or
"no opinion"), how to read it back from an inspect result, and how to apply it to a create call.
Comparison and diff come from that one declaration.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re


from ansible_collections.flotilla.fleet.plugins.module_utils import _fleet
from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._fleet import ContractError


class _NoOpinion:
    """The user left the option out and the engine's value is fine whatever it is."""

    def __repr__(self):
        return "NO_OPINION"


NO_OPINION = _NoOpinion()


def _identity(value, field):
    return value


def _nothing(context):
    return NO_OPINION


class _Reconnect:
    """Updated in place by connecting and disconnecting networks, not by the update body."""

    def __repr__(self):
        return "RECONNECT"


RECONNECT = _Reconnect()


class Option:
    """One option of a resource.

    normalize(value, field) -> canonical value (raises FleetError naming ``field``)
    unset(context) -> the canonical value an omitted option stands for, or NO_OPINION
    merge(value, context) -> what a given value amounts to once the engine adds its defaults (env over
        the image's env, say); identity by default
    check(value, context) -> None, or what is wrong with a value on this engine (more CPUs than it has)
    read(actual, context) -> canonical value from the engine's inspect result
    write(value, payload) -> adds the value to a create payload
    update(value, body) -> writes the value into an in-place update body (POST /containers/{id}/update);
        RECONNECT for options changed by (dis)connecting; None when a change needs a recreate. What
        changes in place stays out of the spec hash (the label cannot change with it), so it is always
        compared with what the engine reports.
    lifts_in_place: the update can also remove the option (value None); the update endpoint reads 0 as
        "keep", so most limits cannot be lifted without a recreate
    updated_with: the option whose value goes into the same field of the update body (both are written)
    show(value) -> the canonical value as the user writes it, for diffs (256m, not 268435456)
    compare: 'strict' (==), 'set' (order does not matter), 'subset' (what is actual may have more), or a
        function(desired, actual) -> bool for options with their own notion of "the same"
    """

    def __init__(self, name, type="str", elements=None, choices=None, aliases=None, no_log=None,
                 suboptions=None, normalize=_identity, unset=_nothing, read=None, write=None,
                 compare="strict", update=None, merge=None, check=None, show=None, lifts_in_place=False,
                 updated_with=None):
        self.name = name
        self.type = type
        self.elements = elements
        self.choices = choices
        self.aliases = aliases
        self.no_log = no_log
        self.suboptions = suboptions
        self.normalize = normalize
        self.unset = unset
        self.read = read
        self.write = write
        self.compare = compare
        self.update = update
        self.merge = merge
        self.check = check
        self.show = show
        self.lifts_in_place = lifts_in_place
        self.updated_with = updated_with

    @property
    def in_hash(self):
        return self.update is None

    def updates_in_place(self, value):
        """Whether the engine can take this value without a recreate."""
        return self.update is not None and (value is not None or self.lifts_in_place)

    def shown(self, value):
        if self.show is None or value is None or value is NO_OPINION:
            return value
        return self.show(value)

    def argument_spec(self):
        spec = {"type": self.type}
        for key in ("elements", "choices", "aliases", "no_log"):
            if getattr(self, key) is not None:
                spec[key] = getattr(self, key)
        if self.suboptions is not None:
            spec["options"] = self.suboptions
        return spec

    def equal(self, desired, actual):
        if desired is NO_OPINION:
            return True
        if callable(self.compare):
            return self.compare(desired, actual)
        if self.compare == "set":
            return _as_set(desired) == _as_set(actual)
        if self.compare == "subset":
            return all(actual.get(key) == value for key, value in desired.items()) if actual else not desired
        return desired == actual


def _as_set(values):
    return sorted(json.dumps(value, sort_keys=True) for value in (values or []))


class OptionTable:
    """The options of one resource kind, in declaration order."""

    def __init__(self, options, checked=None):
        self.options = list(options)
        self.by_name = {option.name: option for option in self.options}
        # The options whose values are checked against the engine: those of the whole resource, even
        # for a table of some of them (a request is refused whichever path it takes).
        self.checked = checked if checked is not None else [option for option in self.options if option.check]

    def subtable(self, keep):
        """The options for which keep(option) is true; requests are still checked against all options."""
        return OptionTable([option for option in self.options if keep(option)], self.checked)

    def argument_spec(self):
        return {option.name: option.argument_spec() for option in self.options}

    def normalize(self, params, prefix=""):
        """Canonical values of the options the user set (None = left out); errors name the field."""
        return {
            option.name: option.normalize(params[option.name], prefix + option.name)
            for option in self.options
            if params.get(option.name) is not None
        }

    def check(self, desired, context, prefix=""):
        """Refuse what this engine cannot take (``cpus`` above its CPU count): FleetError naming the field.

        Only the options the user set are checked, so an engine fact is only asked for when it matters.
        """
        for option in self.checked:
            if option.name in desired:
                problem = option.check(desired[option.name], context)
                if problem:
                    raise FleetError("%s%s: %s" % (prefix, option.name, problem))

    def effective(self, desired, context, prefix=""):
        """What the user asked for, with omitted options standing for their defaults.

        What it amounts to depends on the engine, so values the engine cannot take are refused here
        (see check), before anything is compared or changed.
        """
        self.check(desired, context, prefix)
        effective = {}
        for option in self.options:
            if option.name not in desired:
                effective[option.name] = option.unset(context)
            elif option.merge:
                effective[option.name] = option.merge(desired[option.name], context)
            else:
                effective[option.name] = desired[option.name]
        return effective

    def actual(self, inspected, context):
        return {option.name: option.read(inspected, context) for option in self.options if option.read}

    def differences(self, effective, actual):
        """Names of options whose actual value is not what the effective desired value says."""
        return [
            option.name
            for option in self.options
            if option.read and not option.equal(effective[option.name], actual.get(option.name))
        ]

    def diff(self, names, effective, actual):
        """Before and after of the options named, in the user's units (30s, 256m), not the engine's."""
        before = {name: self.by_name[name].shown(actual.get(name)) for name in names}
        after = {name: self.by_name[name].shown(effective[name]) for name in names}
        return {"before": before, "after": after}

    def show(self, values):
        """Canonical values as the user writes them (options the table does not hold are kept as they are)."""
        return {name: self.by_name[name].shown(value) if name in self.by_name else value
                for name, value in values.items()}

    def updates_in_place(self, changes):
        """Whether every change {name: effective value} can be made on the live container."""
        return all(self.by_name[name].updates_in_place(value) for name, value in changes.items())

    def update_body(self, changes, effective=None):
        """The POST /containers/{id}/update body for the changes {option name: effective value}.

        Options changed by reconnecting (RECONNECT) are left to the caller. An option written into the
        same body field as another (``updated_with``) brings the other's value along, from ``changes`` or
        else from ``effective`` (every option's effective value).
        """
        values = dict(effective or {}, **changes)
        names = set(changes)
        names.update(self.by_name[name].updated_with for name in changes if self.by_name[name].updated_with)
        body = {}
        for option in self.options:
            if option.name in names and callable(option.update) and option.name in values:
                option.update(values[option.name], body)
        return body

    def fingerprint(self, desired, extra=None):
        """A hash of what the user asked for; stored in a label so an unchanged spec is seen at once."""
        hashed = {name: value for name, value in desired.items() if self.by_name[name].in_hash}
        if extra:
            hashed.update(extra)
        return hashlib.sha256(json.dumps(hashed, sort_keys=True, default=str).encode()).hexdigest()


# --- normalisers shared by resource tables -------------------------------------------------------

def contract(parse, value, field, *args):
    """Run a fleet-contract grammar (``_fleet.parse_*``), its ContractError becoming a FleetError."""
    try:
        return parse(value, field, *args)
    except ContractError as error:
        raise FleetError(str(error))


def parse_size(value, field):
    """'512m', '1g', '1.5GiB', '512Mi', 1048576 -> bytes (powers of 1024, as Docker does)."""
    return contract(_fleet.parse_size, value, field)


_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)")
_DURATION_NS = {"ns": 1, "us": 1000, "ms": 10 ** 6, "s": 10 ** 9, "m": 60 * 10 ** 9, "h": 3600 * 10 ** 9}


def parse_duration(value, field):
    """'30s', '1m30s', '500ms' or a number of seconds -> nanoseconds, as the Engine API wants."""
    if isinstance(value, bool):
        raise FleetError("%s: expected a duration such as 30s or 1m30s, got %r" % (field, value))
    if isinstance(value, (int, float)):
        seconds = value
    else:
        text = str(value).strip()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            seconds = float(text)
        else:
            parts = _DURATION_RE.findall(text)
            if not parts or "".join(number + unit for number, unit in parts) != text:
                raise FleetError("%s: cannot parse %r as a duration (use e.g. 30s, 1m30s, 500ms)" % (field, value))
            return int(sum(float(number) * _DURATION_NS[unit] for number, unit in parts))
    if seconds < 0:
        raise FleetError("%s: must not be negative, got %r" % (field, value))
    return int(seconds * 10 ** 9)


def format_duration(nanoseconds):
    """Nanoseconds as the user writes them: 90000000000 -> '1m30s', 500000000 -> '500ms'."""
    if not nanoseconds:
        return "0s"
    text, rest = "", nanoseconds
    for unit in ("h", "m", "s", "ms", "us", "ns"):
        count, rest = divmod(rest, _DURATION_NS[unit])
        if count:
            text += "%d%s" % (count, unit)
    return text


def string_map(value, field):
    """A dict of strings; whole numbers are fine, but booleans and floats must be quoted: YAML turns
    yes into True and 1.10 into 1.1, and the value would not be what the user wrote."""
    if not isinstance(value, dict):
        raise FleetError("%s: expected a dictionary, got %r" % (field, value))
    result = {}
    for key, item in value.items():
        if isinstance(item, bool):
            raise FleetError("%s.%s: %r is a boolean; quote it ('%s') so the value is exact"
                             % (field, key, item, str(item).lower()))
        if isinstance(item, float):
            raise FleetError("%s.%s: %r is a float, which YAML may have altered (1.10 becomes 1.1); quote it "
                             "so the value is exact" % (field, key, item))
        if isinstance(item, (dict, list)):
            raise FleetError("%s.%s: expected a string, got a %s" % (field, key, type(item).__name__))
        result[str(key)] = "" if item is None else str(item)
    return result


def string_list(value, field):
    if not isinstance(value, list):
        raise FleetError("%s: expected a list, got %r" % (field, value))
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise FleetError("%s[%d]: expected a string, got %r" % (field, index, item))
    return list(value)


def named_entries(value, field, kind):
    """(field path, item) for each entry of a list keyed by 'name'; a name listed twice is an error."""
    names = set()
    for index, item in enumerate(value):
        where = "%s[%d]" % (field, index)
        if item["name"] in names:
            raise FleetError("%s.name: %s %s is listed twice" % (where, kind, item["name"]))
        names.add(item["name"])
        yield where, item


def parse_ipv4(value, field):
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise FleetError("%s: %r is not an IPv4 address" % (field, value))
