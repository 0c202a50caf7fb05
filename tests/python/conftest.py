"""pytest setup for the Python API tests (run by ctest as python_test).

ctest imports the package from the source tree (PYTHONPATH=pipeline/python)
with WIRETAG_LIBRARY pointing at the build's libwiretag.so, and gives the
built CLI (WIRETAG_CLI) to compare against; nothing is installed and no
network is needed.
"""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("WIRETAG_CLI", str(ROOT / "build" / "wiretag"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"the wiretag binary ({path}) is needed: set WIRETAG_CLI")
    return path


@pytest.fixture(scope="session")
def fixtures():
    return pathlib.Path(os.environ.get("WT_FIXTURES", ROOT / "tests" / "fixtures"))


@pytest.fixture(scope="session")
def default_model():
    return ROOT / "models" / "conflict-v2.wtm"
