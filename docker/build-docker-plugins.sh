#!/usr/bin/env bash
# Build the docker CLI plugins `docker compose` and `docker buildx` from source through the Go module proxy,
# for a machine whose docker client lacks them (Debian bookworm packages neither as a plugin of a modern
# client). buildx gives `docker build` and `docker compose build` BuildKit, which the images need (build
# secrets, cache mounts); without it the docker client falls back to the legacy builder. Needs Go >= 1.26.8
# (GOTOOLCHAIN=auto fetches it through the same proxy); about 4 minutes on 2 cores the first time.
#
#   docker/build-docker-plugins.sh        # installs ${DOCKER_CONFIG:-~/.docker}/cli-plugins/docker-{compose,buildx}
set -euo pipefail

compose_version=${COMPOSE_VERSION:-v5.4.0}
buildx_version=${BUILDX_VERSION:-v0.38.2}
dest=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
mkdir -p "$dest"

# `go install module@version` refuses a module whose go.mod has exclude directives, as compose's has:
# download the module, then build it as the main module, in its own directory.
module=github.com/docker/compose/v5
dir=$(cd "$(mktemp -d)" && go mod download -json "$module@$compose_version" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
(cd "$dir" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
    -ldflags "-X $module/internal.Version=$compose_version" -o "$dest/docker-compose" ./cmd)

bin=$(mktemp -d)
GOBIN=$bin CGO_ENABLED=0 go install -trimpath \
    -ldflags "-X github.com/docker/buildx/version.Version=$buildx_version" \
    "github.com/docker/buildx/cmd/buildx@$buildx_version"
install -m 0755 "$bin/buildx" "$dest/docker-buildx"
docker compose version
docker buildx version
