#!/usr/bin/env bash
# Installs the cloud CLIs the test suite replays the generated scripts through
# (tests/real_clients.rs) into a project-owned virtual environment, target/clients.
# The versions are pinned here; kubectl and gcloud come with the machine image.
#
#   tools/install-clients.sh            # idempotent: does nothing when the pins are installed
set -euo pipefail
cd "$(dirname "$0")/.."

AZURE_CLI=2.91.0     # https://pypi.org/project/azure-cli/2.91.0/
AWSCLI=1.46.3        # https://pypi.org/project/awscli/1.46.3/
venv=target/clients
stamp="$venv/.pins"
want="azure-cli==$AZURE_CLI awscli==$AWSCLI"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/az" ] && [ -x "$venv/bin/aws" ]; then
  exit 0
fi
python3 -m venv "$venv"
# shellcheck disable=SC2086 # $want is two requirement words
"$venv/bin/pip" install --quiet --disable-pip-version-check $want
printf '%s' "$want" > "$stamp"
echo "installed $want into $venv"
