# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error type of the stack model: every message starts with the field it is about."""

from __future__ import annotations

import difflib


class StackError(ValueError):
    """Bad input. ``str(error)`` is ``"<field>: <what is wrong>"`` (or Compose's own message, with the file)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem


def suggestion(word: str, choices) -> str:
    """`` (did you mean 'image'?)`` when a close match exists, else ``""``."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
