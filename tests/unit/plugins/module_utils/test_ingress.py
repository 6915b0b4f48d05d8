"""The ingress container through a fake engine: no change → no write; a refused config is never installed;
an accepted one is installed by rename and reloaded by SIGUSR2; HAProxy's answers parsed."""

import io
import shlex
import tarfile

import pytest
from docker.errors import NotFound

from ansible_collections.flotilla.fleet.plugins.module_utils._client import Engine, FleetError, resolve_connection
from ansible_collections.flotilla.fleet.plugins.module_utils._haproxy import (
    describe_check_failure, parse_show_proc, parse_show_stat, status_lines)
from ansible_collections.flotilla.fleet.plugins.module_utils._ingress import (
    IngressConfigConverger, ingress_info, routes_json)

LIVE = "/usr/local/etc/haproxy/haproxy.cfg"
ROUTES_PATH = "/usr/local/etc/haproxy/flotilla-routes.json"
ROUTE = {"stack": "shop", "service": "web", "port": 80}
BACKENDS = {"shop.web.80": ROUTE}
CONFIG = "global\n    stats socket x\n\nbackend shop.web.80\n    balance roundrobin\n    bogus on\n"
REFUSAL = ("[NOTICE]   (9) : haproxy version is 2.6.12\n"
           "[ALERT]    (9) : config : parsing [/usr/local/etc/haproxy/haproxy.cfg.candidate:6] : unknown keyword "
           "'bogus' in 'backend' section\n"
           "[ALERT]    (9) : config : Error(s) found in configuration file : /usr/local/etc/haproxy/haproxy.cfg\n"
           "[ALERT]    (9) : config : Fatal errors found in configuration.\n")
SHOW_PROC = ("#<PID>          <type>          <reloads>       <uptime>        <version>\n"
             "1               master          {reloads} [failed: {failed}]   0d00h00m08s     2.6.12-1\n"
             "# workers\n{worker}               worker          0               0d00h00m08s     2.6.12-1\n"
             "# old workers\n{old}# programs\n\n")
STAT_HEADER = "# pxname,svname,status,check_status,check_code,lastchg,stot,addr,\n"
SHOW_STAT = STAT_HEADER + (
    "flotilla-ready,FRONTEND,OPEN,,,,0,,\n"
    "shop.web.80,shop-web-1,UP,L7OK,200,42,7,172.18.0.2:8000,\n"
    "shop.web.80,shop-web-2,DOWN,L7STS,404,3,5,172.18.0.3:8000,\n"
    "shop.web.80,BACKEND,UP,,,42,12,,\n")


class FakeHAProxy:
    """Just enough of the engine API for the ingress container: files, exec, archives, signals."""

    def __init__(self, files=None, running=True, check=(0, "Configuration file is valid\n"), reload_fails=False):
        self.files = dict(files or {})
        self.running = running
        self.check = check
        self.reload_fails = reload_fails
        self.reloads, self.failed, self.worker, self.old = 0, 0, 8, []
        self.calls = []
        self._execs = {}

    def inspect_container(self, name):
        return {"Id": "c0ffee", "State": {"Running": self.running}}

    def inspect_image(self, name):
        raise NotFound("no such image")

    def exec_create(self, name, command, stdout=True, stderr=True):
        self._execs[len(self._execs)] = command
        return {"Id": len(self._execs) - 1}

    def exec_start(self, exec_id):
        code, output = self._run(self._execs[exec_id])
        self._execs[exec_id] = code
        return output.encode()

    def exec_inspect(self, exec_id):
        return {"ExitCode": self._execs[exec_id]}

    def _run(self, command):
        self.calls.append(("exec", command))
        if command[:2] == ["sh", "-c"] and "show proc" in command[2]:
            old = "".join("%d               worker          1\n" % pid for pid in self.old)
            return 0, SHOW_PROC.format(reloads=self.reloads, failed=self.failed, worker=self.worker, old=old)
        if command[:2] == ["sh", "-c"] and "show stat" in command[2]:
            return 0, SHOW_STAT
        if command[:2] == ["haproxy", "-c"]:
            return self.check
        if command[:2] == ["rm", "-f"]:
            self.files.pop(command[2], None)
            return 0, ""
        if command[:2] == ["sh", "-c"]:
            for step in command[2].split(" && "):
                self._run(shlex.split(step))
            return 0, ""
        if command[0] == "cp":
            self.files[command[3]] = self.files[command[2]]
            return 0, ""
        if command[0] == "mv":
            self.files[command[3]] = self.files.pop(command[2])
            return 0, ""
        raise AssertionError("unexpected command %r" % (command,))

    def get_archive(self, name, path):
        self.calls.append(("get_archive", path))
        if path not in self.files:
            raise NotFound("no such file")
        data = self.files[path].encode()
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            info = tarfile.TarInfo(path.rsplit("/", 1)[1])
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        return iter([buffer.getvalue()]), {}

    def put_archive(self, name, directory, data):
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            for member in archive.getmembers():
                self.files["%s/%s" % (directory, member.name)] = archive.extractfile(member).read().decode()
        self.calls.append(("put_archive", directory))
        return True

    def kill(self, name, signal):
        self.calls.append(("kill", signal))
        self.reloads += 1
        if self.reload_fails:
            self.failed += 1
        else:
            self.old, self.worker = [self.worker], self.worker + 1

    def writes(self):
        return [call for call in self.calls if call[0] in ("put_archive", "kill")
                or call[0] == "exec" and call[1][0] in ("mv", "rm", "cp", "sh") and "socat" not in call[1][-1]]


def converge(api, config=CONFIG, check_mode=False, routes=(ROUTE,)):
    engine = Engine(resolve_connection({}, {}), api=api)
    request = {"container": "ingress", "config": config, "routes": list(routes), "backends": BACKENDS,
               "config_dir": "/usr/local/etc/haproxy", "reload_timeout": 2}
    return IngressConfigConverger(engine, check_mode).converge(request)


def test_the_same_config_and_routes_change_nothing_and_reload_nothing():
    api = FakeHAProxy({LIVE: CONFIG, ROUTES_PATH: routes_json([ROUTE])})
    result = converge(api)
    assert (result["changed"], result["action"]) == (False, "unchanged")
    assert api.writes() == []


def test_check_mode_reports_the_change_with_its_diff_and_writes_nothing():
    api = FakeHAProxy({LIVE: "old\n", ROUTES_PATH: routes_json([ROUTE])})
    result = converge(api, check_mode=True)
    assert (result["changed"], result["action"]) == (True, "reloaded")
    assert (result["diff"]["before"], result["diff"]["after"]) == ("old\n", CONFIG)
    assert api.writes() == []


def test_an_accepted_config_is_installed_by_rename_then_reloaded():
    api = FakeHAProxy({LIVE: "old\n"})
    result = converge(api)
    assert (result["changed"], result["action"], result["reloads"], result["workers"]) == (True, "reloaded", 1, [9])
    assert api.files[LIVE] == CONFIG
    assert api.files[LIVE + ".previous"] == "old\n"
    assert LIVE + ".candidate" not in api.files
    assert api.files[ROUTES_PATH] == routes_json([ROUTE])
    order = [call[0] if call[0] != "exec" else call[1][0] for call in api.calls]
    assert order.index("haproxy") < order.index("kill")
    assert ("kill", "SIGUSR2") in api.calls


def test_a_refused_config_never_replaces_the_live_one_and_names_the_route():
    api = FakeHAProxy({LIVE: "old\n", ROUTES_PATH: "[]\n"}, check=(1, REFUSAL))
    with pytest.raises(FleetError) as caught:
        converge(api)
    assert str(caught.value) == ("The new ingress config was refused by HAProxy, so the running config is kept: "
                                 "route stack shop, service web, port 80 (line 6): unknown keyword 'bogus' in "
                                 "'backend' section")
    assert api.files == {LIVE: "old\n", ROUTES_PATH: "[]\n"}
    assert not [call for call in api.calls if call[0] == "kill"]


def test_a_reload_the_master_refuses_puts_the_working_config_back():
    api = FakeHAProxy({LIVE: "old\n"}, reload_fails=True)
    with pytest.raises(FleetError) as caught:
        converge(api)
    assert str(caught.value) == ("HAProxy in ingress container ingress on unix:///var/run/docker.sock refused the "
                                 "new config on reload; the old worker keeps serving (see docker logs ingress)")
    assert api.files[LIVE] == "old\n"


def test_only_new_routes_are_recorded_without_a_reload():
    api = FakeHAProxy({LIVE: CONFIG, ROUTES_PATH: "[]\n"})
    result = converge(api)
    assert (result["changed"], result["action"]) == (True, "routes recorded")
    assert not [call for call in api.calls if call[0] == "kill"]


def test_a_stopped_ingress_is_an_error_outside_check_mode():
    with pytest.raises(FleetError) as caught:
        converge(FakeHAProxy(running=False))
    assert str(caught.value) == ("Ingress container ingress on unix:///var/run/docker.sock is not running; start it "
                                 "(the role flotilla.fleet.ingress does) before applying a config")


def test_info_reports_routes_backends_servers_and_the_image():
    api = FakeHAProxy({ROUTES_PATH: routes_json([ROUTE])})
    info = ingress_info(Engine(resolve_connection({}, {}), api=api), "ingress", image="flotilla/haproxy:latest")
    assert info["image"] == {"name": "flotilla/haproxy:latest", "present": False, "id": None}
    assert (info["exists"], info["running"], info["id"], info["routes"]) == (True, True, "c0ffee", [ROUTE])
    assert (info["reloads"], info["workers"]) == (0, [8])
    assert info["summary"] == ["shop/web port 80: shop-web-1 172.18.0.2:8000 UP (L7OK)",
                               "shop/web port 80: shop-web-2 172.18.0.3:8000 DOWN (L7STS)"]
    assert api.writes() == []


def test_show_stat_keeps_backends_only_with_their_route():
    backends = parse_show_stat(SHOW_STAT, BACKENDS)
    assert [(b["name"], b["stack"], b["status"]) for b in backends] == [("shop.web.80", "shop", "UP")]
    assert backends[0]["servers"][1] == {"name": "shop-web-2", "address": "172.18.0.3:8000", "status": "DOWN",
                                         "check_status": "L7STS", "check_code": "404", "last_change_seconds": 3,
                                         "sessions_total": 5}
    assert parse_show_stat("") == []


def test_show_proc_reads_the_reload_count_and_the_workers():
    text = SHOW_PROC.format(reloads=3, failed=1, worker=20, old="8               worker          1\n")
    assert parse_show_proc(text) == {"master_pid": 1, "reloads": 3, "failed_reloads": 1, "workers": [20],
                                     "old_workers": [8]}


def test_a_refusal_outside_any_route_is_named_by_its_section_or_haproxys_words():
    config = "global\n    bogus\n"
    output = "[ALERT]    (9) : config : parsing [/x.cfg:2] : unknown keyword 'bogus' in 'global' section\n"
    assert describe_check_failure(output, config, {}) == ("section global (line 2): unknown keyword 'bogus' in "
                                                          "'global' section")
    assert describe_check_failure("[ALERT]    (9) : config : no listener\n", config, {}) == "no listener"


def test_a_server_haproxy_cannot_resolve_is_named_by_its_route():
    output = ("[ALERT]    (1) : config : [/x.cfg:6] : 'server shop.web.80/shop-web-1' : could not resolve address "
              "'web.local'.\n[ALERT]    (1) : config : Failed to initialize server(s) addr.\n")
    assert describe_check_failure(output, CONFIG, BACKENDS) == (
        "route stack shop, service web, port 80 (line 6): 'server shop.web.80/shop-web-1' : could not resolve "
        "address 'web.local'.")


def test_status_lines_name_a_backend_without_replicas():
    assert status_lines([{"stack": "a", "service": "b", "port": 1, "status": "DOWN", "servers": []}]) == [
        "a/b port 1: no replica (backend DOWN)"]
