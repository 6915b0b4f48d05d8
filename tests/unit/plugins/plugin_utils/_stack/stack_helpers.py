"""Write Compose files into a temporary project and load them through the real Compose loader."""

from __future__ import annotations

import os
import textwrap

from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._errors import StackError
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._model import load_stack

# Hermetic: Compose sees only these variables (plus what a test passes), never the developer's shell.
BASE_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root")}


def write(directory, files):
    """``{"compose.yaml": "...", ".env": "..."}`` -> files (dedented) under ``directory``; returns the first path."""
    paths = []
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        paths.append(path)
    return paths[0]


def load(directory, text, extra=None, env=None, base_env=None, **options):
    path = write(directory, {"compose.yaml": text, **(extra or {})})
    return load_stack([path], env=env, base_env={**BASE_ENV, **(base_env or {})}, **options)


def error_of(directory, text, extra=None, **options):
    try:
        load(directory, text, extra, **options)
    except StackError as error:
        return str(error)
    raise AssertionError("no error")


def service(stack, name):
    return stack["services"][name]
