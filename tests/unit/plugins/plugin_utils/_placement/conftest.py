"""Make ``helpers`` (and the guard's modules) importable from every test directory below this one.

``FLOTILLA_PLACEMENT_ROOT``: a directory holding another copy of the collection tree
(``ansible_collections/flotilla/fleet/plugins/plugin_utils/_placement``, for example the code
before a fix, from ``git archive``). Its modules are found first (``ansible_collections`` is a
namespace package), so the guard can show what it finds there.
"""

import os
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
OTHER_ROOT = os.environ.get("FLOTILLA_PLACEMENT_ROOT")
if OTHER_ROOT and OTHER_ROOT not in sys.path:
    sys.path.insert(0, OTHER_ROOT)
