"""flotilla.fleet.image: references, archives, validation and the converger against a mocked engine."""

import gzip
import io
import importlib.util
import json
import socket
import tarfile
import threading
from pathlib import Path
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
from docker.errors import NotFound

from ansible_collections.flotilla.fleet.plugins.module_utils._client import Engine, FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._image import (
    ImageCache, ImageConverger, ImageRequest, image_argument_spec, parse_reference, read_archive)
from ansible_collections.flotilla.fleet.plugins.module_utils._image_reference import DOCKER_HUB

ENGINE = "unix:///fake.sock"
HERE = Path(__file__).resolve()
MAKE_ARCHIVE = HERE.parents[3] / "integration" / "targets" / "image" / "files" / "make_archive.py"
_spec = importlib.util.spec_from_file_location("make_archive", MAKE_ARCHIVE)
make_archive = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_archive)


def params(**overrides):
    base = {name: spec.get("default") for name, spec in image_argument_spec().items()}
    base.update(overrides)
    return base


def write_archive(tmp_path, images, name="a.tar", compress=False):
    data, described = make_archive.build(images)
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if compress else data)
    return str(path), described


# --- references ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected, registry", [
    ("busybox", "busybox:latest", DOCKER_HUB),
    ("docker.io/library/busybox:1.36", "busybox:1.36", DOCKER_HUB),
    ("index.docker.io/shop/web", "shop/web:latest", DOCKER_HUB),
    ("flotilla-test/base:latest", "flotilla-test/base:latest", DOCKER_HUB),
    ("localhost:5000/a/b:v1", "localhost:5000/a/b:v1", "localhost:5000"),
    ("registry.example.com/web@sha256:" + "a" * 64, "registry.example.com/web@sha256:" + "a" * 64,
     "registry.example.com"),
    ("127.0.0.1:1/flotilla/none:1", "127.0.0.1:1/flotilla/none:1", "127.0.0.1:1"),
])
def test_parse_reference_familiar_form(text, expected, registry):
    reference = parse_reference(text, "name")
    assert str(reference) == expected
    assert reference.registry == registry


@pytest.mark.parametrize("text", ["Shop/Web", "a b", "web:", "web@sha256:abc", "-web", "web/"])
def test_parse_reference_rejects(text):
    with pytest.raises(FleetError) as caught:
        parse_reference(text, "name")
    assert str(caught.value) == ("name: %r is not an image reference such as repo/name:tag or "
                                 "repo/name@sha256:<digest>" % text)


def test_image_id_only_where_allowed():
    image_id = "sha256:" + "b" * 64
    assert str(parse_reference(image_id, "name", allow_id=True)) == image_id
    with pytest.raises(FleetError) as caught:
        parse_reference(image_id, "name")
    assert str(caught.value) == ("name: %s is an image ID; an ID is only accepted with state absent or source "
                                 "local" % image_id)


# --- archives ------------------------------------------------------------------------------------

def test_read_archive_ids_match_the_config_hash(tmp_path):
    path, described = write_archive(tmp_path, [("one", ["t/one:1"]), ("two", [])])
    assert read_archive(path) == [(described[0]["id"], ["t/one:1"]), (described[1]["id"], [])]


def test_read_archive_compressed(tmp_path):
    path, described = write_archive(tmp_path, [("one", ["docker.io/library/one"])], compress=True)
    assert read_archive(path) == [(described[0]["id"], ["one:latest"])]


def test_read_archive_repacked_with_dot_slash_names(tmp_path):
    data, described = make_archive.build([("one", ["t/one:1"])])
    with tarfile.open(fileobj=io.BytesIO(data)) as source, tarfile.open(tmp_path / "r.tar", "w") as out:
        for member in source.getmembers():
            content = source.extractfile(member).read()
            member.name = "./" + member.name
            out.addfile(member, io.BytesIO(content))
    assert read_archive(str(tmp_path / "r.tar")) == [(described[0]["id"], ["t/one:1"])]


def test_read_archive_missing_file_names_the_module_host(tmp_path):
    with pytest.raises(FleetError) as caught:
        read_archive(str(tmp_path / "nope.tar"))
    assert str(caught.value) == "load_path: file %s does not exist on the host running the module (%s)" % (
        tmp_path / "nope.tar", socket.gethostname())


def test_read_archive_not_a_tar(tmp_path):
    path = tmp_path / "x.tar"
    path.write_text("hello")
    with pytest.raises(FleetError) as caught:
        read_archive(str(path))
    assert str(caught.value) == "load_path: %s is not a docker save archive (a tar file, optionally compressed)" % path


def _tar(path, members):
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return str(path)


@pytest.mark.parametrize("members, message", [
    ({"x": b"1"}, "load_path: {p} has no manifest.json; is it a docker save archive?"),
    ({"manifest.json": b"{"}, "load_path: {p}: manifest.json is not valid JSON: "),
    ({"manifest.json": b"[]"}, "load_path: {p}: manifest.json lists no images"),
    ({"manifest.json": b'[{"RepoTags": ["a:1"]}]'}, "load_path: {p}: an entry of manifest.json has no Config"),
    ({"manifest.json": json.dumps([{"Config": "c.json"}]).encode()},
     "load_path: {p} has no c.json; is it a docker save archive?"),
])
def test_read_archive_broken(tmp_path, members, message):
    path = _tar(tmp_path / "b.tar", members)
    with pytest.raises(FleetError) as caught:
        read_archive(path)
    assert str(caught.value).startswith(message.format(p=path))


# --- validation ----------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, message", [
    ({"source": "load"}, "load_path: required with source load"),
    ({"load_path": "/x.tar"}, "load_path: only with source load (source is pull)"),
    ({"source": "load", "load_path": "/x.tar", "name": "a@sha256:" + "c" * 64},
     "name: a@sha256:%s is a digest reference; archives carry tags, not registry digests" % ("c" * 64)),
    ({"password": "s3cret"}, "username: required with password"),
    ({"username": "u"}, "password: required with username"),
    ({"source": "local", "username": "u", "password": "p"},
     "username: registry credentials are only used with source pull"),
    ({"source": "local", "pull_policy": "always"}, "pull_policy: always needs source pull (source is local)"),
    ({"force": True}, "force: only with state absent"),
    ({"state": "absent", "tags": ["a:1"]}, "tags: only with state present"),
    ({"state": "absent", "password": "p"}, "password: only with state present"),
    ({"tags": ["a@sha256:" + "d" * 64]}, "tags[0]: 'a@sha256:%s' is a digest; a tag is a name such as "
                                         "repo/name:v1" % ("d" * 64)),
    ({"tags": [5]}, "tags[0]: expected a string, got 5"),  # not 5:latest
    ({"tags": ["ok:1", 1.5]}, "tags[1]: expected a string, got 1.5"),
    ({"tags": ["ok:1", "Bad"]}, "tags[1]: 'Bad' is not an image reference such as repo/name:tag or "
                                "repo/name@sha256:<digest>"),
    ({"name": "sha256:" + "e" * 64}, "name: sha256:%s is an image ID; an ID is only accepted with state absent "
                                     "or source local" % ("e" * 64)),
])
def test_request_rejects(overrides, message):
    with pytest.raises(FleetError) as caught:
        ImageRequest(params(name=overrides.pop("name", "app/web:1"), **overrides))
    assert str(caught.value) == message
    assert "s3cret" not in str(caught.value)


def test_request_name_must_be_in_a_multi_image_archive(tmp_path):
    path = write_archive(tmp_path, [("one", ["t/one:1"]), ("two", ["t/two:1"])])[0]
    with pytest.raises(FleetError) as caught:
        ImageRequest(params(name="t/three:1", source="load", load_path=path))
    assert str(caught.value) == "name: t/three:1 is not in %s (it holds t/one:1, t/two:1)" % path


# --- converging against a mocked engine ----------------------------------------------------------

class FakeImages:
    """inspect_image over a dict {reference or id: image}; tag() and load_image() update it."""

    def __init__(self, images=()):
        self.images = {}
        for image in images:
            self.add(image)

    def add(self, image):
        self.images[image["Id"]] = image
        for tag in image.get("RepoTags") or []:
            self.images[tag] = image

    def inspect(self, name):
        if name not in self.images:
            raise NotFound("No such image: %s" % name)
        return self.images[name]


def engine_with(images=(), archive=None):
    fake = FakeImages(images)
    api = MagicMock()
    api.inspect_image.side_effect = fake.inspect

    def load(stream, quiet=None):
        for image_id, tags in archive or []:
            fake.add({"Id": image_id, "RepoTags": list(tags)})
        return iter([{"stream": "Loaded"}])

    def tag(image_id, repository, version, force=False):
        image = fake.images[image_id]
        for other in fake.images.values():
            if "%s:%s" % (repository, version) in other.get("RepoTags", []):
                other["RepoTags"].remove("%s:%s" % (repository, version))
        image.setdefault("RepoTags", []).append("%s:%s" % (repository, version))
        fake.add(image)

    api.load_image.side_effect = load
    api.tag.side_effect = tag
    return Engine(SimpleNamespace(base_url=ENGINE), api=api), api


def test_load_check_mode_predicts_and_writes_nothing(tmp_path):
    path, described = write_archive(tmp_path, [("one", ["t/one:1"])])
    engine, api = engine_with()
    result = ImageConverger(engine, check_mode=True).converge(
        ImageRequest(params(name="t/one:1", source="load", load_path=path)))
    assert result["action"] == "loaded" and result["id"] == described[0]["id"]
    assert result["diff"] == {"before": {"id": None, "tags": []},
                              "after": {"id": described[0]["id"], "tags": ["t/one:1"]}}
    api.load_image.assert_not_called()
    api.tag.assert_not_called()


def test_load_then_nothing_when_the_engine_has_the_image_id(tmp_path):
    path, described = write_archive(tmp_path, [("one", ["t/one:1"])])
    archive = [(described[0]["id"], ["t/one:1"])]
    engine, api = engine_with(archive=archive)
    request = ImageRequest(params(name="t/one:1", source="load", load_path=path))
    first = ImageConverger(engine, check_mode=False).converge(request)
    second = ImageConverger(engine, check_mode=False).converge(request)
    assert (first["action"], second["action"]) == ("loaded", "unchanged")
    assert api.load_image.call_count == 1
    assert second["id"] == described[0]["id"] and "diff" not in second


def test_load_of_an_untagged_archive_tags_name(tmp_path):
    path, described = write_archive(tmp_path, [("one", [])])
    engine, api = engine_with(archive=[(described[0]["id"], [])])
    result = ImageConverger(engine, check_mode=False).converge(
        ImageRequest(params(name="t/named:2", source="load", load_path=path)))
    assert result["tags"] == ["t/named:2"]
    api.tag.assert_called_once_with(described[0]["id"], "t/named", "2", force=True)


def test_present_id_with_moved_tag_is_retagged_not_reloaded(tmp_path):
    path, described = write_archive(tmp_path, [("one", ["t/one:1"])])
    engine, api = engine_with([{"Id": described[0]["id"], "RepoTags": []},
                               {"Id": "sha256:" + "f" * 64, "RepoTags": ["t/one:1"]}])
    result = ImageConverger(engine, check_mode=False).converge(
        ImageRequest(params(name="t/one:1", source="load", load_path=path)))
    assert result["action"] == "tagged"
    assert result["diff"]["before"] == {"id": "sha256:" + "f" * 64, "tags": ["t/one:1"]}
    api.load_image.assert_not_called()


def test_pull_error_event_is_one_clear_failure_without_credentials():
    engine, api = engine_with()
    api.pull.return_value = iter([{"status": "Pulling"}, {"error": "unauthorized: authentication required"}])
    request = ImageRequest(params(name="registry.example.com/app:1", username="deploy", password="s3cret"))
    with pytest.raises(FleetError) as caught:
        ImageConverger(engine, check_mode=False).converge(request)
    assert str(caught.value) == ("Failed to pull image registry.example.com/app:1 on %s: unauthorized: "
                                 "authentication required" % ENGINE)
    api.pull.assert_called_once_with("registry.example.com/app:1", stream=True, decode=True, auth_config={
        "username": "deploy", "password": "s3cret", "serveraddress": "registry.example.com"})


def test_pull_missing_policy_skips_a_present_image_and_check_mode_never_pulls():
    engine, api = engine_with([{"Id": "sha256:" + "1" * 64, "RepoTags": ["app:1"]}])
    assert ImageConverger(engine, False).converge(ImageRequest(params(name="app:1")))["action"] == "unchanged"
    result = ImageConverger(engine, True).converge(ImageRequest(params(name="app:2")))
    assert result["action"] == "pulled" and result["id"] is None
    api.pull.assert_not_called()


def test_remove_check_mode_predicts_untag_and_writes_nothing():
    image_id = "sha256:" + "2" * 64
    engine, api = engine_with([{"Id": image_id, "RepoTags": ["app:1", "app:current"]}])
    result = ImageConverger(engine, True).converge(ImageRequest(params(name="app:current", state="absent")))
    assert result["diff"] == {"before": {"id": image_id, "tags": ["app:1", "app:current"]},
                              "after": {"id": image_id, "tags": ["app:1"]}}
    api.remove_image.assert_not_called()


def test_remove_absent_image_is_unchanged():
    engine, api = engine_with()
    result = ImageConverger(engine, False).converge(ImageRequest(params(name="app:1", state="absent")))
    assert result["action"] == "unchanged" and result["id"] is None
    api.remove_image.assert_not_called()


def test_local_source_needs_the_image():
    engine, _api = engine_with()
    with pytest.raises(FleetError) as caught:
        ImageConverger(engine, False).converge(ImageRequest(params(name="app:1", source="local")))
    assert str(caught.value) == "name: image app:1 is not on %s; use source pull or load" % ENGINE


def test_tags_argument_spec_keeps_non_strings_for_the_normaliser():
    # With elements str, Ansible would hand over "5" and the image would be tagged 5:latest.
    assert image_argument_spec()["tags"] == {"type": "list", "elements": "raw"}


# --- the image cache of the container modules: one pull per image, different images in parallel ---------

def pulling_engine(pull):
    """An engine without images; pull(name) runs, then the image is there."""
    fake = FakeImages()
    api = MagicMock()
    api.inspect_image.side_effect = fake.inspect

    def pull_then_present(name, auth_config=None, stream=False, decode=False):
        pull(name)
        fake.add({"Id": "sha256:" + ("%x" % (len(fake.images) + 1)) * 64, "RepoTags": [name]})
        return iter([{"status": "Downloaded newer image for %s" % name}])
    api.pull.side_effect = pull_then_present
    return Engine(SimpleNamespace(base_url=ENGINE), api=api), api


def in_threads(*calls):
    results, errors = [None] * len(calls), []

    def run(index, call):
        try:
            results[index] = call()
        except Exception as exc:  # pylint: disable=broad-except
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors
    return results


def test_two_missing_images_are_pulled_at_the_same_time():
    # Each pull waits until the other one has started: a cache lock held across a pull would break the barrier.
    barrier = threading.Barrier(2, timeout=5)
    engine, api = pulling_engine(lambda name: barrier.wait())
    cache = ImageCache(engine)
    one, two = in_threads(lambda: cache.get("app:1", "missing", False), lambda: cache.get("db:1", "missing", False))
    assert (one["RepoTags"], two["RepoTags"]) == (["app:1"], ["db:1"])
    assert sorted(call.args[0] for call in api.pull.call_args_list) == ["app:1", "db:1"]


def test_containers_of_one_missing_image_wait_for_its_single_pull():
    release, pulling = threading.Event(), threading.Event()

    def first_pull_blocks(name):
        if not pulling.is_set():
            pulling.set()
            release.wait(5)
    engine, api = pulling_engine(first_pull_blocks)
    cache = ImageCache(engine)
    results = []
    first = threading.Thread(target=lambda: results.append(cache.get("app:1", "missing", False)))
    first.start()
    assert pulling.wait(5)
    second = threading.Thread(target=lambda: results.append(cache.get("app:1", "missing", False)))
    second.start()
    second.join(0.3)
    # A second pull would not block, so the second caller would be done by now.
    assert second.is_alive() and api.pull.call_count == 1
    release.set()
    first.join(5)
    second.join(5)
    assert api.pull.call_count == 1 and results[0] is results[1]
    assert cache.get("app:1", "missing", False) is results[0] and api.inspect_image.call_count == 2


def test_a_failed_pull_is_reported_to_every_container_of_that_image_and_tried_once():
    engine, api = engine_with()
    api.pull.return_value = iter([{"error": "manifest for app:9 not found"}])
    cache = ImageCache(engine)
    for _attempt in range(2):
        with pytest.raises(FleetError) as caught:
            cache.get("app:9", "missing", False)
        assert str(caught.value) == "Failed to pull image app:9 on %s: manifest for app:9 not found" % ENGINE
    api.pull.assert_called_once_with("app:9", auth_config=None, stream=True, decode=True)
