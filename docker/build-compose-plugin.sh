#!/usr/bin/env bash
# Build the `docker compose` CLI plugin from source through the Go module proxy, for a machine whose docker
# client lacks it (tests/deploy then runs `docker compose config` rather than its schema check). Needs Go
# >= 1.26.3; takes a few minutes on 2 cores the first time.
#
#   docker/build-compose-plugin.sh        # installs ${DOCKER_CONFIG:-~/.docker}/cli-plugins/docker-compose
set -euo pipefail

module=github.com/docker/compose/v5
version=${COMPOSE_VERSION:-v5.4.0}
dest=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins

# `go install module@version` refuses a module whose go.mod has exclude directives, as compose's has:
# download the module, then build it as the main module, in its own directory.
dir=$(cd "$(mktemp -d)" && go mod download -json "$module@$version" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
mkdir -p "$dest"
(cd "$dir" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
    -ldflags "-X $module/internal.Version=$version" -o "$dest/docker-compose" ./cmd)
docker compose version
