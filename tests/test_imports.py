"""The architecture, checked: the core imports numpy and nothing else, `import nnbp` stays light, and
imports run one way through the rooms (cli → sweep, sklearn → run, export → config → training → data → core
→ system)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nnbp"
CORE = ["nnbp.activations", "nnbp.costs", "nnbp.network", "nnbp.backprop", "nnbp.per_example", "nnbp.sgd"]
LAYERS = [  # lowest first: a module may import from its own layer and the layers below it
    ["nnbp.errors"],
    ["nnbp.system"],
    [*CORE, "nnbp.schedule", "nnbp.gradcheck", "nnbp.diagnostics", "nnbp.model"],
    ["nnbp.data"],
    ["nnbp.training"],
    ["nnbp.config"],
    ["nnbp.run", "nnbp.benchmark", "nnbp.export"],
    ["nnbp.sweep", "nnbp.sklearn"],
    ["nnbp.cli", "nnbp.__main__"],
]
THIRD_PARTY = [
    *("yaml", "click", "tqdm", "threadpoolctl", "matplotlib", "PIL", "distributed", "dask"),
    *("sklearn", "scipy", "onnx", "onnxruntime"),
]


def layer_of(module: str) -> int:
    matches = [
        (len(prefix), i)
        for i, layer in enumerate(LAYERS)
        for prefix in layer
        if module == prefix or module.startswith(prefix + ".")
    ]
    assert matches, f"{module} is in no layer: add it to LAYERS"
    return max(matches)[1]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every nnbp module `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return {name for name in found if name.startswith("nnbp.")}


def test_imports_run_one_way_through_the_rooms():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        if name == "nnbp":  # the API: binds the core, loads the rest on first use
            continue
        for imported in imported_modules(path):
            if layer_of(imported) > layer_of(name):
                wrong.append(f"{name} imports {imported}")
    assert not wrong, "imports against the direction of the rooms:\n" + "\n".join(wrong)


def loaded_after(statement: str) -> list[str]:
    code = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    return json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


@pytest.mark.parametrize("statement", ["import " + ", ".join(CORE), "import nnbp"])
def test_the_core_and_the_package_import_numpy_and_nothing_else(statement):
    modules = loaded_after(statement)
    assert {m for m in modules if m.startswith("nnbp")} <= {"nnbp", "nnbp.errors", *CORE}
    assert not [m for m in modules if m.split(".")[0] in THIRD_PARTY]


def test_the_api_loads_the_rest_on_first_use_and_is_typed():
    import inspect

    import nnbp
    from nnbp.config import TrainConfig
    from nnbp.run import History

    assert nnbp.TrainConfig is TrainConfig and nnbp.History is History
    assert inspect.signature(nnbp.train).return_annotation == "History"
    assert callable(nnbp.backprop) and set(nnbp.__all__) <= set(dir(nnbp))
    with pytest.raises(AttributeError):
        nnbp.no_such_name  # noqa: B018


def test_package_init_files_only_gather_names():
    """A room's main classes and services live in modules named for them, not in its __init__.py."""
    for init in PACKAGE.rglob("__init__.py"):
        tree = ast.parse(init.read_text())
        defined = [n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))]
        allowed = {"__getattr__", "__dir__", "load_model", "load_network", "train"} if init.parent == PACKAGE else set()
        assert set(defined) <= allowed, f"{init}: defines {defined}"
