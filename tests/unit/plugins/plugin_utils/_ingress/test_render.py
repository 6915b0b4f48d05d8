"""The HAProxy config: deterministic, most specific rule first, one stack's change leaves other lines alone."""

import pytest

from ansible_collections.flotilla.fleet.plugins.plugin_utils._ingress._api import ingress_plan
from ansible_collections.flotilla.fleet.plugins.plugin_utils._ingress._render import render_config
from ansible_collections.flotilla.fleet.plugins.plugin_utils._ingress._routes import RouteError, normalize_routes


def upstream(name, address="172.18.0.2", port=8000):
    return {"name": name, "address": address, "port": port}


ROUTES = [
    {"stack": "shop", "service": "web", "port": 8080, "health": "/health",
     "upstreams": [upstream("shop-web-2", "172.18.0.3"), upstream("shop-web-1")]},
    {"stack": "shop", "service": "api", "port": 8080, "path": "/api/", "upstreams": [upstream("shop-api-1")]},
    {"stack": "blog", "service": "web", "port": 8080, "host": "Blog.Example.test",
     "upstreams": [upstream("blog-web-1", "172.19.0.2", 80)]},
    {"stack": "blog", "service": "admin", "port": 9000, "upstreams": []},
]


def section(config, header):
    lines = config.split("\n\n")
    return next(block for block in lines if block.startswith(header))


def test_same_routes_in_any_order_render_the_same_bytes():
    assert render_config(normalize_routes(ROUTES)) == render_config(normalize_routes(list(reversed(ROUTES))))


def test_a_frontend_per_port_with_the_most_specific_rule_first():
    config = render_config(normalize_routes(ROUTES))
    frontend = section(config, "frontend port-8080").splitlines()
    assert frontend[1] == "    bind :8080"
    rules = [line.strip() for line in frontend if line.strip().startswith(("use_backend", "default_backend"))]
    assert [rule.split()[1] for rule in rules] == ["blog.web.8080", "shop.api.8080", "shop.web.8080"]
    assert rules[-1] == "default_backend shop.web.8080"
    host_acl = [line.strip() for line in frontend if line.strip().startswith("acl ")
                and line.endswith(" blog.example.test")]
    assert host_acl and host_acl[0].split()[2:] == ["req.hdr(host),field(1,:),lower", "-m", "str",
                                                    "blog.example.test"]
    path_acls = [line.strip().split(" ", 2)[2] for line in frontend if "-path " in line]
    assert path_acls == ["path -m str /api", "path -m beg /api/"]
    assert "frontend port-9000\n    bind :9000" in config


def test_backends_check_every_replica_and_use_http_checks_only_with_a_health_path():
    config = render_config(normalize_routes(ROUTES))
    web = section(config, "backend shop.web.8080").splitlines()
    assert "    option httpchk GET /health" in web
    assert web[-2:] == ["    server shop-web-1 172.18.0.2:8000 check", "    server shop-web-2 172.18.0.3:8000 check"]
    blog = section(config, "backend blog.web.8080").splitlines()
    assert not [line for line in blog if "httpchk" in line]
    assert blog[-1] == "    server blog-web-1 172.19.0.2:80 check"
    assert "    default-server inter 1s fall 2 rise 1" in config.splitlines()
    assert "expose-fd listeners" in section(config, "# Managed").splitlines()[4]


def test_backend_options_are_written_into_the_backend():
    routes = normalize_routes([dict(ROUTES[0], backend_options=["  timeout server 5s  "])])
    assert "    timeout server 5s" in section(render_config(routes), "backend shop.web.8080").splitlines()


def test_a_service_on_two_virtual_hosts_of_one_port_has_one_backend():
    routes = normalize_routes([dict(ROUTES[2], host="a.test"), dict(ROUTES[2], host="b.test")])
    config = render_config(routes)
    assert config.count("\nbackend blog.web.8080\n") == 1
    assert config.count("use_backend blog.web.8080 if") == 2


def lines_of(config, stack):
    return [line for line in config.splitlines() if stack + "." in line or "stack " + stack in line]


def test_one_stacks_change_never_touches_another_stacks_lines():
    before = render_config(normalize_routes(ROUTES))
    changed = [dict(route, upstreams=route["upstreams"] + [upstream("shop-x-9")]) if route["stack"] == "shop"
               else route for route in ROUTES]
    changed.append({"stack": "shop", "service": "new", "port": 8080, "host": "a.test", "upstreams": []})
    after = render_config(normalize_routes(changed))
    assert before != after
    assert lines_of(before, "blog") == lines_of(after, "blog")


def test_no_route_still_renders_a_config_haproxy_starts_with():
    config = render_config([])
    assert "frontend flotilla-ready\n    bind unix@/run/haproxy-ready.sock" in config
    assert "backend" not in config.split("defaults", 1)[1].replace("default_backend", "")


def test_the_plan_publishes_every_port_on_the_bind_address_and_names_the_backends():
    plan = ingress_plan([], ROUTES, bind_address="192.0.2.7")
    assert plan["ports"] == ["192.0.2.7:8080:8080", "192.0.2.7:9000:9000"]
    assert plan["backends"]["shop.api.8080"] == {"stack": "shop", "service": "api", "port": 8080}
    assert plan["config"] == render_config(plan["routes"])


@pytest.mark.parametrize("address", ["0.0.0.0.0", "::1", "localhost", None])
def test_the_bind_address_must_be_an_ipv4_address(address):
    with pytest.raises(RouteError) as caught:
        ingress_plan([], ROUTES, bind_address=address)
    assert str(caught.value) == ("bind_address: %r is not an IPv4 address (publish the ingress on an explicit "
                                 "address, such as 127.0.0.1)" % (address,))
