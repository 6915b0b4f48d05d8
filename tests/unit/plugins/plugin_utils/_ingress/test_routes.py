"""Ingress routes: every bad input is refused with its exact message; merges keep other stacks' routes."""

import pytest

from ansible_collections.flotilla.fleet.plugins.plugin_utils._ingress._routes import (
    RouteError, merge_routes, normalize_routes)


def route(stack="shop", service="web", port=80, **extra):
    value = {"stack": stack, "service": service, "port": port,
             "upstreams": [{"name": "%s-%s-1" % (stack, service), "address": "172.18.0.2", "port": 8000}]}
    value.update(extra)
    return value


def refused(routes, current=None, stacks=None):
    with pytest.raises(RouteError) as caught:
        if current is None and stacks is None:
            normalize_routes(routes)
        else:
            merge_routes(current or [], routes, stacks)
    return str(caught.value)


@pytest.mark.parametrize("routes, message", [
    ([route(), route(stack="blog")],
     "stack shop, service web: port: port 80 is already routed to stack blog, service web (give each route its "
     "own virtual host or path)"),
    ([route(host="a.test"), route(stack="blog", host="A.test")],
     "stack shop, service web: host: port 80, host a.test is already routed to stack blog, service web (give "
     "each route its own virtual host or path)"),
    ([route(host="a.test", path="/api"), route(stack="blog", host="a.test", path="/api")],
     "stack shop, service web: host: port 80, host a.test, path /api is already routed to stack blog, service "
     "web (give each route its own virtual host or path)"),
    ([route(host="www.test"), route(host="WWW.test")],
     "stack shop, service web: host: virtual host www.test is given twice for port 80"),
    ([route(), route()], "stack shop, service web: port: port 80 is given twice without a virtual host"),
    ([route(upstreams=[{"name": "shop-web-1", "address": "172.18.0.2"}])],
     "stack shop, service web: upstreams[0].port: replica shop-web-1 has no port for ingress port 80 (the "
     "service does not publish or expose the port the route sends traffic to)"),
    ([route(path="api")], "stack shop, service web: path: 'api' must start with /"),
    ([route(path="/a b")], "stack shop, service web: path: '/a b' must not contain spaces"),
    ([route(health="health")], "stack shop, service web: health: 'health' must start with /"),
    ([route(port=0)], "stack shop, service web: port: 0 is not between 1 and 65535"),
    ([route(port="http")], "stack shop, service web: port: 'http' is not a port number"),
    ([route(port=True)], "stack shop, service web: port: True is not a port number"),
    ([route(port=None)], "stack shop, service web: port: is required (the port the ingress listens on for this "
                         "route)"),
    ([route(host="bad host")], "stack shop, service web: host: 'bad host' is not a virtual host name"),
    ([route(host="*.example.test")], "stack shop, service web: host: '*.example.test' is not a virtual host name"),
    ([route(stack="bad name")], "routes[0]: stack: 'bad name' is not a name (letters, digits, _ . -, starting "
                                "with a letter or digit)"),
    ([{"service": "web", "port": 80}], "routes[0]: stack: None is not a name (letters, digits, _ . -, starting "
                                       "with a letter or digit)"),
    (["web"], "routes[0]: must be a dictionary, got str"),
    ([route(weight=3)], "stack shop, service web: unknown field weight (known: stack, service, port, host, path, "
                        "health, backend_options, upstreams)"),
    ([route(upstreams="web-1")], "stack shop, service web: upstreams: must be a list of {name, address, port}"),
    ([route(upstreams=["web-1"])], "stack shop, service web: upstreams[0]: must be a dictionary with name, "
                                   "address and port"),
    ([route(upstreams=[{"name": "w1", "address": "172.18.0.2", "port": 80, "weight": 2}])],
     "stack shop, service web: upstreams[0]: unknown field weight (known: name, address, port)"),
    ([route(upstreams=[{"name": "w 1", "address": "172.18.0.2", "port": 80}])],
     "stack shop, service web: upstreams[0].name: 'w 1' is not a replica name (letters, digits, _ . -)"),
    ([route(upstreams=[{"name": "w1", "address": "", "port": 80}])],
     "stack shop, service web: upstreams[0].address: '' is not an IPv4 address or host name of replica w1"),
    ([route(upstreams=[{"name": "w1", "address": "fd00::2", "port": 80}])],
     "stack shop, service web: upstreams[0].address: 'fd00::2' is not an IPv4 address or host name of replica w1"),
    ([route(upstreams=[{"name": "w1", "address": "172.18.0.2", "port": 70000}])],
     "stack shop, service web: upstreams[0].port: 70000 is not between 1 and 65535"),
    ([route(upstreams=[{"name": "w1", "address": "a", "port": 1}, {"name": "w1", "address": "b", "port": 1}])],
     "stack shop, service web: upstreams[1].name: replica w1 is given twice"),
    ([route(backend_options="balance first")],
     "stack shop, service web: backend_options: must be a list of strings (HAProxy backend lines)"),
    ([route(backend_options=["balance first\nserver evil 1.2.3.4:80"])],
     "stack shop, service web: backend_options: 'balance first\\nserver evil 1.2.3.4:80' must be one non-empty "
     "line"),
    ([route(host="a.test"), route(host="b.test", health="/health")],
     "stack shop, service web: health: differs between its routes on port 80 (one service on one port has one "
     "set of replicas)"),
])
def test_bad_routes_are_refused_with_an_exact_message(routes, message):
    assert refused(routes) == message


def test_routes_must_be_a_list():
    assert refused({"stack": "shop"}) == "routes: must be a list of routes, got dict"


def test_a_port_is_shared_by_virtual_host_and_by_path():
    routes = normalize_routes([route(host="a.test"), route(stack="blog", host="b.test"),
                               route(stack="api", path="/api"), route(stack="www")])
    assert [(item["stack"], item["host"], item["path"]) for item in routes] == [
        ("www", None, None), ("api", None, "/api"), ("shop", "a.test", None), ("blog", "b.test", None)]


def test_slash_is_the_same_route_as_no_path():
    assert refused([route(path="/"), route(stack="blog")]) == (
        "stack shop, service web: port: port 80 is already routed to stack blog, service web (give each route "
        "its own virtual host or path)")


def test_canonical_form_does_not_depend_on_input_order():
    first = normalize_routes([route(port="80", upstreams=[{"name": "b", "address": "x", "port": "81"},
                                                          {"name": "a", "address": "y", "port": 82}]),
                              route(stack="blog", port=81)])
    second = normalize_routes([route(stack="blog", port=81),
                               route(port=80, upstreams=[{"name": "a", "address": "y", "port": 82},
                                                         {"name": "b", "address": "x", "port": 81}])])
    assert first == second
    assert [server["name"] for server in first[0]["upstreams"]] == ["a", "b"]


def test_a_merge_replaces_only_the_stacks_it_names():
    current = normalize_routes([route(stack="blog", host="blog.test"), route(host="shop.test")])
    merged = merge_routes(current, [route(host="shop.test", upstreams=[])])
    assert merged == normalize_routes([route(stack="blog", host="blog.test"), route(host="shop.test", upstreams=[])])


def test_a_stack_named_without_routes_loses_its_routes_only():
    current = normalize_routes([route(stack="blog", host="blog.test"), route(host="shop.test")])
    assert merge_routes(current, [], ["shop"]) == normalize_routes([route(stack="blog", host="blog.test")])


def test_a_merge_refuses_a_match_another_stack_holds_naming_the_new_route():
    current = normalize_routes([route(stack="blog", host="a.test")])
    assert refused([route(host="a.test")], current=current) == (
        "stack shop, service web: host: port 80, host a.test is already routed to stack blog, service web (give "
        "each route its own virtual host or path)")


def test_a_route_must_belong_to_a_stack_the_run_changes():
    assert refused([route(stack="blog")], current=[], stacks=["shop"]) == (
        "stack blog, service web: stack: blog is not one of the stacks this run changes (shop)")


def test_stacks_must_be_names():
    assert refused([route()], current=[], stacks="shop") == "stacks: must be a list of stack names"
