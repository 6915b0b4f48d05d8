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

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError


class _NoOpinion:
    """The user left the option out and the engine's value is fine whatever it is."""

    def __repr__(self):
        return "NO_OPINION"


NO_OPINION = _NoOpinion()


def _identity(value, field):
    return value


def _nothing(context):
    return NO_OPINION


class Option:
    """One option of a resource.

    normalize(value, field) -> canonical value (raises FleetError naming ``field``)
    unset(context) -> the canonical value an omitted option stands for, or NO_OPINION
    merge(value, context) -> what a given value amounts to once the engine adds its defaults (env over
        the image's env, say); identity by default
    read(actual, context) -> canonical value from the engine's inspect result
    write(value, payload) -> adds the value to a create payload
    compare: 'strict' (==), 'set' (order does not matter), 'subset' (what is actual may have more), or a
        function(desired, actual) -> bool for options with their own notion of "the same"
    update: the key for an in-place update call, or None when a change needs a recreate
    """

    def __init__(self, name, type="str", elements=None, choices=None, aliases=None, no_log=None,
                 suboptions=None, normalize=_identity, unset=_nothing, read=None, write=None,
                 compare="strict", update=None, in_hash=True, merge=None):
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
        self.in_hash = in_hash
        self.merge = merge

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

    def __init__(self, options):
        self.options = list(options)
        self.by_name = {option.name: option for option in self.options}

    def argument_spec(self):
        return {option.name: option.argument_spec() for option in self.options}

    def normalize(self, params, prefix=""):
        """Canonical values of the options the user set (None = left out); errors name the field."""
        return {
            option.name: option.normalize(params[option.name], prefix + option.name)
            for option in self.options
            if params.get(option.name) is not None
        }

    def effective(self, desired, context):
        """What the user asked for, with omitted options standing for their defaults."""
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
        before = {name: actual.get(name) for name in names}
        after = {name: effective[name] for name in names}
        return {"before": before, "after": after}

    def fingerprint(self, desired, extra=None):
        """A hash of what the user asked for; stored in a label so an unchanged spec is seen at once."""
        hashed = {name: value for name, value in desired.items() if self.by_name[name].in_hash}
        if extra:
            hashed.update(extra)
        return hashlib.sha256(json.dumps(hashed, sort_keys=True, default=str).encode()).hexdigest()


# --- normalisers shared by resource tables -------------------------------------------------------

_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)


def parse_size(value, field):
    """'512m', '1g', '1.5GiB', 1048576 -> bytes (powers of 1024, as Docker does)."""
    if isinstance(value, bool):
        raise FleetError("%s: expected a size such as 512m or 1g, got %r" % (field, value))
    if isinstance(value, int):
        number, unit = value, ""
    else:
        match = _SIZE_RE.match(str(value))
        if not match:
            raise FleetError("%s: cannot parse %r as a size (use bytes or a number with k, m, g or t, e.g. 512m)"
                             % (field, value))
        number, unit = float(match.group(1)), match.group(2).lower()
    size = int(number * _SIZE_UNITS[unit])
    if size < 0:
        raise FleetError("%s: must not be negative, got %r" % (field, value))
    return size


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


def string_map(value, field):
    """A dict of strings; numbers are fine, but booleans must be quoted to avoid yes/True surprises."""
    if not isinstance(value, dict):
        raise FleetError("%s: expected a dictionary, got %r" % (field, value))
    result = {}
    for key, item in value.items():
        if isinstance(item, bool):
            raise FleetError("%s.%s: %r is a boolean; quote it ('%s') so the value is exact"
                             % (field, key, item, str(item).lower()))
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
