# Sourced by the test scripts: install Debian packages on demand, as root or
# through sudo. The first try uses the package lists as they are; when it
# fails (a fresh machine has none), the lists are updated once and it tries
# again. Waits up to 10 minutes for another apt-get's lock.
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }
apt_install() { # packages...
    echo "installing $* (apt-get)" >&2
    local apt=(apt-get -o DPkg::Lock::Timeout=600)
    as_root env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "$@" >/dev/null 2>&1 \
        || { as_root "${apt[@]}" update -qq >/dev/null 2>&1
             as_root env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "$@" >/dev/null; }
}
