"""The client layer (_client.py): connection settings, error wording, FleetModule.run."""

import errno
import json
import socket
import ssl
from unittest.mock import Mock

import pytest
from ansible.module_utils.testing import patch_module_args
from docker.errors import APIError, DockerException, NotFound, TLSParameterError
from requests.exceptions import ConnectionError as RequestsConnectionError, ReadTimeout
from urllib3.exceptions import ProtocolError

from ansible_collections.flotilla.fleet.plugins.module_utils._client import (
    DEFAULT_DOCKER_HOST, Engine, EngineUnreachable, FleetError, FleetModule, InvalidInput, ResourceConflict,
    ResourceNotFound, _server_api_version, connect, describe_error, error_type, resolve_connection, use_ssh_cli)
from ansible_collections.flotilla.fleet.plugins.module_utils._fleet import ContractError


def test_defaults_to_the_local_socket_without_tls():
    settings = resolve_connection({}, environ={})
    assert (settings.base_url, settings.tls, settings.verify, settings.timeout, settings.api_version) == \
        (DEFAULT_DOCKER_HOST, False, True, 60, "auto")


def test_options_win_over_the_environment():
    environ = {"DOCKER_HOST": "unix:///env.sock", "DOCKER_TIMEOUT": "5", "DOCKER_API_VERSION": "1.40"}
    assert resolve_connection({}, environ).base_url == "unix:///env.sock"
    assert resolve_connection({}, environ).timeout == 5
    settings = resolve_connection({"docker_host": "unix:///opt.sock", "timeout": 9, "api_version": "1.41"}, environ)
    assert (settings.base_url, settings.timeout, settings.api_version) == ("unix:///opt.sock", 9, "1.41")


def test_tcp_means_verified_tls_by_default(tmp_path):
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("x")
    settings = resolve_connection({"docker_host": "tcp://node1:2376"}, {"DOCKER_CERT_PATH": str(tmp_path)})
    assert settings.tls and settings.verify
    assert settings.ca_path == str(tmp_path / "ca.pem") and settings.client_key == str(tmp_path / "key.pem")
    assert not resolve_connection({"docker_host": "tcp://n:2376"}, {"DOCKER_TLS_VERIFY": "0"}).verify


@pytest.mark.parametrize("params, environ, message", [
    ({"docker_host": "node1:2376"}, {},
     "docker_host: 'node1:2376' is not a Docker endpoint (use unix://PATH, tcp://HOST:PORT or ssh://USER@HOST)"),
    ({"tls": True}, {}, "tls: TLS applies to tcp:// endpoints, not to unix:///var/run/docker.sock"),
    ({"timeout": 0}, {}, "timeout: must be a positive number of seconds, got 0"),
    ({"docker_host": "tcp://n:2376", "ca_path": "/nonexistent/ca.pem"}, {},
     "ca_path: file /nonexistent/ca.pem does not exist"),
    ({"client_cert": "/c.pem"}, {}, "client_cert and client_key: give both or neither (found only client_cert)"),
])
def test_bad_connection_settings_name_the_option(params, environ, message):
    with pytest.raises(FleetError) as error:
        resolve_connection(params, environ)
    assert str(error.value) == message


def _api_error(status, explanation):
    response = Mock(status_code=status, reason="x", url="http://x/containers/create")
    return APIError("%d Client Error" % status, response=response, explanation=explanation)


def test_describe_error_prefers_the_engines_words():
    assert describe_error(_api_error(409, b"name in use")) == "name in use"
    assert describe_error(RequestsConnectionError("refused")) == "cannot connect to the Docker engine: refused"
    assert describe_error(OSError()) == "OSError"
    assert describe_error(ConnectionResetError()) == "cannot connect to the Docker engine: ConnectionResetError"
    assert describe_error(KeyError("x")) == "'x'"


def _wrapped(cause):
    """A requests ConnectionError as the SDK raises it: urllib3's error around the socket's."""
    try:
        try:
            raise cause
        except OSError as exc:
            raise ProtocolError("Connection aborted.", exc) from exc
    except ProtocolError as exc:
        return RequestsConnectionError(exc)


_CERT_ERROR = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
_CERT_ERROR.verify_message = "self-signed certificate"


@pytest.mark.parametrize("cause, words", [
    (FileNotFoundError(2, "No such file or directory"), "no such file (is the Docker engine running?)"),
    (ConnectionRefusedError(111, "Connection refused"),
     "connection refused (is the Docker engine running and listening there?)"),
    (PermissionError(13, "Permission denied"),
     "permission denied (may this user use the Docker engine, such as through the docker group?)"),
    (socket.gaierror(-2, "Name or service not known"), "cannot resolve the host name (Name or service not known)"),
    (_CERT_ERROR, "the engine's TLS certificate was not accepted (self-signed certificate)"),
    (OSError(errno.EIO, "Input/output error"), "input/output error"),
    (TimeoutError("timed out"), "no answer within the timeout"),
])
def test_transport_errors_are_said_in_words_not_python_reprs(cause, words):
    assert describe_error(_wrapped(cause), "tcp://node1:2376") == "cannot connect to tcp://node1:2376: " + words
    assert error_type(_wrapped(cause)) is EngineUnreachable


def test_a_read_timeout_is_not_a_refused_connection():
    assert describe_error(ReadTimeout("read timed out"), "unix:///var/run/docker.sock") == (
        "unix:///var/run/docker.sock did not answer within the timeout (a busy or hung engine; raise timeout if "
        "it is busy)")
    assert error_type(ReadTimeout("x")) is EngineUnreachable


@pytest.mark.parametrize("exc, kind", [
    (NotFound("no"), "not_found"), (_api_error(404, b"x"), "not_found"), (_api_error(409, b"x"), "conflict"),
    (_api_error(400, b"x"), "invalid_input"), (_api_error(500, b"x"), "error"),
    (TLSParameterError("x"), "invalid_input"), (DockerException("x"), "error"),
    (RequestsConnectionError("x"), "unreachable"),
])
def test_error_types_follow_the_engines_status(exc, kind):
    assert error_type(exc).kind == kind


def _engine(api=None):
    return Engine(resolve_connection({}, environ={}), api=api or Mock())


def test_action_wraps_docker_and_transport_errors_with_what_failed():
    engine = _engine()
    cases = [
        (NotFound("gone", explanation="No such container: web"), ResourceNotFound,
         "Failed to start container web on unix:///var/run/docker.sock: No such container: web"),
        (_api_error(409, b"container is paused"), ResourceConflict,
         "Failed to start container web on unix:///var/run/docker.sock: container is paused"),
        (_api_error(400, b"invalid mode: sauce"), InvalidInput,
         "Failed to start container web on unix:///var/run/docker.sock: invalid mode: sauce"),
        (_api_error(500, b"no space left on device"), FleetError,
         "Failed to start container web on unix:///var/run/docker.sock: no space left on device"),
        (RequestsConnectionError("refused"), EngineUnreachable,
         "Failed to start container web: cannot connect to unix:///var/run/docker.sock: refused"),
        (ConnectionRefusedError(111, "Connection refused"), EngineUnreachable,
         "Failed to start container web: cannot connect to unix:///var/run/docker.sock: connection refused (is the "
         "Docker engine running and listening there?)"),
        # A bare file error comes from a local file (an archive to load), not from the way to the engine.
        (FileNotFoundError(2, "No such file or directory", "/srv/images/web.tar"), FleetError,
         "Failed to start container web on unix:///var/run/docker.sock: [Errno 2] No such file or directory: "
         "'/srv/images/web.tar'"),
    ]
    for exc, kind, message in cases:
        with pytest.raises(FleetError) as error:
            with engine.action("start", "container", "web"):
                raise exc
        assert error.value.__class__ is kind and str(error.value) == message


def test_action_passes_fleet_errors_and_bugs_through():
    engine = _engine()
    with pytest.raises(FleetError, match="^memory: bad$"):
        with engine.action("create", "container", "web"):
            raise FleetError("memory: bad")
    with pytest.raises(KeyError):
        with engine.action("create", "container", "web"):
            raise KeyError("bug")


def test_inspect_or_none_and_cached_info():
    api = Mock()
    api.inspect_container.side_effect = NotFound("no")
    api.info.return_value = {"LoggingDriver": "json-file"}
    engine = _engine(api)
    assert engine.inspect_or_none(api.inspect_container, "container", "web") is None
    assert engine.info() == engine.info() == {"LoggingDriver": "json-file"}
    api.info.assert_called_once_with()


def test_connect_to_a_missing_socket_or_a_closed_port_says_what_happened():
    with pytest.raises(EngineUnreachable) as error:
        connect(resolve_connection({"docker_host": "unix:///nonexistent/docker.sock"}, environ={}))
    assert str(error.value) == ("cannot connect to unix:///nonexistent/docker.sock: no such file (is the Docker "
                                "engine running?)")
    with pytest.raises(EngineUnreachable) as error:
        connect(resolve_connection({"docker_host": "tcp://127.0.0.1:1", "tls": False}, environ={}))
    assert str(error.value) == ("cannot connect to tcp://127.0.0.1:1: connection refused (is the Docker engine "
                                "running and listening there?)")


@pytest.mark.parametrize("params, environ, message", [
    ({"api_version": "banana"}, {},
     "api_version: 'banana' is not an engine API version (use auto, or a version such as 1.41)"),
    ({}, {"DOCKER_API_VERSION": "v1.41"},
     "api_version: 'v1.41' (from DOCKER_API_VERSION) is not an engine API version (use auto, or a version such "
     "as 1.41)"),
])
def test_an_api_version_that_is_not_one_is_refused_before_the_sdk_sees_it(params, environ, message):
    with pytest.raises(InvalidInput) as error:
        resolve_connection(params, environ)
    assert str(error.value) == message
    assert resolve_connection({"api_version": "1.40"}, {}).api_version == "1.40"


def _run_module(args, work, capsys):
    with patch_module_args(args):
        module = FleetModule({"name": {"type": "str"}}, supports_check_mode=True)
        with pytest.raises(SystemExit):
            module.run(work)
    return json.loads(capsys.readouterr().out)


def test_run_turns_a_fleet_error_into_one_failure(capsys):
    def work(module):
        raise FleetError("name: %s is not valid" % module.params["name"])
    result = _run_module({"name": "x y"}, work, capsys)
    assert result["failed"] and result["msg"] == "name: x y is not valid" and result["error_kind"] == "error"
    assert "traceback" not in result  # only at -vvv


@pytest.mark.parametrize("error, kind", [
    (EngineUnreachable("cannot connect to unix:///x.sock: no such file"), "unreachable"),
    (ResourceNotFound("Failed to start container web on e: gone"), "not_found"),
    (ResourceConflict("Failed to create container web on e: name in use"), "conflict"),
    (InvalidInput("memory: bad"), "invalid_input"),
    (ContractError("services[0].memory", "cannot parse 'x' as a size"), "invalid_input"),
])
def test_run_says_what_kind_of_failure_it_is(capsys, error, kind):
    def work(module):
        raise error
    result = _run_module({"name": "a"}, work, capsys)
    assert result["failed"] and result["msg"] == str(error) and result["error_kind"] == kind


def test_run_gives_the_traceback_at_vvv_without_the_errors_it_wraps(capsys):
    def work(module):
        try:
            raise RuntimeError("SWMTKN-1-secretpart")
        except RuntimeError:
            raise FleetError("join_token: rejected")
    result = _run_module({"name": "a", "_ansible_verbosity": 3}, work, capsys)
    assert result["traceback"].startswith("Traceback (most recent call last):\n")
    assert result["traceback"].endswith("FleetError: join_token: rejected\n")
    assert 'raise FleetError("join_token: rejected")' in result["traceback"]
    assert "secretpart" not in result["traceback"]


def test_run_returns_results_and_fails_on_a_failed_result(capsys):
    assert _run_module({"name": "a"}, lambda module: {"changed": True, "thing": 1}, capsys)["thing"] == 1
    result = _run_module({}, lambda module: {"changed": True, "failed": True, "msg": "1 of 2 failed", "items": [1]},
                         capsys)
    assert result["failed"] and result["msg"] == "1 of 2 failed" and result["items"] == [1] and result["changed"]
    assert result["error_kind"] == "error"


def test_an_argument_the_spec_refuses_is_invalid_input(capsys):
    with patch_module_args({"name": "a", "sauce": 1}):
        with pytest.raises(SystemExit):
            FleetModule({"name": {"type": "str"}}, supports_check_mode=True)
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] and result["error_kind"] == "invalid_input"
    assert result["msg"].startswith("Unsupported parameters for (")


class _Request:
    def __init__(self, params):
        if params["name"] == "bad":
            raise FleetError("name: bad is not a valid name")
        self.name = params["name"]


class _Converger:
    calls = []

    def __init__(self, engine, check_mode):
        self.check_mode = check_mode

    def converge(self, request):
        self.calls.append(request.name)
        return {"name": request.name, "changed": True, "action": "created",
                "diff": {"before": {}, "after": {"name": request.name}}}


def _converge_module(args, capsys, result_key="thing"):
    with patch_module_args(args):
        module = FleetModule({"name": {"type": "str"}}, supports_check_mode=True)
        module._engine = Mock()  # the request is built before the engine is needed
        with pytest.raises(SystemExit):
            module.converge(_Request, _Converger, result_key)
    return json.loads(capsys.readouterr().out)


def test_converge_reports_the_result_under_its_key_with_the_diff_beside(capsys):
    result = _converge_module({"name": "web", "_ansible_check_mode": True}, capsys)
    assert result["changed"] is True
    assert result["thing"] == {"name": "web", "changed": True, "action": "created"}
    assert result["diff"] == {"before": {}, "after": {"name": "web"}}
    keyed = _converge_module({"name": "db"}, capsys, lambda request: "node-" + request.name)
    assert keyed["node-db"]["name"] == "db"


def test_converge_fails_on_bad_input_before_converging(capsys):
    _Converger.calls.clear()
    result = _converge_module({"name": "bad"}, capsys)
    assert result["failed"] and result["msg"] == "name: bad is not a valid name"
    assert result["error_kind"] == "invalid_input"  # raised before the engine was asked anything
    assert _Converger.calls == []


def test_ssh_uses_the_ssh_command_when_paramiko_is_missing(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_paramiko(name, *args, **kwargs):
        if name == "paramiko":
            raise ImportError("No module named 'paramiko'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_paramiko)
    assert use_ssh_cli("ssh://deploy@node1") is True
    assert use_ssh_cli("tcp://node1:2376") is False
    assert use_ssh_cli("unix:///var/run/docker.sock") is False


def _negotiating_api(headers):
    api = Mock()
    api._get.return_value = Mock(headers=headers)
    api._retrieve_server_version.return_value = "1.40"
    return api


def test_api_version_comes_from_the_ping_header():
    api = _negotiating_api({"Api-Version": "1.41"})
    assert _server_api_version(api) == "1.41"
    api._retrieve_server_version.assert_not_called()  # GET /version makes the engine exec runc
    assert _server_api_version(_negotiating_api({})) == "1.40"  # an engine without the header
