import sys
from pathlib import Path

import pytest

BINDING_DIR = Path(__file__).resolve().parents[1]
REPO_DIR = BINDING_DIR.parents[1]
sys.path.insert(0, str(BINDING_DIR))

import etna_auth  # noqa: E402
from helpers import Scripted  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def library() -> str:
    """The library under test: ETNA_AUTH_LIB (set by run_tests.sh), else the
    package's own search. Loaded once; a missing library fails every test."""
    lib = etna_auth.load_library()
    return str(lib.path)


@pytest.fixture(scope="module")
def sandbox():
    with etna_auth.Sandbox() as sb:
        yield sb


@pytest.fixture
def session(sandbox):
    with etna_auth.Session(sandbox.url, sandbox.app_key, timeout=10) as s:
        yield s


@pytest.fixture
def serve():
    """serve(answers, transport="http") -> a Scripted server
    (tests/scenarios/hostile_server.py playing ``answers``), closed after
    the test."""
    servers = []

    def start(answers, **kwargs):
        server = Scripted(answers, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
