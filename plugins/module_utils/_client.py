# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Docker client layer: connection options, SDK guard, and errors that say what failed.

Modules build a :class:`FleetModule`; controller plugins may call :func:`connect` directly.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import ssl
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.flotilla.fleet.plugins.module_utils._errors import (  # noqa: F401  (re-exported)
    EngineUnreachable, FleetError, InvalidInput, ResourceConflict, ResourceNotFound, transport_words)
from ansible_collections.flotilla.fleet.plugins.module_utils._fleet import ContractError

MIN_DOCKER_SDK = (7, 0, 0)
DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
DEFAULT_TIMEOUT = 60
MIN_API_VERSION = "1.41"  # Docker Engine 20.10

try:
    import docker
    from docker.errors import APIError, DockerException, NotFound, TLSParameterError
    from requests.exceptions import ConnectTimeout, HTTPError, RequestException, Timeout

    DOCKER_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised on hosts without the SDK
    docker = None
    DOCKER_IMPORT_ERROR = traceback.format_exc()

    class DockerException(Exception):  # type: ignore[no-redef]
        """Stand-in so except clauses stay valid without the SDK."""

    class RequestException(Exception):  # type: ignore[no-redef]
        """Stand-in so except clauses stay valid without the SDK."""

    class HTTPError(RequestException):  # type: ignore[no-redef]
        """Stand-in so except clauses stay valid without the SDK."""

    class Timeout(RequestException):  # type: ignore[no-redef]
        """Stand-in so except clauses stay valid without the SDK."""

    class ConnectTimeout(Timeout):  # type: ignore[no-redef]
        """Stand-in so except clauses stay valid without the SDK."""

    class APIError(DockerException, HTTPError):  # type: ignore[no-redef]
        """Stand-in so except clauses stay valid without the SDK."""

    class NotFound(APIError):  # type: ignore[no-redef]
        """Stand-in so except clauses stay valid without the SDK."""

    class TLSParameterError(DockerException):  # type: ignore[no-redef]
        """Stand-in so except clauses stay valid without the SDK."""


# Shared by every module (merged into its argument_spec) and documented once in the
# flotilla.fleet.docker doc fragment.
CONNECTION_SPEC = {
    "docker_host": {"type": "str", "aliases": ["docker_url"]},
    "tls": {"type": "bool"},
    "validate_certs": {"type": "bool", "aliases": ["tls_verify"]},
    "ca_path": {"type": "path", "aliases": ["ca_cert", "tls_ca_cert"]},
    "client_cert": {"type": "path", "aliases": ["tls_client_cert", "cert_path"]},
    "client_key": {"type": "path", "aliases": ["tls_client_key", "key_path"], "no_log": False},
    "api_version": {"type": "str", "default": "auto", "aliases": ["docker_api_version"]},
    "timeout": {"type": "int"},
}
CONNECTION_REQUIRED_TOGETHER = [("client_cert", "client_key")]
_API_VERSION_RE = re.compile(r"^[0-9]+\.[0-9]+$")
# The kind of failure an engine's HTTP status stands for.
_STATUS_ERRORS = {400: InvalidInput, 404: ResourceNotFound, 409: ResourceConflict}


class ConnectionSettings:
    """Where and how to reach one engine, resolved from options and the DOCKER_* environment."""

    def __init__(self, base_url, tls, verify, ca_path, client_cert, client_key, api_version, timeout):
        self.base_url = base_url
        self.tls = tls
        self.verify = verify
        self.ca_path = ca_path
        self.client_cert = client_cert
        self.client_key = client_key
        self.api_version = api_version
        self.timeout = timeout

    def __repr__(self):
        return "ConnectionSettings(%s, tls=%s, verify=%s)" % (self.base_url, self.tls, self.verify)


def _env_flag(value):
    return value not in (None, "", "0", "false", "False", "no")


def resolve_connection(params, environ=None):
    """Options win over the environment; TLS is on, and verified, by default for tcp://."""
    env = os.environ if environ is None else environ
    base_url = params.get("docker_host") or env.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST
    if not base_url.startswith(("unix://", "tcp://", "ssh://", "npipe://", "http://", "https://")):
        raise InvalidInput(
            "docker_host: %r is not a Docker endpoint (use unix://PATH, tcp://HOST:PORT or ssh://USER@HOST)" % base_url
        )
    cert_dir = env.get("DOCKER_CERT_PATH")

    def from_cert_dir(option, filename):
        if params.get(option):
            return params[option]
        if cert_dir and os.path.exists(os.path.join(cert_dir, filename)):
            return os.path.join(cert_dir, filename)
        return None

    ca_path = from_cert_dir("ca_path", "ca.pem")
    client_cert = from_cert_dir("client_cert", "cert.pem")
    client_key = from_cert_dir("client_key", "key.pem")
    if bool(client_cert) != bool(client_key):
        raise InvalidInput("client_cert and client_key: give both or neither (found only %s)"
                           % ("client_cert" if client_cert else "client_key"))

    remote = base_url.startswith(("tcp://", "https://"))
    tls = params.get("tls")
    if tls is None:
        tls = remote or base_url.startswith("https://")
    verify = params.get("validate_certs")
    if verify is None:
        env_verify = env.get("DOCKER_TLS_VERIFY")
        verify = True if env_verify is None else _env_flag(env_verify)
    if tls and not remote:
        raise InvalidInput("tls: TLS applies to tcp:// endpoints, not to %s" % base_url)
    for option, path in (("ca_path", ca_path), ("client_cert", client_cert), ("client_key", client_key)):
        if path and tls and not os.path.isfile(path):
            raise InvalidInput("%s: file %s does not exist" % (option, path))

    timeout = params.get("timeout")
    if timeout is None:
        timeout = int(env.get("DOCKER_TIMEOUT") or DEFAULT_TIMEOUT)
    if timeout <= 0:
        raise InvalidInput("timeout: must be a positive number of seconds, got %s" % timeout)
    api_version = params.get("api_version") or env.get("DOCKER_API_VERSION") or "auto"
    if api_version != "auto" and not _API_VERSION_RE.match(api_version):
        source = "" if params.get("api_version") else " (from DOCKER_API_VERSION)"
        raise InvalidInput("api_version: %r%s is not an engine API version (use auto, or a version such as %s)"
                           % (api_version, source, MIN_API_VERSION))
    return ConnectionSettings(base_url, bool(tls), bool(verify), ca_path, client_cert, client_key,
                              api_version, timeout)


def sdk_problem():
    """None when a usable docker SDK is importable, else a message for the user."""
    if docker is None:
        return missing_required_lib("docker (Python SDK, >= %s)" % ".".join(map(str, MIN_DOCKER_SDK)))
    found = tuple(int(part) for part in docker.__version__.split(".")[:3] if part.isdigit())
    if found < MIN_DOCKER_SDK:
        return "docker (Python SDK) %s is too old: flotilla.fleet needs >= %s" % (
            docker.__version__, ".".join(map(str, MIN_DOCKER_SDK)))
    return None


def _is_transport_error(exc):
    """A failure on the way to the engine or back, not an answer from it. A bare OSError such as
    FileNotFoundError is not one: the SDK wraps socket errors, so it comes from a local file (an archive)."""
    if isinstance(exc, RequestException):
        return not isinstance(exc, HTTPError)
    return isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError, socket.gaierror))


def describe_error(exc, engine=None):
    """The engine's own words, without the HTTP noise the SDK wraps them in; a transport failure in words.

    ``engine`` (a base URL) is named in a transport failure: "cannot connect to unix:///var/run/docker.sock:
    no such file (is the Docker engine running?)".
    """
    explanation = getattr(exc, "explanation", None)
    if explanation:
        return explanation.decode() if isinstance(explanation, bytes) else str(explanation)
    where = engine or "the Docker engine"
    if isinstance(exc, Timeout) and not isinstance(exc, ConnectTimeout):
        return "%s did not answer within the timeout (a busy or hung engine; raise timeout if it is busy)" % where
    if _is_transport_error(exc):
        return "cannot connect to %s: %s" % (where, transport_words(exc) or str(exc) or exc.__class__.__name__)
    return str(exc) or exc.__class__.__name__


def error_type(exc):
    """The FleetError subclass an SDK or transport error stands for."""
    if isinstance(exc, NotFound):
        return ResourceNotFound
    if isinstance(exc, APIError):
        return _STATUS_ERRORS.get(exc.status_code, FleetError)
    if _is_transport_error(exc):
        return EngineUnreachable
    if isinstance(exc, TLSParameterError):
        return InvalidInput
    return FleetError


def use_ssh_cli(base_url):
    """ssh:// goes through paramiko when it is installed, else through the system's ssh command."""
    if not base_url.startswith("ssh://"):
        return False
    try:
        import paramiko  # noqa: F401  pylint: disable=unused-import
    except ImportError:
        return True
    return False


def _server_api_version(api):
    """The engine's API version, from the API-Version header of GET /_ping (as the docker CLI does).

    GET /version, which the SDK would use, also makes a 20.10 engine run runc and docker-init for their
    versions: up to half a second on a busy host, paid by every module run.
    """
    response = api._get(api._url("/_ping", versioned_api=False))
    api._raise_for_status(response)
    return response.headers.get("Api-Version") or api._retrieve_server_version()


def connect(settings):
    """A low-level docker.APIClient for the settings (the high-level client adds nothing we need)."""
    problem = sdk_problem()
    if problem:
        raise FleetError(problem)
    tls_config = False
    if settings.tls:
        client_cert = (settings.client_cert, settings.client_key) if settings.client_cert else None
        tls_config = docker.tls.TLSConfig(client_cert=client_cert, ca_cert=settings.ca_path,
                                          verify=settings.ca_path if settings.verify and settings.ca_path
                                          else settings.verify)
    negotiate = settings.api_version == "auto"
    try:
        # Negotiation is deferred until trust_env is off (below), so it is not made with the wrong CA.
        api = docker.APIClient(base_url=settings.base_url, version=MIN_API_VERSION if negotiate else settings.api_version,
                               timeout=settings.timeout, tls=tls_config,
                               use_ssh_client=use_ssh_cli(settings.base_url))
        # requests would let REQUESTS_CA_BUNDLE override the engine's CA (docker/docker-py#2433): the
        # connection's own TLS settings must win, and engine traffic never goes through an HTTP proxy.
        api.trust_env = False
        if negotiate:
            api._version = _server_api_version(api)
    except (DockerException, RequestException, OSError) as exc:
        kind = error_type(exc)
        if kind is EngineUnreachable:
            raise EngineUnreachable(describe_error(exc, settings.base_url))
        raise kind("Failed to connect to the Docker engine at %s: %s" % (settings.base_url, describe_error(exc)))
    return api


class Engine:
    """One engine: the API client plus the context every error message needs."""

    def __init__(self, settings, api=None):
        self.settings = settings
        self.api = api if api is not None else connect(settings)
        self._info = None

    @property
    def name(self):
        return self.settings.base_url

    @contextlib.contextmanager
    def action(self, verb, kind, name):
        """Turn any Docker or transport error into 'Failed to <verb> <kind> <name> on <engine>: ...', typed.

        A transport failure names the engine in its reason: 'Failed to <verb> <kind> <name>: cannot connect
        to <engine>: ...'.
        """
        try:
            yield
        except FleetError:
            raise
        except (DockerException, RequestException, OSError) as exc:
            error = error_type(exc)
            if error is EngineUnreachable:
                raise error("Failed to %s %s %s: %s" % (verb, kind, name, describe_error(exc, self.name)))
            raise error("Failed to %s %s %s on %s: %s" % (verb, kind, name, self.name, describe_error(exc)))

    def inspect_or_none(self, inspect, kind, name):
        """Inspect a resource; None when the engine has no such resource."""
        with self.action("inspect", kind, name):
            try:
                return inspect(name)
            except NotFound:
                return None

    def info(self):
        if self._info is None:
            with self.action("read", "engine", "info"):
                self._info = self.api.info()
        return self._info


class _ValidatingModule(AnsibleModule):
    """AnsibleModule whose own failures (the argument spec's checks, made before any engine call) say they are
    invalid input; every other failure of a FleetModule names its kind itself."""

    def fail_json(self, msg, **kwargs):
        kwargs.setdefault("error_kind", InvalidInput.kind)
        super().fail_json(msg, **kwargs)


class FleetModule:
    """AnsibleModule plus an Engine; the connection options are merged in here, declared once."""

    def __init__(self, argument_spec, **kwargs):
        spec = dict(CONNECTION_SPEC)
        spec.update(argument_spec)
        required_together = list(kwargs.pop("required_together", [])) + CONNECTION_REQUIRED_TOGETHER
        self.module = _ValidatingModule(argument_spec=spec, required_together=required_together, **kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            problem = sdk_problem()
            if problem:
                self.module.fail_json(msg=problem, exception=DOCKER_IMPORT_ERROR, error_kind=FleetError.kind)
            self._engine = Engine(resolve_connection(self.params))
        return self._engine

    def converge(self, request_class, converger_class, result_key):
        """The body of a one-resource module: validate the options into a request (before any engine
        call), converge it, and report the result under result_key (a name, or a function of the request)."""
        def work(module):
            try:
                request = request_class(module.params)
            except FleetError as exc:
                if exc.kind == FleetError.kind:
                    exc.kind = InvalidInput.kind  # found out before the engine was asked: the request is wrong
                raise
            result = converger_class(module.engine, module.check_mode).converge(request)
            key = result_key(request) if callable(result_key) else result_key
            output = {"changed": result["changed"], key: result}
            if "diff" in result:
                output["diff"] = result.pop("diff")
            return output
        self.run(work)

    def run(self, work):
        """Call work(self) -> result dict; every FleetError (and every ContractError of the shared grammars)
        becomes one clear failure with its ``error_kind`` and, for -vvv, its traceback."""
        try:
            result = work(self)
        except FleetError as exc:
            self._fail(exc, exc.kind)
        except ContractError as exc:
            self._fail(exc, InvalidInput.kind)
        if result.get("failed"):
            self.module.fail_json(**dict({"error_kind": FleetError.kind}, **result))
        self.module.exit_json(**result)

    def _fail(self, exc, kind):
        # Without the chain: a wrapped SDK error may quote what the message left out on purpose (a join
        # token's CA digest). ansible-core 2.19 keeps ``exception`` only when the controller asks for
        # tracebacks (DISPLAY_TRACEBACK), so at -vvv the same text also goes under ``traceback``.
        formatted = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, chain=False))
        extra = {"traceback": formatted} if self.module._verbosity >= 3 else {}
        self.module.fail_json(msg=str(exc), error_kind=kind, exception=formatted, **extra)
