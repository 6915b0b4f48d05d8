"""Make ``ansible_collections.flotilla.fleet`` importable from this checkout.

The repo root is the collection root, so a symlink under .build/ (git-ignored) gives Python the
``ansible_collections/flotilla/fleet`` path that module and plugin imports expect.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".build" / "pytest-collections"
LINK = COLLECTIONS / "ansible_collections" / "flotilla" / "fleet"

if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(ROOT, target_is_directory=True)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
