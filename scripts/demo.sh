#!/usr/bin/env bash
# A demo district on http://127.0.0.1:8000: installs what is missing, then `lianfang demo`.
# Extra arguments go to `lianfang demo`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_setup.sh"

lf_ensure_apt "${LF_APT_PACKAGES[@]}"
lf_ensure_venv

exec "$LF_VENV/bin/lianfang" demo "$@"
