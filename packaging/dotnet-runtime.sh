# Sourced (bash): provides a .NET Core runtime without an SDK, for running
# mcs-built assemblies on CoreCLR (`"$dotnet" exec --runtimeconfig X.json X.exe`).
# Used by packaging/test_artifacts.sh and bindings/csharp/run_tests.sh.
#
# Sets:   dotnet          the `dotnet` host (ETNA_AUTH_DOTNET when set, else
#                         the one unpacked from the dotnetcore2 wheel)
#         dotnet_version  the Microsoft.NETCore.App version it carries (3.1.23)
# Exports DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 (no ICU here) and
#         DOTNET_CLI_TELEMETRY_OPTOUT=1.
# Reads:  python          the Python whose pip downloads the wheel (default python3)
#         apt_install     a function installing Debian packages, when the caller
#                         has one (else a plain apt-get, as root)
#
# The runtime comes from the dotnetcore2 wheel on PyPI (the `dotnet` host and
# Microsoft.NETCore.App 3.1.23), checked against its SHA-256 and unpacked once
# into ${XDG_CACHE_HOME:-~/.cache}/etna-auth/dotnetcore2-3.1.23.
# Exits (the caller) with a message when it cannot.

python=${python:-python3}
dotnet_version=3.1.23
_etna_dotnet_wheel=dotnetcore2-$dotnet_version-py3-none-manylinux1_x86_64.whl
_etna_dotnet_wheel_sha256=5f076ddc39da0c685e7de20ecb91ee81185928918ec86fbeb3bffc55dd867ab5
_etna_dotnet_dir=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/etna-auth/dotnetcore2-$dotnet_version
dotnet=${ETNA_AUTH_DOTNET:-}

_etna_dotnet_apt() {
    if declare -F apt_install >/dev/null; then
        apt_install "$@"
        return
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "dotnet-runtime.sh: $* missing, and installing it needs root (apt-get install $*)" >&2
        exit 1
    fi
    apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ -z "$dotnet" ]; then
    if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
        echo "dotnet-runtime.sh: the dotnetcore2 wheel is for Linux x86-64; elsewhere set ETNA_AUTH_DOTNET to a dotnet host with Microsoft.NETCore.App" >&2
        exit 1
    fi
    dotnet=$_etna_dotnet_dir/dotnet
    if [ ! -x "$dotnet" ]; then
        echo "dotnet-runtime.sh: installing the .NET Core $dotnet_version runtime (PyPI wheel dotnetcore2) into $_etna_dotnet_dir"
        if ! "$python" -m pip --version >/dev/null 2>&1; then
            _etna_dotnet_apt python3-pip
        fi
        mkdir -p "$(dirname "$_etna_dotnet_dir")"
        _etna_dotnet_tmp=$(mktemp -d "$(dirname "$_etna_dotnet_dir")/.dotnetcore2.XXXXXX")
        "$python" -m pip download -q --no-deps --only-binary=:all: --platform manylinux1_x86_64 \
            --python-version 3 "dotnetcore2==$dotnet_version" -d "$_etna_dotnet_tmp/wheel"
        echo "$_etna_dotnet_wheel_sha256  $_etna_dotnet_tmp/wheel/$_etna_dotnet_wheel" | sha256sum -c --quiet -
        "$python" -m zipfile -e "$_etna_dotnet_tmp/wheel/$_etna_dotnet_wheel" "$_etna_dotnet_tmp/x"
        chmod +x "$_etna_dotnet_tmp/x/dotnetcore2/bin/dotnet"
        # Renamed into place whole, so that a run in parallel never sees half a runtime.
        mv -T "$_etna_dotnet_tmp/x/dotnetcore2/bin" "$_etna_dotnet_dir" 2>/dev/null || true
        rm -rf "$_etna_dotnet_tmp"
        [ -x "$dotnet" ] || { echo "dotnet-runtime.sh: no $dotnet after unpacking the wheel" >&2; exit 1; }
    fi
fi
# No ICU on the machine: the invariant culture is all the tests need.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
