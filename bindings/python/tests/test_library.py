"""Finding the library: explicit path, ETNA_AUTH_LIB, bundled, the
repository's target/release, and one clear error naming every path tried.

Each case runs in a fresh interpreter: the library is loaded once per process.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import etna_auth
from etna_auth import _ffi

BINDING_DIR = Path(__file__).resolve().parents[1]


def run(code, *, cwd, env_lib=None):
    env = {k: v for k, v in os.environ.items() if k != "ETNA_AUTH_LIB"}
    if env_lib is not None:
        env["ETNA_AUTH_LIB"] = str(env_lib)
    env["PYTHONPATH"] = str(cwd)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=str(cwd), env=env, capture_output=True, text=True, timeout=60
    )


LOAD = "import etna_auth; print(etna_auth.load_library().path)"
SESSION = "import etna_auth; etna_auth.Session('https://example.com/api', 'k')"


@pytest.fixture
def copied_package(tmp_path):
    """The package copied to tmp/a/b/etna_auth: no target/release near it."""
    root = tmp_path / "a" / "b"
    shutil.copytree(BINDING_DIR / "etna_auth", root / "etna_auth",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.dylib", "*.dll"))
    return root


def test_file_name_per_platform():
    assert _ffi.library_file_name("linux") == "libetna_auth.so"
    assert _ffi.library_file_name("darwin") == "libetna_auth.dylib"
    assert _ffi.library_file_name("win32") == "etna_auth.dll"
    assert _ffi.library_file_name("freebsd13") == "libetna_auth.so"


def test_not_found_names_every_path_tried(copied_package, tmp_path):
    result = run(SESSION, cwd=copied_package)
    assert result.returncode != 0
    err = result.stderr
    assert "LibraryNotFoundError" in err
    bundled = copied_package / "etna_auth" / _ffi.library_file_name()
    repo = tmp_path / "target" / "release" / _ffi.library_file_name()
    assert str(bundled) in err and str(repo) in err
    assert "not found" in err and "ETNA_AUTH_LIB" in err and "cargo build --release" in err


def test_not_found_is_an_import_error():
    assert issubclass(etna_auth.LibraryNotFoundError, ImportError)


def test_import_works_without_the_library(copied_package):
    # Only using the library needs it.
    result = run("import etna_auth; print(etna_auth.Step.DONE)", cwd=copied_package)
    assert result.returncode == 0, result.stderr
    assert "Step.DONE" in result.stdout


def test_a_wrong_env_var_is_an_error_not_a_fallback(tmp_path):
    wrong = tmp_path / "nowhere" / "libetna_auth.so"
    result = run(LOAD, cwd=BINDING_DIR, env_lib=wrong)
    assert result.returncode != 0
    assert str(wrong) in result.stderr and "ETNA_AUTH_LIB" in result.stderr


def test_a_wrong_explicit_path_is_an_error(library, tmp_path):
    wrong = tmp_path / "libetna_auth.so"
    code = f"import etna_auth; etna_auth.load_library({str(wrong)!r})"
    result = run(code, cwd=BINDING_DIR, env_lib=library)
    assert result.returncode != 0
    assert str(wrong) in result.stderr and "explicit path" in result.stderr


def test_a_file_that_is_not_a_library(tmp_path):
    fake = tmp_path / "libetna_auth.so"
    fake.write_text("not a shared object")
    result = run(LOAD, cwd=BINDING_DIR, env_lib=fake)
    assert result.returncode != 0
    assert "LibraryNotFoundError" in result.stderr and str(fake) in result.stderr


def test_a_bare_name_goes_to_the_system_search(tmp_path):
    result = run(LOAD, cwd=BINDING_DIR, env_lib="libetna_auth_nonexistent.so")
    assert result.returncode != 0
    assert "libetna_auth_nonexistent.so (ETNA_AUTH_LIB)" in result.stderr


def test_a_library_without_the_symbols(tmp_path):
    import ctypes.util

    libc = ctypes.util.find_library("c")
    assert libc, "no libc found to stand in for a foreign library"
    code = f"import etna_auth; etna_auth.load_library({libc!r})"
    result = run(code, cwd=BINDING_DIR)
    assert result.returncode != 0
    assert "missing symbol etna_" in result.stderr


def test_env_var_is_used(library, copied_package):
    result = run(LOAD, cwd=copied_package, env_lib=library)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == library


def test_explicit_path_is_used(library, copied_package):
    code = f"import etna_auth; print(etna_auth.load_library({library!r}).path)"
    result = run(code, cwd=copied_package)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == library


def test_bundled_library_is_found(library, copied_package):
    bundled = copied_package / "etna_auth" / _ffi.library_file_name()
    shutil.copy(library, bundled)
    result = run(LOAD, cwd=copied_package)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(bundled)


def test_repository_target_release_is_found(library, tmp_path):
    # Without ETNA_AUTH_LIB, from a source tree: <repo>/target/release. A
    # copy of the tree's layout, so that the test does not depend on where
    # this checkout's build went (CARGO_TARGET_DIR).
    repo = tmp_path / "repo"
    package_dir = repo / "bindings" / "python"
    shutil.copytree(BINDING_DIR / "etna_auth", package_dir / "etna_auth",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.dylib", "*.dll"))
    expected = repo / "target" / "release" / _ffi.library_file_name()
    expected.parent.mkdir(parents=True)
    shutil.copy(library, expected)
    result = run(LOAD, cwd=package_dir)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == expected


def test_loading_another_file_once_loaded_is_refused(library, tmp_path):
    other = tmp_path / "libetna_auth.so"
    shutil.copy(library, other)
    with pytest.raises(RuntimeError, match="already loaded"):
        etna_auth.load_library(other)
    assert etna_auth.load_library(library).path == _ffi.lib().path
