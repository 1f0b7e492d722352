#!/usr/bin/env bash
# Installs the real tools the test suite checks the output with, at pinned versions, into
# target/clients: the cloud CLIs the generated scripts are replayed through
# (tests/real_clients.rs), in a virtual environment, and promtool, which checks the emitted
# PrometheusRules (tests/promtool.rs), from Debian's prometheus package. kubectl and gcloud
# come with the machine image.
#
#   tools/install-clients.sh            # idempotent: does nothing when the pins are installed
set -euo pipefail
cd "$(dirname "$0")/.."

AZURE_CLI=2.91.0     # https://pypi.org/project/azure-cli/2.91.0/
AWSCLI=1.46.3        # https://pypi.org/project/awscli/1.46.3/
JSONSCHEMA=4.26.0    # https://pypi.org/project/jsonschema/4.26.0/ (tests/crd_schemas.rs)
venv=target/clients
stamp="$venv/.pins"
mkdir -p target
# One install at a time: tests running in parallel may all find a client missing.
exec 9> target/clients.lock
flock 9
want="azure-cli==$AZURE_CLI awscli==$AWSCLI jsonschema==$JSONSCHEMA"

# Debian 12's prometheus package (https://packages.debian.org/bookworm/prometheus), whose
# promtool is the upstream one at 2.42.0; the digest is the one in the archive's Packages index.
PROMETHEUS_DEB=2.42.0+ds-5+b6
PROMETHEUS_SHA256=3b0e0255b059a7696bd4a139a4a4eb24d71df067936a61ece5093559cbc7991c

if ! { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/az" ] && [ -x "$venv/bin/aws" ]; }; then
  python3 -m venv "$venv"
  # shellcheck disable=SC2086 # $want is several requirement words
  "$venv/bin/pip" install --quiet --disable-pip-version-check $want
  printf '%s' "$want" > "$stamp"
  echo "installed $want into $venv"
fi

prom="$venv/prometheus"
if ! { [ -x "$venv/bin/promtool" ] && [ "$(cat "$prom/.pin" 2>/dev/null)" = "$PROMETHEUS_DEB" ]; }; then
  command -v apt-get >/dev/null || { echo "install-clients: promtool comes from Debian's prometheus package, and apt-get is not here" >&2; exit 1; }
  arch="$(dpkg --print-architecture)"
  [ "$arch" = amd64 ] || { echo "install-clients: the pinned prometheus package is the amd64 build; this machine is $arch" >&2; exit 1; }
  rm -rf "$prom" && mkdir -p "$prom/deb" "$venv/bin"
  (cd "$prom/deb" && apt-get download --quiet=2 "prometheus=$PROMETHEUS_DEB") ||
    { echo "install-clients: apt-get could not download prometheus=$PROMETHEUS_DEB (run apt-get update, or update the pin)" >&2; exit 1; }
  deb=$(ls "$prom"/deb/prometheus_*.deb)
  echo "$PROMETHEUS_SHA256  $deb" | sha256sum --check --quiet
  dpkg-deb -x "$deb" "$prom/root"
  ln -sf "$(cd "$prom/root/usr/bin" && pwd)/promtool" "$venv/bin/promtool"
  rm -rf "$prom/deb"
  printf '%s' "$PROMETHEUS_DEB" > "$prom/.pin"
  echo "installed promtool $("$venv/bin/promtool" --version 2>&1 | head -1) into $venv"
fi
