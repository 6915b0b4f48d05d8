"""roles/cluster: defaults/main.yml and meta/argument_specs.yml describe the same variables and defaults."""

from pathlib import Path

import yaml

ROLE = Path(__file__).resolve().parents[3] / "roles" / "cluster"


def test_defaults_match_argument_specs():
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    options = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    assert set(defaults) == set(options)
    for name, spec in options.items():
        assert name.startswith("cluster_")
        assert spec["default"] == defaults[name], name
        if "choices" in spec:
            assert defaults[name] in spec["choices"], name
