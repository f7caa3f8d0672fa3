"""Builds the etna_auth wheel: the ctypes package with the native library inside.

The metadata is in pyproject.toml; this file only decides what native library
goes into the package directory (``etna_auth/libetna_auth.so``, ``.dylib`` or
``etna_auth.dll``, where ``etna_auth._ffi`` looks first) and tags the wheel
for the platform it was built for:

1. ``ETNA_AUTH_BUNDLE_LIB=/path/to/libetna_auth.so``: a library built
   beforehand (``packaging/build.sh`` passes the cargo-c build of each
   target, with ``ETNA_AUTH_WHEEL_PLAT`` set to the wheel's platform tag,
   e.g. ``manylinux_2_34_x86_64``, ``musllinux_1_2_x86_64`` or
   ``win_amd64``);
2. else, when the Rust sources are at hand (``rust/`` in the sdist, or the
   repository two levels up), ``cargo build --release -p etna-auth-ffi``
   builds it: this is how ``pip install etna_auth-X.Y.Z.tar.gz`` works where
   no wheel fits (it needs cargo and a C compiler);
3. an editable install (``pip install -e``) bundles nothing: the package
   then finds ``target/release`` of the repository, or ``ETNA_AUTH_LIB``.
   It is made in setuptools' ``strict`` mode unless ``--config-settings
   editable_mode=...`` says otherwise: a tree of links to the sources that
   a static ``.pth`` file names, which mypy and pyright follow (the default
   mode's import hook is invisible to them). A module added to the package
   later needs ``pip install -e`` again.

A ctypes package has no extension module, so the wheel would be tagged
pure (``py3-none-any``); with a library inside it is ``py3-none-<platform>``
instead: the C ABI is the same for every Python 3.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.install import install

from setuptools.command.editable_wheel import editable_wheel

try:  # setuptools >= 70.1 has its own
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover - older setuptools with the wheel package
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
LIB_NAMES = ("libetna_auth.so", "libetna_auth.dylib", "etna_auth.dll")


def library_file_name():
    if sys.platform in ("win32", "cygwin"):
        return "etna_auth.dll"
    if sys.platform == "darwin":
        return "libetna_auth.dylib"
    return "libetna_auth.so"


def rust_workspace():
    """The Cargo workspace to build the library from, or None."""
    for candidate in (HERE / "rust", HERE.parent.parent):
        if (candidate / "Cargo.toml").is_file() and (candidate / "capi" / "Cargo.toml").is_file():
            return candidate
    return None


def prebuilt_library():
    value = os.environ.get("ETNA_AUTH_BUNDLE_LIB")
    if not value:
        return None
    path = Path(value)
    if not path.is_file():
        raise SystemExit(f"setup.py: ETNA_AUTH_BUNDLE_LIB={value}: no such file")
    if path.name not in LIB_NAMES:
        raise SystemExit(f"setup.py: ETNA_AUTH_BUNDLE_LIB must name one of {', '.join(LIB_NAMES)}, not {path.name}")
    return path


def cargo_build(workspace):
    """Builds the C library with cargo; returns its path."""
    cargo = os.environ.get("CARGO", "cargo")
    if shutil.which(cargo) is None:
        raise SystemExit(
            "setup.py: building etna-auth's native library from source needs cargo "
            "(https://rustup.rs) and a C compiler; or install a wheel built for this platform"
        )
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR") or workspace / "target")
    cmd = [cargo, "build", "--release", "--locked", "-p", "etna-auth-ffi"]
    print("setup.py: " + " ".join(cmd) + f" (in {workspace})", flush=True)
    subprocess.run(cmd, cwd=str(workspace), check=True)
    built = target_dir / "release" / library_file_name()
    if not built.is_file():
        raise SystemExit(f"setup.py: cargo finished but {built} is missing")
    return built


def cargo_version():
    """The version: the workspace Cargo.toml's [workspace.package] version
    (beside this file in an sdist, else the repository's), else PKG-INFO."""
    workspace = rust_workspace()
    if workspace is not None:
        section = None
        for line in (workspace / "Cargo.toml").read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("["):
                section = line
            elif section == "[workspace.package]" and line.replace(" ", "").startswith("version="):
                return line.split("=", 1)[1].strip().strip('"')
        raise SystemExit(f"setup.py: no [workspace.package] version in {workspace / 'Cargo.toml'}")
    pkg_info = HERE / "PKG-INFO"
    if pkg_info.is_file():
        for line in pkg_info.read_text(encoding="utf-8").splitlines():
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip()
    raise SystemExit("setup.py: cannot tell the version (no Cargo.toml, no PKG-INFO)")


def will_bundle():
    return prebuilt_library() is not None or rust_workspace() is not None


class BuildPy(build_py):
    """build_py, then the native library copied into the built package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        lib = prebuilt_library()
        if lib is None:
            workspace = rust_workspace()
            if workspace is None:
                return
            lib = cargo_build(workspace)
        dest = Path(self.build_lib) / "etna_auth" / lib.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(lib, dest)
        os.chmod(dest, 0o755)
        print(f"setup.py: bundled {lib} as {dest}", flush=True)


class Install(install):
    """With a library bundled, the package goes to platlib (a platform wheel's
    root), where auditwheel and installers expect binaries."""

    def finalize_options(self):
        super().finalize_options()
        if will_bundle():
            self.install_lib = self.install_platlib


class BdistWheel(bdist_wheel):
    """A platform wheel (py3-none-<platform>) when a library is bundled."""

    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = not will_bundle()

    def get_tag(self):
        python, abi, plat = super().get_tag()
        if self.root_is_pure:
            return python, abi, plat
        return "py3", "none", os.environ.get("ETNA_AUTH_WHEEL_PLAT") or plat


class EditableWheel(editable_wheel):
    """``pip install -e``: strict mode by default, visible to type checkers
    (see the module docstring); ``--config-settings editable_mode=...``
    still chooses."""

    def initialize_options(self):
        super().initialize_options()
        self.mode = "strict"


setup(
    version=cargo_version(),
    cmdclass={"build_py": BuildPy, "install": Install, "bdist_wheel": BdistWheel, "editable_wheel": EditableWheel},
)
