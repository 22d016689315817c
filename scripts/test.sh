#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: installs what is missing, then pytest.
#   bash scripts/test.sh                 everything
#   bash scripts/test.sh -k scoping -x   extra arguments go to pytest
# DATABASE_URL=postgres://... runs it on PostgreSQL; unset = SQLite.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_setup.sh"

lf_ensure_apt "${LF_APT_PACKAGES[@]}"
lf_ensure_venv test

exec "$LF_VENV/bin/python" -m pytest "$@"
