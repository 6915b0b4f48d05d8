"""The ingress role's interface: defaults match the argument spec, and the filter returns bad input as `error`."""

from pathlib import Path

import yaml

from ansible_collections.flotilla.fleet.plugins.filter.ingress_plan import FilterModule

ROLE = Path(__file__).resolve().parents[3] / "roles" / "ingress"


def test_every_default_is_in_the_argument_spec_with_the_same_value():
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    options = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(options)
    assert all(name.startswith("ingress_") for name in defaults)
    assert {name: options[name].get("default") for name in options} == defaults


def test_the_filter_returns_bad_input_as_error_and_good_input_as_a_plan():
    plan_filter = FilterModule().filters()["ingress_plan"]
    bad = plan_filter([], [{"stack": "shop", "service": "web", "port": 80, "path": "api"}])
    assert bad == {"error": "stack shop, service web: path: 'api' must start with /", "routes": [], "config": None,
                   "ports": [], "backends": {}}
    good = plan_filter([], [{"stack": "shop", "service": "web", "port": 80}], ["shop"], "127.0.0.1")
    assert good["error"] is None
    assert good["ports"] == ["127.0.0.1:80:80"]
