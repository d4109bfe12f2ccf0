#!/usr/bin/env bash
# Builds the official Docker Compose CLI (github.com/docker/compose, pinned) from the
# Go module proxy into .cache/docker/cli-plugins/docker-compose, so `docker compose
# config` can validate docker-compose.yml on a machine with no Compose plugin and no
# Docker engine (Debian bookworm only ships the old Python docker-compose 1.29).
#
#   deploy/install-compose.sh          # idempotent: does nothing when the pinned version is there
#   DOCKER_CONFIG=.cache/docker docker compose config    # use it as a docker CLI plugin
#   .cache/docker/cli-plugins/docker-compose config      # or standalone
#
# Go: a local `go` >= 1.21 is needed (GOTOOLCHAIN=auto fetches the release Compose's
# go.mod asks for, checksum-verified, through the configured module proxy). About a
# minute on two cores with a cold cache; the Go caches are removed afterwards (~1 GB).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${WIRE_COMPOSE_VERSION:-v5.6.0}
MODULE=github.com/docker/compose/v5
CACHE=${WIRE_CACHE_DIR:-.cache}
case "$CACHE" in /*) ;; *) CACHE="$PWD/$CACHE" ;; esac
PLUGIN_DIR="$CACHE/docker/cli-plugins"
BINARY="$PLUGIN_DIR/docker-compose"

if [ -x "$BINARY" ] && "$BINARY" version 2>/dev/null | grep -q "version $VERSION\$"; then
  exit 0
fi
echo "install-compose: building Docker Compose $VERSION from the Go module proxy"
WORK="$CACHE/go"
rm -rf "$WORK" && mkdir -p "$WORK"
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT

GO=go
usable_go() {  # a Go that can switch toolchains (>= 1.21)
  command -v go >/dev/null 2>&1 || return 1
  local v; v=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
  [ -n "$v" ] && [ "$(printf '%s\n1.21\n' "$v" | sort -V | head -1)" = "1.21" ]
}
if ! usable_go; then
  echo "install-compose: needs Go >= 1.21 on PATH (it fetches the Go release Compose asks for by itself)" >&2
  exit 1
fi

export GOPATH="$WORK" GOMODCACHE="$WORK/mod" GOCACHE="$WORK/build" GOFLAGS=-mod=mod GOTOOLCHAIN=auto
# `go install module/cmd@version` refuses modules whose go.mod has exclude/replace
# directives (Compose's does), so build it as the main module from its source.
src=$("$GO" mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$src" ] || { echo "install-compose: could not download $MODULE@$VERSION" >&2; exit 1; }
cp -r "$src" "$WORK/src" && chmod -R u+w "$WORK/src"
mkdir -p "$PLUGIN_DIR"
(cd "$WORK/src" && "$GO" build -trimpath -ldflags "-s -w -X $MODULE/internal.Version=$VERSION" \
    -o "$BINARY.tmp" ./cmd)
mv "$BINARY.tmp" "$BINARY"
"$BINARY" version
