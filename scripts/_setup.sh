# Shared install steps for scripts/test.sh, scripts/demo.sh and .ci/run.
# Source it (don't run it): it defines functions and moves to the repository root.
#
#   lf_ensure_apt PKG...     install the Debian packages that are missing (apt-get update once)
#   lf_ensure_venv [EXTRAS]  create .venv if needed and `pip install -e ".[EXTRAS]"` when
#                            pyproject.toml changed since the last install (stamp in .venv)

LF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$LF_ROOT"

LF_VENV="$LF_ROOT/.venv"
# Debian packages every command needs: Chromium for the browser tests, CJK fonts and
# Pango for PDFs, gettext for the translations.
LF_APT_PACKAGES=(chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 gettext)

# Never let Playwright fetch a browser of its own: the browser tests drive Debian's chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export LIANFANG_CHROMIUM="${LIANFANG_CHROMIUM:-/usr/bin/chromium}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export DEBIAN_FRONTEND=noninteractive

lf_say() { printf '%s\n' "$*" >&2; }

lf_ensure_apt() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0

    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            lf_say "WARNING: missing Debian packages: ${missing[*]}"
            lf_say "         install them as root: apt-get install -y --no-install-recommends ${missing[*]}"
            return 0
        fi
    fi
    lf_say "== installing Debian packages: ${missing[*]} =="
    if [ -z "${LF_APT_UPDATED:-}" ]; then
        "${sudo[@]}" apt-get update -qq
        export LF_APT_UPDATED=1
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

lf_ensure_venv() {
    local extras="${1:-}"
    local spec="."
    [ -n "$extras" ] && spec=".[$extras]"

    if ! "$LF_VENV/bin/python" -c '' >/dev/null 2>&1; then
        lf_say "== creating virtualenv .venv =="
        rm -rf "$LF_VENV"
        if ! python3 -m venv "$LF_VENV" 2>/dev/null; then
            # Debian's own python3 needs python3-venv for `python3 -m venv`.
            rm -rf "$LF_VENV"
            lf_ensure_apt python3-venv
            python3 -m venv "$LF_VENV"
        fi
    fi

    local want
    want="$(sha256sum pyproject.toml | cut -d' ' -f1) $("$LF_VENV/bin/python" -V 2>&1)"
    local stamp="$LF_VENV/.lianfang-installed-${extras:-base}"
    [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
    # A test install covers the base install too.
    if [ -z "$extras" ] && [ "$(cat "$LF_VENV/.lianfang-installed-test" 2>/dev/null)" = "$want" ]; then
        return 0
    fi

    lf_say "== pip install -e \"$spec\" =="
    "$LF_VENV/bin/python" -m pip install -q -e "$spec"
    printf '%s\n' "$want" >"$stamp"
}
