"""The package is typed for real: ``mypy --strict`` and ``pyright`` accept
the package and a program that uses every public call
(typing/example_typed.py, strict for both), and report every deliberate
error of typing/example_wrong.py (each line marked ``# error``), so that the
check can fail. The example also runs, against the sandbox.

The checkers come from PyPI (``pip install mypy pyright``; run_tests.sh
installs them). Without them the tests are skipped, unless
ETNA_TYPECHECK_REQUIRED=1 (set by run_tests.sh) makes that a failure.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BINDING_DIR = Path(__file__).resolve().parents[1]
EXAMPLES = Path(__file__).resolve().parent / "typing"
TYPED = EXAMPLES / "example_typed.py"
WRONG = EXAMPLES / "example_wrong.py"
OLDEST = "3.9"  # the oldest Python the package supports


def _need(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        if os.environ.get("ETNA_TYPECHECK_REQUIRED") == "1":
            pytest.fail(f"{module} is not installed (pip install {module})")
        pytest.skip(f"{module} is not installed")


@pytest.fixture(scope="module")
def mypy(tmp_path_factory):
    _need("mypy")
    cache = tmp_path_factory.mktemp("mypy-cache")

    def run(*paths: Path):
        # (no --python-version 3.9: mypy itself no longer targets it; pyright
        # checks against 3.9, and the suite runs on 3.9)
        args = ["--strict", "--cache-dir", str(cache), "--no-error-summary"]
        done = subprocess.run(
            [sys.executable, "-m", "mypy", *args, *map(str, paths)],
            cwd=BINDING_DIR, capture_output=True, text=True, timeout=600,
        )
        errors = re.findall(r"^(.+?):(\d+): error: (.*)$", done.stdout, flags=re.M)
        return done.returncode, [(Path(f).name, int(line), text) for f, line, text in errors], done.stdout + done.stderr

    return run


@pytest.fixture(scope="module")
def pyright(tmp_path_factory):
    _need("pyright")
    work = tmp_path_factory.mktemp("pyright")

    def run(*paths: Path, strict: bool):
        config = work / ("strict.json" if strict else "basic.json")
        config.write_text(json.dumps({
            "typeCheckingMode": "strict" if strict else "standard",
            "pythonVersion": OLDEST,
            "extraPaths": [str(BINDING_DIR)],
        }))
        done = subprocess.run(
            [sys.executable, "-m", "pyright", "--outputjson", "-p", str(config), *map(str, paths)],
            cwd=BINDING_DIR, capture_output=True, text=True, timeout=600,
        )
        try:
            report = json.loads(done.stdout)
        except ValueError:
            pytest.fail(f"pyright gave no report: {done.stdout[-2000:]} {done.stderr[-2000:]}")
        errors = [
            (Path(d["file"]).name, d["range"]["start"]["line"] + 1, d["message"])
            for d in report["generalDiagnostics"]
            if d["severity"] == "error"
        ]
        return done.returncode, errors, done.stdout

    return run


def _marked(path: Path) -> set:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {i for i, line in enumerate(lines, 1) if re.search(r"\S  # error: ", line)}


def test_mypy_strict_accepts_the_package_and_the_example(mypy):
    code, errors, output = mypy(BINDING_DIR / "etna_auth", TYPED)
    assert (code, errors) == (0, []), output


def test_pyright_accepts_the_package(pyright):
    code, errors, output = pyright(BINDING_DIR / "etna_auth", strict=False)
    assert (code, errors) == (0, []), errors


def test_pyright_strict_accepts_the_example(pyright):
    # Strict: no Unknown type may reach the user's code from the package.
    code, errors, output = pyright(TYPED, strict=True)
    assert (code, errors) == (0, []), errors


def test_mypy_reports_every_deliberate_error(mypy):
    code, errors, output = mypy(WRONG)
    assert code != 0
    assert {line for name, line, _ in errors if name == WRONG.name} == _marked(WRONG), output


def test_pyright_reports_every_deliberate_error(pyright):
    code, errors, output = pyright(WRONG, strict=False)
    assert code != 0
    assert {line for name, line, _ in errors if name == WRONG.name} == _marked(WRONG), errors


def test_pyright_verifytypes_scores_at_least_95_percent(pyright):
    # The public interface's type completeness as pyright sees it from a
    # user's side (issue 30: 46.9 % before; exception attributes, the
    # library object).
    done = subprocess.run(
        [sys.executable, "-m", "pyright", "--verifytypes", "etna_auth", "--ignoreexternal", "--outputjson"],
        cwd=BINDING_DIR.parent, env=dict(os.environ, PYTHONPATH=str(BINDING_DIR)),
        capture_output=True, text=True, timeout=600,
    )
    try:
        report = json.loads(done.stdout)["typeCompleteness"]
    except (ValueError, KeyError):
        pytest.fail(f"pyright gave no report: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    assert report["packageRootDirectory"], report  # it found the package
    score = report["completenessScore"]
    unknown = [s["name"] for s in report["symbols"] if not s["isTypeKnown"]]
    assert score >= 0.95, (score, unknown)


def test_type_checkers_find_the_package_after_an_editable_install(mypy, pyright, tmp_path):
    # The README's `pip install -e bindings/python`, in a new virtual
    # environment: setup.py makes it in setuptools' strict mode, whose
    # static .pth file mypy and pyright follow (the default mode's import
    # hook is invisible to them).
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-e", str(BINDING_DIR)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    user = tmp_path / "user.py"
    user.write_text(
        "import etna_auth\n\n\n"
        "def name(error: etna_auth.EtnaError) -> str:\n"
        "    return error.status.name\n\n\n"
        "session: etna_auth.Session = etna_auth.Session('http://127.0.0.1:1/api', 'key')\n"
        "wrong: int = etna_auth.DEFAULT_TIMEOUT  # a float: both checkers must say so\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable", str(python), str(user)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert re.findall(r"user\.py:(\d+): error", done.stdout) == ["9"], done.stdout + done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", str(python), str(user)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    errors = [
        (d["range"]["start"]["line"] + 1, d["message"])
        for d in json.loads(done.stdout)["generalDiagnostics"]
        if d["severity"] == "error"
    ]
    assert [line for line, _ in errors] == [9], errors


def test_the_typed_example_runs(library):
    done = subprocess.run(
        [sys.executable, str(TYPED)],
        env=dict(os.environ, ETNA_AUTH_LIB=library, PYTHONPATH=str(BINDING_DIR)),
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "False" not in done.stdout, done.stdout
