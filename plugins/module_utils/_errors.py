# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's error types, and transport failures said in words.

Every failure a module reports is a :class:`FleetError`; its subclasses say what kind of failure it is, so
a role can tell a dead engine from a bad request (the ``error_kind`` of the failed result). Import them from
``_client`` (which re-exports them). Pure Python: no Ansible and no Docker import.
"""

from __future__ import annotations

import errno
import socket
import ssl


class FleetError(Exception):
    """A failure with a message fit for the user; modules turn it into fail_json."""

    kind = "error"


class EngineUnreachable(FleetError):
    """The engine could not be reached, or stopped answering: nothing about the request itself is wrong."""

    kind = "unreachable"


class ResourceNotFound(FleetError):
    """The engine has no such container, image, network, volume or node (HTTP 404)."""

    kind = "not_found"


class ResourceConflict(FleetError):
    """The request clashes with the engine's state: a name in use, a container in the way (HTTP 409)."""

    kind = "conflict"


class InvalidInput(FleetError):
    """The request is wrong, whether this collection or the engine found it out (HTTP 400)."""

    kind = "invalid_input"


# What a failed socket call means, in words; the hint says what to check.
_ERRNO_WORDS = {
    errno.ENOENT: "no such file (is the Docker engine running?)",
    errno.ECONNREFUSED: "connection refused (is the Docker engine running and listening there?)",
    errno.EACCES: "permission denied (may this user use the Docker engine, such as through the docker group?)",
    errno.EPERM: "permission denied (may this user use the Docker engine, such as through the docker group?)",
    errno.ETIMEDOUT: "connection timed out (is the host up, and the port open to this machine?)",
    errno.EHOSTUNREACH: "no route to the host",
    errno.ENETUNREACH: "the network is unreachable",
    errno.ECONNRESET: "the engine closed the connection",
    errno.EPIPE: "the engine closed the connection",
    errno.ENOTSOCK: "not a socket",
}


def _causes(exc):
    """exc and everything it wraps, nearest first: arguments, ``reason``, cause and context."""
    seen, queue = set(), [exc]
    while queue:
        current = queue.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        queue.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
        queue.extend((getattr(current, "reason", None), current.__cause__, current.__context__))


def transport_words(exc):
    """What went wrong on the way to the engine, in words, or None when nothing underneath explains it."""
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "the engine's TLS certificate was not accepted (%s)" % (cause.verify_message or cause.reason)
        if isinstance(cause, ssl.SSLError):
            return "the TLS handshake failed (%s)" % (cause.reason or cause.strerror or cause)
        if isinstance(cause, socket.gaierror):
            return "cannot resolve the host name (%s)" % (cause.strerror or cause)
        if isinstance(cause, (socket.timeout, TimeoutError)) and not getattr(cause, "errno", None):
            return "no answer within the timeout"
        if isinstance(cause, OSError) and cause.errno in _ERRNO_WORDS:
            return _ERRNO_WORDS[cause.errno]
        if isinstance(cause, OSError) and cause.errno and cause.strerror:
            return cause.strerror[0].lower() + cause.strerror[1:]
        if cause.__class__.__name__ == "RemoteDisconnected":
            return "the engine closed the connection without an answer (is it a TLS port, and tls not set?)"
    return None
