"""flotilla.fleet.image_build: the context hash, validation, and the converger against a mocked engine."""

import os
import socket
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
from docker.errors import NotFound

from ansible_collections.flotilla.fleet.plugins.module_utils._client import Engine, FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._image_build import (
    BUILD_SPEC, HASH_LABEL, BuildConverger, BuildRequest, context_hash)

ENGINE = "unix:///fake.sock"
WHERE = "on the host running the module (%s)" % socket.gethostname()


@pytest.fixture
def context(tmp_path):
    root = tmp_path / "ctx"
    root.mkdir()
    (root / "Dockerfile").write_text("FROM flotilla-test/base:latest\nCOPY . /app\n")
    (root / "app.py").write_text("print('hello')\n")
    (root / "lib").mkdir()
    (root / "lib" / "util.py").write_text("X = 1\n")
    return root


def digest(root, dockerfile="Dockerfile", build_args=None, target=None):
    return context_hash(str(root), dockerfile, build_args or {}, target)


def params(root, **overrides):
    base = {name: spec.get("default") for name, spec in BUILD_SPEC.items()}
    base.update(name="dp/app", context=str(root))
    base.update(overrides)
    return base


# --- the hash -------------------------------------------------------------------------------------

def test_hash_is_stable_and_ignores_mtime(context):
    first = digest(context)
    os.utime(context / "app.py", (1, 1))
    assert digest(context) == first


def test_hash_follows_content_names_modes_and_new_files(context):
    seen = {digest(context)}
    (context / "app.py").write_text("print('bye')\n")
    seen.add(digest(context))
    os.chmod(context / "app.py", 0o755)
    seen.add(digest(context))
    (context / "lib" / "util.py").rename(context / "lib" / "util2.py")
    seen.add(digest(context))
    (context / "new.txt").write_text("")
    seen.add(digest(context))
    (context / "link").symlink_to("app.py")
    seen.add(digest(context))
    assert len(seen) == 6


def test_hash_follows_build_settings(context):
    (context / "Other.Dockerfile").write_text("FROM flotilla-test/base:latest\n")
    base = digest(context)
    variants = {digest(context, build_args={"A": "1"}), digest(context, build_args={"A": "2"}),
                digest(context, target="final"), digest(context, dockerfile="Other.Dockerfile")}
    assert base not in variants and len(variants) == 4


def test_hash_skips_what_dockerignore_excludes(context):
    (context / ".dockerignore").write_text("# generated files\n*.log\n\nbuild/\n")
    first = digest(context)
    (context / "debug.log").write_text("noise")
    (context / "build").mkdir()
    (context / "build" / "out.bin").write_bytes(b"\0" * 10)
    assert digest(context) == first
    (context / "kept.txt").write_text("counts")
    assert digest(context) != first


def test_hash_keeps_an_ignored_dockerfile(context):
    (context / ".dockerignore").write_text("Dockerfile\n")
    first = digest(context)
    (context / "Dockerfile").write_text("FROM flotilla-test/base:latest\nRUN true\n")
    assert digest(context) != first


# --- validation (before any engine call) --------------------------------------------------------

@pytest.mark.parametrize("overrides, message", [
    ({"name": "dp/app:v1"}, "name: 'dp/app:v1' has a tag or digest; give the repository only (such as myapp/web): "
                            "the tag is the hash of the build context"),
    ({"name": "Dp/App"}, "name: 'Dp/App' is not an image reference such as repo/name:tag or repo/name@sha256:<digest>"),
    ({"dockerfile": "../Dockerfile"}, "dockerfile: '../Dockerfile' must be a path inside the context {ctx}"),
    ({"dockerfile": "/etc/passwd"}, "dockerfile: '/etc/passwd' must be a path inside the context {ctx}"),
    ({"dockerfile": "Missing"}, "dockerfile: {ctx}/Missing does not exist " + WHERE),
    ({"build_args": {"DEBUG": True}}, "build_args.DEBUG: True is a boolean; quote it ('true') so the value is exact"),
    ({"tags": ["dp/app@sha256:" + "a" * 64]},
     "tags[0]: 'dp/app@sha256:" + "a" * 64 + "' is a digest; a tag is a name such as myapp/web:latest"),
])
def test_bad_input(context, overrides, message):
    with pytest.raises(FleetError) as caught:
        BuildRequest(params(context, **overrides))
    assert str(caught.value) == message.format(ctx=context)


def test_missing_context(tmp_path):
    with pytest.raises(FleetError) as caught:
        BuildRequest(params(tmp_path / "nope"))
    assert str(caught.value) == "context: %s does not exist %s" % (tmp_path / "nope", WHERE)


def test_reference_is_repository_and_hash_prefix(context):
    request = BuildRequest(params(context, tags=["dp/app"]))
    assert request.reference == "dp/app:" + request.hash[:16]
    assert request.tags == ["dp/app:latest"]


# --- converging with a fake engine --------------------------------------------------------------

class FakeApi:
    def __init__(self, images=None, build_events=None):
        self.images = dict(images or {})  # reference or ID -> inspect
        self.build = MagicMock(side_effect=self._build)
        self.tag = MagicMock(side_effect=self._tag)
        self.build_events = build_events

    def inspect_image(self, name):
        if name not in self.images:
            raise NotFound("no such image")
        return self.images[name]

    def _build(self, **kwargs):
        if self.build_events is not None:
            return iter(self.build_events)
        image = {"Id": "sha256:" + "b" * 64, "RepoTags": [kwargs["tag"]]}
        self.images[kwargs["tag"]] = self.images[image["Id"]] = image
        return iter([{"stream": "Step 1/2"}, {"aux": {"ID": image["Id"]}}])

    def _tag(self, image_id, repository, tag, force):
        image = self.images[image_id]
        image["RepoTags"] = sorted(set(image["RepoTags"]) | {"%s:%s" % (repository, tag)})
        self.images["%s:%s" % (repository, tag)] = image


def converge(api, request, check_mode=False):
    engine = Engine(SimpleNamespace(base_url=ENGINE), api=api)
    return BuildConverger(engine, check_mode).converge(request)


def test_builds_once_then_unchanged(context):
    request = BuildRequest(params(context, build_args={"A": "1"}, target="final"))
    api = FakeApi()
    checked = converge(api, request, check_mode=True)
    api.build.assert_not_called()
    assert checked["action"] == "built" and checked["diff"]["after"] == {"id": None, "tags": [request.reference]}
    built = converge(api, request)
    api.build.assert_called_once_with(
        path=str(context), tag=request.reference, dockerfile="Dockerfile", buildargs={"A": "1"}, target="final",
        rm=True, forcerm=True, labels={HASH_LABEL: request.hash}, decode=True)
    assert built["changed"] and built["id"] == "sha256:" + "b" * 64
    again = converge(api, BuildRequest(params(context, build_args={"A": "1"}, target="final")))
    assert again["changed"] is False and again["action"] == "unchanged" and "diff" not in again
    assert api.build.call_count == 1


def test_extra_tag_moves_without_a_build(context):
    request = BuildRequest(params(context))
    image = {"Id": "sha256:" + "c" * 64, "RepoTags": [request.reference]}
    api = FakeApi({request.reference: image, image["Id"]: image})
    tagged = converge(api, BuildRequest(params(context, tags=["dp/app:latest"])))
    api.build.assert_not_called()
    assert tagged["action"] == "tagged"
    assert tagged["diff"] == {"before": {"id": image["Id"], "tags": [request.reference]},
                              "after": {"id": image["Id"], "tags": sorted(["dp/app:latest", request.reference])}}


def test_build_error_names_image_context_and_engine(context):
    request = BuildRequest(params(context))
    api = FakeApi(build_events=[{"stream": "Step 1/2"},
                                {"error": "The command '/bin/sh -c false' returned a non-zero code: 1\n"}])
    with pytest.raises(FleetError) as caught:
        converge(api, request)
    assert str(caught.value) == ("Failed to build image %s from %s on %s: The command '/bin/sh -c false' returned a "
                                 "non-zero code: 1" % (request.reference, context, ENGINE))
