"""flotilla.fleet.image_ship: streaming docker save into docker load chunk by chunk, with fake engines."""

from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
from docker.errors import APIError, NotFound

from ansible_collections.flotilla.fleet.plugins.module_utils._client import Engine, FleetError
from ansible_collections.flotilla.fleet.plugins.plugin_utils._ship import Shipper, ShipRequest

IMAGE_ID = "sha256:" + "a" * 64
IMAGE = {"Id": IMAGE_ID, "RepoTags": ["dp/app:1"]}


class FakeSource:
    """get_image yields chunks lazily and records how far ahead of the consumer it ever got."""

    def __init__(self, chunks, fail_after=None):
        self.chunks = chunks
        self.fail_after = fail_after
        self.produced = 0
        self.consumed = 0
        self.most_ahead = 0
        self.get_image = MagicMock(side_effect=self._get_image)

    def inspect_image(self, name):
        if name not in ("dp/app:1", IMAGE_ID):
            raise NotFound("no such image")
        return IMAGE

    def _get_image(self, name, chunk_size):
        def generate():
            for index, chunk in enumerate(self.chunks):
                if self.fail_after is not None and index == self.fail_after:
                    raise APIError("connection reset by peer")
                self.produced += 1
                self.most_ahead = max(self.most_ahead, self.produced - self.consumed)
                yield chunk
        return generate()


class FakeTarget:
    def __init__(self, source, images=None, load_events=None):
        self.source = source
        self.images = dict(images or {})
        self.received = []
        self.load_events = load_events
        self.load_image = MagicMock(side_effect=self._load)
        self.tag = MagicMock(side_effect=self._tag)

    def inspect_image(self, name):
        if name not in self.images:
            raise NotFound("no such image")
        return self.images[name]

    def _load(self, data, quiet):
        for chunk in data:  # what requests does with a generator body: one chunk at a time
            self.source.consumed += 1
            self.received.append(chunk)
        if self.load_events is not None:
            return iter(self.load_events)
        image = dict(IMAGE)
        self.images.update({IMAGE_ID: image, "dp/app:1": image})
        return iter([{"stream": "Loaded image: dp/app:1\n"}])

    def _tag(self, image_id, repository, tag, force):
        image = self.images[image_id]
        image["RepoTags"] = sorted(set(image["RepoTags"]) | {"%s:%s" % (repository, tag)})
        self.images["%s:%s" % (repository, tag)] = image


def engines(source_api, target_api):
    return (Engine(SimpleNamespace(base_url="unix:///source.sock"), api=source_api),
            Engine(SimpleNamespace(base_url="tcp://target:2376"), api=target_api))


def ship(source_api, target_api, name="dp/app:1", check_mode=False, chunk_size=4):
    source, target = engines(source_api, target_api)
    return Shipper(source, target, check_mode, chunk_size=chunk_size).ship(ShipRequest({"name": name}))


def test_streams_chunk_by_chunk_without_buffering():
    chunks = [b"abcd", b"efgh", b"ij"]
    source = FakeSource(chunks)
    target = FakeTarget(source)
    result = ship(source, target)
    source.get_image.assert_called_once_with("dp/app:1", chunk_size=4)
    assert target.received == chunks
    assert source.most_ahead == 1  # never more than the chunk in flight
    assert result["action"] == "shipped" and result["bytes"] == 10 and result["changed"]
    assert result["diff"] == {"before": {"id": None, "tags": []}, "after": {"id": IMAGE_ID, "tags": ["dp/app:1"]}}


def test_target_that_has_the_image_gets_nothing():
    source = FakeSource([b"x"])
    target = FakeTarget(source, {IMAGE_ID: dict(IMAGE), "dp/app:1": dict(IMAGE)})
    result = ship(source, target)
    source.get_image.assert_not_called()
    target.load_image.assert_not_called()
    target.tag.assert_not_called()
    assert result["changed"] is False and result["bytes"] == 0 and "diff" not in result


def test_missing_tag_is_moved_without_a_transfer():
    source = FakeSource([b"x"])
    target = FakeTarget(source, {IMAGE_ID: {"Id": IMAGE_ID, "RepoTags": ["other:1"]}})
    result = ship(source, target)
    source.get_image.assert_not_called()
    target.tag.assert_called_once_with(IMAGE_ID, "dp/app", "1", force=True)
    assert result["action"] == "tagged" and result["tags"] == ["dp/app:1", "other:1"]


def test_check_mode_transfers_nothing():
    source = FakeSource([b"x"])
    target = FakeTarget(source)
    result = ship(source, target, check_mode=True)
    source.get_image.assert_not_called()
    target.load_image.assert_not_called()
    target.tag.assert_not_called()
    assert result["action"] == "shipped" and result["diff"]["after"] == {"id": IMAGE_ID, "tags": ["dp/app:1"]}


def test_by_id_saves_the_id_and_tags_nothing():
    source = FakeSource([b"x"])
    target = FakeTarget(source)
    ship(source, target, name=IMAGE_ID)
    source.get_image.assert_called_once_with(IMAGE_ID, chunk_size=4)
    target.tag.assert_not_called()


def test_image_missing_on_source():
    source = FakeSource([b"x"])
    with pytest.raises(FleetError) as caught:
        ship(source, FakeTarget(source), name="dp/other:1")
    assert str(caught.value) == ("name: image dp/other:1 is not on the source engine unix:///source.sock; "
                                 "build or load it there first")


def test_source_failure_mid_stream_names_the_source():
    source = FakeSource([b"a", b"b", b"c"], fail_after=1)
    with pytest.raises(FleetError) as caught:
        ship(source, FakeTarget(source))
    assert str(caught.value) == "Failed to save image dp/app:1 on unix:///source.sock: connection reset by peer"


def test_load_error_names_the_target():
    source = FakeSource([b"a"])
    target = FakeTarget(source, load_events=[{"error": "unexpected EOF"}])
    with pytest.raises(FleetError) as caught:
        ship(source, target)
    assert str(caught.value) == "Failed to load image dp/app:1 on tcp://target:2376: unexpected EOF"


def test_load_that_leaves_no_image_is_an_error():
    source = FakeSource([b"a", b"b"])
    target = FakeTarget(source, load_events=[{"stream": "Loaded image: something-else\n"}])
    with pytest.raises(FleetError) as caught:
        ship(source, target)
    assert str(caught.value) == ("Failed to load image dp/app:1 on tcp://target:2376: the engine does not have %s "
                                 "after loading 2 bytes" % IMAGE_ID)


def test_action_names_the_source_option_before_any_engine_is_contacted():
    from ansible_collections.flotilla.fleet.plugins.action.image_ship import ActionModule

    action = SimpleNamespace(_task=SimpleNamespace(check_mode=False))
    args = {"name": "dp/app:1", "source": {"docker_host": "bogus"}}
    with pytest.raises(FleetError) as caught:
        ActionModule._ship(action, args)
    assert str(caught.value) == ("source.docker_host: 'bogus' is not a Docker endpoint (use unix://PATH, "
                                 "tcp://HOST:PORT or ssh://USER@HOST)")


def test_action_checks_the_name_first():
    from ansible_collections.flotilla.fleet.plugins.action.image_ship import ActionModule

    action = SimpleNamespace(_task=SimpleNamespace(check_mode=False))
    with pytest.raises(FleetError) as caught:
        ActionModule._ship(action, {"name": "Bad Name", "source": {"docker_host": "bogus"}})
    assert str(caught.value) == ("name: 'Bad Name' is not an image reference such as repo/name:tag or "
                                 "repo/name@sha256:<digest>")
