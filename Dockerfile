# syntax=docker/dockerfile:1
# lockstep's GitHub Action image. The runner builds it in "Set up job";
# releases should point action.yml at a prebuilt image pinned by digest.

# Build: a static binary (no cgo), paths trimmed for reproducible builds.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=0.1.0
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags="-s -w -X github.com/lockstep-dev/lockstep/internal/cli.Version=${VERSION}" \
      -o /out/lockstep ./cmd/lockstep

# Runtime: Node LTS on glibc (Debian), as on GitHub's Ubuntu runners, so
# lifecycle scripts and native addons behave as they would there. No USER
# line: container actions must run as root to use the mounted workspace;
# lockstep hands the files it creates back to the workspace's owner.
FROM node:24-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/lockstep /usr/local/bin/lockstep
# action.yml's post-entrypoint (the post step saves the Actions cache): an
# entrypoint override takes no arguments, hence this one-line wrapper.
RUN printf '#!/bin/sh\nexec /usr/local/bin/lockstep action --post "$@"\n' > /usr/local/bin/lockstep-post \
 && chmod 755 /usr/local/bin/lockstep-post
ENTRYPOINT ["/usr/local/bin/lockstep", "action"]
