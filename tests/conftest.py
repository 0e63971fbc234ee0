"""Fixtures the tests share; the plain builders are in helpers.py."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True, scope="session")
def own_cache(tmp_path_factory: pytest.TempPathFactory):
    """The tests' own XDG cache (subprocesses inherit it), so no test reads or fills the user's."""
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    yield
    patch.undo()


def pytest_ignore_collect(collection_path, config) -> bool | None:
    """With `-m "not slow"`, a module marked slow as a whole is not even imported (scikit-learn's and
    onnxruntime's imports alone cost seconds of the edit loop)."""
    if config.getoption("markexpr", "").replace(" ", "") != "notslow" or collection_path.suffix != ".py":
        return None
    return "\npytestmark = pytest.mark.slow" in collection_path.read_text() or None
