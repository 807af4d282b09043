# Shared by scripts/test and scripts/suite: system packages and the Swift build.

# Installs the Debian packages kbench builds against (and any extra ones
# asked for) when they are missing: with apt-get when running as root,
# otherwise by printing the exact command to run.
ensure_packages() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -eq 0 ]; then
        echo "kbench: installing ${missing[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "kbench: missing system packages; run: sudo apt-get install -y ${missing[*]}" >&2
        return 1
    fi
}

require_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        echo "kbench: swift is not on PATH; install Swift 6 (https://swift.org/install) first" >&2
        return 1
    fi
}

KBENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export KBENCH_ROOT

# Installs Python modules (pip names = import names here) when python3 lacks
# them: with pip when running as root, otherwise by printing the command.
ensure_python_modules() {
    command -v python3 >/dev/null 2>&1 || { echo "kbench: python3 not found" >&2; return 1; }
    local missing=()
    for module in "$@"; do
        python3 -c "import $module" 2>/dev/null || missing+=("$module")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -eq 0 ]; then
        echo "kbench: installing python modules ${missing[*]}" >&2
        python3 -m pip install --quiet "${missing[@]}" >&2 || return 1
        for module in "${missing[@]}"; do python3 -c "import $module" 2>/dev/null || return 1; done
    else
        echo "kbench: missing python modules; run: python3 -m pip install ${missing[*]}" >&2
        return 1
    fi
}
