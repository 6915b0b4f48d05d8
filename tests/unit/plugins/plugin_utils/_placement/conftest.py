"""Make ``helpers`` (and the guard's modules) importable from every test directory below this one."""

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
