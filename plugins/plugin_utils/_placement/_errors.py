"""The one error type of the placement package: every message starts with the field path."""

from __future__ import annotations


class PlacementError(ValueError):
    """Bad input. ``str(error)`` is ``"<field path>: <what is wrong>"``."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def type_name(value: object) -> str:
    return type(value).__name__


def is_int(value: object) -> bool:
    # bool is an int subclass, but `replicas: true` is a typo, never a count.
    return isinstance(value, int) and not isinstance(value, bool)


def require_int(value: object, path: str, minimum: int) -> int:
    if not is_int(value) or value < minimum:
        raise PlacementError(path, f"must be an integer >= {minimum}, got {value!r}")
    return value


def require_bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise PlacementError(path, f"must be true or false, got {value!r}")
    return value


def require_str(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PlacementError(path, f"must be a non-empty string, got {value!r}")
    return value.strip()


def require_list(value: object, path: str) -> list:
    if not isinstance(value, (list, tuple)):
        raise PlacementError(path, f"must be a list, got {type_name(value)}")
    return list(value)


def require_dict(value: object, path: str) -> dict:
    if not isinstance(value, dict):
        raise PlacementError(path, f"must be a mapping, got {type_name(value)}")
    return value
