"""Print `package==floor` for every `package>=floor` that pyproject.toml declares (dependencies and
the extras named on the command line), so CI can prove that each declared lower bound works.

    python scripts/lowest_requirements.py test > lowest.txt && pip install -r lowest.txt
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def lowest(requirements: list[str]) -> list[str]:
    pins = []
    for requirement in requirements:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*", requirement)
        if not match:
            raise SystemExit(f"{PYPROJECT}: {requirement!r} has no plain >= lower bound to test")
        pins.append(f"{match[1]}=={match[2]}")
    return pins


def main() -> None:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in sys.argv[1:]:
        requirements += project["optional-dependencies"][extra]
    print("\n".join(dict.fromkeys(lowest(requirements))))


if __name__ == "__main__":
    main()
