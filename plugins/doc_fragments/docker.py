# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Connection options shared by every flotilla.fleet module (declared once in _client.CONNECTION_SPEC)."""

    DOCUMENTATION = r"""
options:
  docker_host:
    description:
      - The Docker engine to talk to, as C(unix://PATH), C(tcp://HOST:PORT) or C(ssh://USER@HOST).
      - C(ssh://) uses the C(paramiko) Python package when it is installed, otherwise the C(ssh) command
        (with the user's SSH configuration and agent).
      - When left out, the E(DOCKER_HOST) environment variable is used, then C(unix:///var/run/docker.sock).
      - Set it once for all modules with C(module_defaults) and the C(group/flotilla.fleet.docker) action group.
    type: str
    aliases: [docker_url]
  tls:
    description:
      - Use TLS to talk to the engine.
      - Defaults to V(true) for C(tcp://) endpoints and V(false) for local sockets.
    type: bool
  validate_certs:
    description:
      - Verify the engine's certificate against O(ca_path) (or the system trust store).
      - Defaults to E(DOCKER_TLS_VERIFY) when set, otherwise V(true). Turning it off lets anyone on the
        network impersonate the engine.
    type: bool
    aliases: [tls_verify]
  ca_path:
    description:
      - CA certificate that signed the engine's certificate.
      - Defaults to C(ca.pem) in E(DOCKER_CERT_PATH) when that file exists.
    type: path
    aliases: [ca_cert, tls_ca_cert]
  client_cert:
    description:
      - Client certificate for engines that require one. Give O(client_key) with it.
      - Defaults to C(cert.pem) in E(DOCKER_CERT_PATH) when that file exists.
    type: path
    aliases: [tls_client_cert, cert_path]
  client_key:
    description:
      - Private key of O(client_cert).
      - Defaults to C(key.pem) in E(DOCKER_CERT_PATH) when that file exists.
    type: path
    aliases: [tls_client_key, key_path]
  api_version:
    description:
      - Engine API version to speak, such as V(1.41), or V(auto) to negotiate. E(DOCKER_API_VERSION) is used when
        set.
    type: str
    default: auto
    aliases: [docker_api_version]
  timeout:
    description:
      - Seconds to wait for each API call. Defaults to E(DOCKER_TIMEOUT), then 60.
    type: int
requirements:
  - docker (Python SDK) >= 7.0.0 on the host that runs the module
notes:
  - 'Every Docker error is reported as C(Failed to <action> <kind> <name> on <engine>: <reason>); when the engine
    cannot be reached, as C(Failed to <action> <kind> <name>: cannot connect to <engine>: <what happened>).'
  - 'A failed task says what kind of failure it is in C(error_kind), so a role can tell a dead engine from a bad
    request: V(unreachable) (the engine could not be reached, or did not answer in time), V(not_found) (no such
    container, image, network, volume or node), V(conflict) (the request clashes with what is on the engine, such
    as a name in use or a volume in use), V(invalid_input) (the request is wrong, found out before any change or
    refused by the engine) or V(error) (anything else).'
  - The Python traceback of a failure is in C(exception) when the controller asks for tracebacks
    (E(ANSIBLE_DISPLAY_TRACEBACK=error)), and in C(traceback) at C(-vvv).
"""
