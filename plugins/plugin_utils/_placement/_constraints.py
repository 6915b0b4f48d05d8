"""Label expressions used by constraints (hard) and preferences (soft).

Text form ``"<label> <operator> <value>"``, e.g. ``zone == eu-1``, ``disk in ssd,nvme``,
``gpu exists``, ``hostname regex web-\\d+``, ``kernel >= 5.10``; or the mapping form
``{label: zone, op: in, value: [eu-1, eu-2]}``. A missing label never matches a positive
operator and always matches a negative one (``!=``, ``not in``, ``not exists``), as in Swarm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ._errors import PlacementError, require_dict, require_str

OPERATORS = ("==", "!=", "in", "not in", "exists", "not exists", "regex", "<", "<=", ">", ">=")
_OPERATOR_HELP = "use " + ", ".join(OPERATORS)
_VERSION_OPS = {"<": lambda c: c < 0, "<=": lambda c: c <= 0, ">": lambda c: c > 0, ">=": lambda c: c >= 0}
_LABEL_RE = re.compile(r"^\s*([A-Za-z0-9_][A-Za-z0-9_.\-/]*)\s*(.*?)\s*$", re.DOTALL)
# Symbols first, then words, longest first so that "not in" is not read as "not".
_TEXT_OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "not exists", "not in", "exists", "in", "regex")
_SYMBOL_RE = re.compile(r"[<>=!~]+")
_VERSION_RE = re.compile(r"^v?\d+([.\-+_][0-9A-Za-z]+)*$")


@dataclass(frozen=True, slots=True)
class Constraint:
    label: str
    op: str
    values: tuple[str, ...]

    @property
    def text(self) -> str:
        if self.op in ("exists", "not exists"):
            return f"{self.label} {self.op}"
        return f"{self.label} {self.op} {','.join(self.values)}"

    def matches(self, labels: dict[str, str]) -> bool:
        value = labels.get(self.label)
        op = self.op
        if op == "==":
            return value == self.values[0]
        if op == "!=":
            return value != self.values[0]
        if op == "in":
            return value in self.values
        if op == "not in":
            return value not in self.values
        if op == "exists":
            return value is not None
        if op == "not exists":
            return value is None
        if value is None:
            return False
        if op == "regex":
            return _compiled(self.values[0]).fullmatch(value) is not None
        if not _VERSION_RE.match(value):
            return False
        return _VERSION_OPS[op](_compare_versions(value, self.values[0]))


def label_text(value: object) -> str:
    """Label values are compared as text; YAML booleans become ``true``/``false``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_constraint(raw: object, path: str) -> Constraint:
    if isinstance(raw, str):
        label, op, value_text = _split_text(raw, path)
        if op in ("in", "not in"):
            value_text = value_text[1:-1] if value_text.startswith("[") and value_text.endswith("]") else value_text
            values = [v.strip() for v in value_text.split(",")]
        else:
            values = [value_text]
    else:
        raw = require_dict(raw, path)
        unknown = sorted(set(raw) - {"label", "op", "value"})
        if unknown:
            raise PlacementError(path, f"unknown key {unknown[0]!r} (use label, op, value)")
        label = require_str(raw.get("label"), f"{path}.label")
        op = raw.get("op", "==")
        if op not in OPERATORS:
            raise PlacementError(f"{path}.op", f"unknown operator {op!r} ({_OPERATOR_HELP})")
        value = raw.get("value", "")
        values = [label_text(v) for v in value] if isinstance(value, (list, tuple)) else [label_text(value)]
        if op in ("in", "not in"):  # a comma string means the same as in the text form
            values = [part.strip() for v in values for part in v.split(",")]
        value_text = ",".join(values)
    shown = raw if isinstance(raw, str) else f"{label} {op} {value_text}".strip()
    if op in ("exists", "not exists"):
        if value_text.strip():
            raise PlacementError(path, f"{op!r} takes no value in {shown!r}")
        return Constraint(label, op, ())
    values = [v for v in values if v]
    if not values:
        raise PlacementError(path, f"{op!r} needs a value in {shown!r}")
    if op in ("==", "!=", "regex") or op in _VERSION_OPS:
        values = [",".join(values)] if op == "regex" else values
        if len(values) != 1:
            raise PlacementError(path, f"{op!r} takes one value, got {len(values)} in {shown!r}")
    if op == "regex":
        try:
            _compiled(values[0])
        except re.error as error:
            raise PlacementError(path, f"invalid regex {values[0]!r}: {error}") from None
    if op in _VERSION_OPS and not _VERSION_RE.match(values[0]):
        raise PlacementError(path, f"{op!r} needs a version like 1.2.3, got {values[0]!r}")
    return Constraint(label, op, tuple(values))


def check_satisfiable(constraints: tuple[Constraint, ...], path: str) -> None:
    """Reject constraint lists no host could ever satisfy, e.g. ``zone == a`` and ``zone == b``."""
    by_label: dict[str, list[Constraint]] = {}
    for constraint in constraints:
        by_label.setdefault(constraint.label, []).append(constraint)
    for label, group in by_label.items():
        allowed: set[str] | None = None
        excluded: set[str] = set()
        must_exist = must_not_exist = False
        for constraint in group:
            if constraint.op in ("==", "in"):
                values = set(constraint.values)
                allowed = values if allowed is None else allowed & values
            elif constraint.op in ("!=", "not in"):
                excluded |= set(constraint.values)
            elif constraint.op == "not exists":
                must_not_exist = True
            else:
                must_exist = True
        impossible = (allowed is not None and not (allowed - excluded)) or (
            must_not_exist and (must_exist or allowed is not None)
        )
        if impossible:
            texts = " and ".join(repr(c.text) for c in group)
            raise PlacementError(path, f"no host can satisfy {texts} at once (label {label!r})")


def _split_text(raw: str, path: str) -> tuple[str, str, str]:
    match = _LABEL_RE.match(raw)
    if not match or not raw.strip():
        raise PlacementError(path, f"cannot parse constraint {raw!r} (write '<label> <operator> <value>')")
    label, rest = match.groups()
    symbol = _SYMBOL_RE.match(rest)
    if symbol and symbol.group() in _TEXT_OPERATORS:
        return label, symbol.group(), rest[symbol.end():].strip()
    if not symbol:
        for op in _TEXT_OPERATORS[6:]:  # the word operators
            if rest == op or rest.startswith(op + " "):
                return label, op, rest[len(op):].strip()
    shown = symbol.group() if symbol else (rest.split() or [""])[0]
    if not shown:
        raise PlacementError(path, f"missing operator in {raw!r} ({_OPERATOR_HELP})")
    hint = " (did you mean '=='?)" if shown == "=" else ""
    raise PlacementError(path, f"unknown operator {shown!r} in {raw!r}{hint} ({_OPERATOR_HELP})")


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _version_key(text: str) -> tuple:
    # Numeric parts compare as numbers (1.10 > 1.9); text parts sort after numbers.
    parts = re.split(r"[.\-+_]", text.lstrip("vV"))
    key = [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts]
    while len(key) > 1 and key[-1] == (0, 0, ""):
        key.pop()  # 6.1 == 6.1.0
    return tuple(key)


def _compare_versions(left: str, right: str) -> int:
    a, b = _version_key(left), _version_key(right)
    return (a > b) - (a < b)
