# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ingress container, driven through the Docker API only (so a remote engine over TLS works the same):
read its config and routes, check a new config with `haproxy -c`, install it, reload HAProxy gracefully.

A wrong config never replaces a working one: the candidate is written beside the live file and checked
there; only a candidate HAProxy accepts is renamed over the live file (an atomic rename), and only then is
the master told to reload (SIGUSR2). The master re-executes itself, its new worker takes the listening
sockets over from the old one (expose-fd listeners) and the old worker finishes its connections.
"""

from __future__ import annotations

import io
import json
import posixpath
import tarfile
import time

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError, NotFound
from ansible_collections.flotilla.fleet.plugins.module_utils._haproxy import (
    describe_check_failure, parse_show_proc, parse_show_stat, status_lines)

CONFIG_DIR = "/usr/local/etc/haproxy"
CONFIG_FILE = "haproxy.cfg"
ROUTES_FILE = "flotilla-routes.json"
MASTER_SOCKET = "/run/haproxy-master.sock"
STATS_SOCKET = "/run/haproxy-admin.sock"
POLL_SECONDS = 0.1


def _socket_command(socket_path, command):
    # Fixed commands only (never user input), so a shell pipeline is safe here.
    return ["sh", "-c", "echo '%s' | socat -t 2 stdio unix-connect:%s" % (command, socket_path)]


def routes_json(routes):
    """The routes as stored on the ingress: canonical, so the same routes are the same bytes."""
    return json.dumps(routes or [], sort_keys=True, indent=1) + "\n"


class IngressContainer:
    """One running HAProxy container on one engine."""

    def __init__(self, engine, name, config_dir=CONFIG_DIR):
        self.engine = engine
        self.name = name
        self.config_dir = config_dir
        self.config_path = posixpath.join(config_dir, CONFIG_FILE)

    def inspect(self):
        return self.engine.inspect_or_none(self.engine.api.inspect_container, "container", self.name)

    def exec(self, command, verb):
        """(exit code, output) of command in the container."""
        with self.engine.action(verb, "ingress container", self.name):
            created = self.engine.api.exec_create(self.name, command, stdout=True, stderr=True)
            output = self.engine.api.exec_start(created["Id"])
            code = self.engine.api.exec_inspect(created["Id"]).get("ExitCode")
        if isinstance(output, bytes):
            output = output.decode("utf-8", "replace")
        return code, output or ""

    def read_file(self, filename):
        """Content of a file of the config dir, or None when it does not exist."""
        with self.engine.action("read %s from" % filename, "ingress container", self.name):
            try:
                stream, _stat = self.engine.api.get_archive(self.name, posixpath.join(self.config_dir, filename))
            except NotFound:
                return None
            archive = tarfile.open(fileobj=io.BytesIO(b"".join(stream)))
            member = archive.extractfile(archive.getmembers()[0])
            return member.read().decode("utf-8")

    def write_file(self, filename, content):
        data = content.encode("utf-8")
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            info = tarfile.TarInfo(filename)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = int(time.time())
            archive.addfile(info, io.BytesIO(data))
        with self.engine.action("write %s to" % filename, "ingress container", self.name):
            self.engine.api.put_archive(self.name, self.config_dir, buffer.getvalue())

    def processes(self):
        code, output = self.exec(_socket_command(MASTER_SOCKET, "show proc"), "ask the HAProxy master of")
        return parse_show_proc(output) if code == 0 else None

    def stats(self, backends):
        code, output = self.exec(_socket_command(STATS_SOCKET, "show stat"), "read the HAProxy stats of")
        if code != 0:
            raise FleetError("Failed to read the HAProxy stats of ingress container %s on %s: %s"
                             % (self.name, self.engine.name, output.strip() or "exit %s" % code))
        return parse_show_stat(output, backends)

    def wait_for_master(self, timeout):
        """The master's `show proc`, once it answers with a worker running (it may still be starting)."""
        deadline = time.monotonic() + timeout
        while True:
            procs = self.processes()
            if procs and procs["reloads"] is not None and procs["workers"]:
                return procs
            if time.monotonic() > deadline:
                raise FleetError("The HAProxy master of ingress container %s on %s did not answer within %ss "
                                 "(see docker logs %s)" % (self.name, self.engine.name, timeout, self.name))
            time.sleep(POLL_SECONDS)

    def reload(self, timeout):
        """Graceful reload; returns once a new worker runs the new config. FleetError when it does not."""
        before = self.wait_for_master(timeout)
        with self.engine.action("reload", "ingress container", self.name):
            self.engine.api.kill(self.name, signal="SIGUSR2")
        deadline = time.monotonic() + timeout
        while True:
            procs = self.processes()
            if procs and procs["reloads"] is not None and procs["reloads"] > before["reloads"] and procs["workers"]:
                if procs["failed_reloads"] > before["failed_reloads"] or set(procs["workers"]) & set(before["workers"]):
                    raise FleetError("HAProxy in ingress container %s on %s refused the new config on reload; "
                                     "the old worker keeps serving (see docker logs %s)"
                                     % (self.name, self.engine.name, self.name))
                return procs
            if time.monotonic() > deadline:
                raise FleetError("HAProxy in ingress container %s on %s did not finish its reload within %ss "
                                 "(see docker logs %s)" % (self.name, self.engine.name, timeout, self.name))
            time.sleep(POLL_SECONDS)


class IngressConfigConverger:
    """check → install → reload, only when the rendered config differs from the live one."""

    def __init__(self, engine, check_mode):
        self.engine = engine
        self.check_mode = check_mode

    def converge(self, request):
        ingress = IngressContainer(self.engine, request["container"], request["config_dir"])
        inspected = ingress.inspect()
        running = bool(inspected and inspected.get("State", {}).get("Running"))
        if not running and not self.check_mode:
            raise FleetError("Ingress container %s on %s is not running; start it (the role flotilla.fleet.ingress "
                             "does) before applying a config" % (request["container"], self.engine.name))
        live = ingress.read_file(CONFIG_FILE) if running else None
        stored_routes = ingress.read_file(ROUTES_FILE) if running else None
        wanted_routes = routes_json(request["routes"])
        config_changed = live != request["config"]
        routes_changed = stored_routes != wanted_routes
        result = {"changed": config_changed or routes_changed, "container": request["container"],
                  "action": "reloaded" if config_changed else "unchanged",
                  "diff": {"before": live or "", "after": request["config"],
                           "before_header": "%s (live)" % ingress.config_path,
                           "after_header": "%s (rendered)" % ingress.config_path}}
        if self.check_mode or not result["changed"]:
            if not config_changed:
                result["action"] = "unchanged" if not routes_changed else "routes recorded"
            return result
        if config_changed:
            self._check(ingress, request)
            self._install(ingress, live)
        if routes_changed:
            ingress.write_file(ROUTES_FILE, wanted_routes)
        if config_changed:
            procs = self._reload(ingress, live, request["reload_timeout"])
            result["workers"] = procs["workers"]
            result["reloads"] = procs["reloads"]
        else:
            result["action"] = "routes recorded"
        return result

    def _check(self, ingress, request):
        candidate = CONFIG_FILE + ".candidate"
        ingress.write_file(candidate, request["config"])
        code, output = ingress.exec(["haproxy", "-c", "-f", posixpath.join(ingress.config_dir, candidate)],
                                    "check the new HAProxy config in")
        if code != 0:
            ingress.exec(["rm", "-f", posixpath.join(ingress.config_dir, candidate)], "remove the refused config in")
            raise FleetError("The new ingress config was refused by HAProxy, so the running config is kept: %s"
                             % describe_check_failure(output, request["config"], request["backends"]))

    def _install(self, ingress, live):
        directory = ingress.config_dir
        commands = "mv -f %s/%s.candidate %s/%s" % (directory, CONFIG_FILE, directory, CONFIG_FILE)
        if live is not None:  # keep the working config until the reload has proven the new one
            commands = "cp -p %s/%s %s/%s.previous && %s" % (directory, CONFIG_FILE, directory, CONFIG_FILE,
                                                             commands)
        code, output = ingress.exec(["sh", "-c", commands], "install the new HAProxy config in")
        if code != 0:
            raise FleetError("Failed to install the new HAProxy config in ingress container %s on %s: %s"
                             % (ingress.name, self.engine.name, output.strip()))

    def _reload(self, ingress, live, timeout):
        try:
            return ingress.reload(timeout)
        except FleetError:
            if live is not None:  # put the working config back, so a restart does not pick up the refused one
                directory = ingress.config_dir
                ingress.exec(["mv", "-f", "%s/%s.previous" % (directory, CONFIG_FILE),
                              "%s/%s" % (directory, CONFIG_FILE)], "restore the previous HAProxy config in")
            raise


def ingress_info(engine, container, config_dir=CONFIG_DIR, image=None):
    """What the ingress serves now: its routes, and per backend the servers and their health."""
    ingress = IngressContainer(engine, container, config_dir)
    result = {"container": container, "exists": False, "running": False, "routes": [], "backends": [],
              "reloads": None, "workers": [], "summary": []}
    if image is not None:
        found = engine.inspect_or_none(engine.api.inspect_image, "image", image)
        result["image"] = {"name": image, "present": found is not None, "id": found.get("Id") if found else None}
    inspected = ingress.inspect()
    if inspected is None:
        return result
    result.update(exists=True, id=inspected.get("Id"), running=bool(inspected.get("State", {}).get("Running")))
    if not result["running"]:
        return result
    stored = ingress.read_file(ROUTES_FILE)
    try:
        result["routes"] = json.loads(stored) if stored else []
    except ValueError:
        raise FleetError("%s in ingress container %s on %s is not JSON; remove it and rerun the role"
                         % (ROUTES_FILE, container, engine.name))
    backends = {"%s.%s.%s" % (route["stack"], route["service"], route["port"]):
                {"stack": route["stack"], "service": route["service"], "port": route["port"]}
                for route in result["routes"]}
    procs = ingress.processes()
    if procs:
        result["reloads"] = procs["reloads"]
        result["workers"] = procs["workers"]
    result["backends"] = ingress.stats(backends)
    result["summary"] = status_lines(result["backends"])
    return result
