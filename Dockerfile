# The evident image: the release build of the CLI on a slim Debian, run as a fixed
# non-root user, and ready for a read-only root filesystem.
#
#   docker build -t evident:dev .
#   docker run --rm --read-only --user 65532:65532 evident:dev --version
#
# Writable paths are only the declared volumes: /tmp (also HOME), the cache
# /var/cache/evident (EVIDENT_CACHE_DIR: GitHub clones, history sizes) and
# /var/lib/evident (for a SQLite store: --store sqlite:/var/lib/evident/evident.db).
# The Helm chart (deploy/helm/evident) mounts an emptyDir on each of them.
#
# Base images carry explicit version tags; a release pipeline that can reach the registry
# should pin them further by digest (FROM image:tag@sha256:...).

FROM rust:1.95-slim-trixie AS builder
# libgit2 is built with HTTPS (GitHub clones) against the system OpenSSL.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The lock file is the law (--locked); the registry and target caches survive rebuilds
# under BuildKit and are not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release -p evident --locked \
    && install -D -m 0755 target/release/evident /out/evident

FROM debian:trixie-slim AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=https://example.invalid/evident
LABEL org.opencontainers.image.title="evident" \
      org.opencontainers.image.description="Tells how mature software delivery and operations are, from evidence it collects itself." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"
# ca-certificates for every HTTPS source; git for the repositories evident reads;
# libssl3t64 for libgit2's HTTPS clones.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git libssl3t64 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 65532 evident \
    && useradd --uid 65532 --gid 65532 --home-dir /tmp --no-create-home \
       --shell /usr/sbin/nologin evident \
    && install -d -o 65532 -g 65532 -m 0750 /var/cache/evident /var/lib/evident
COPY --from=builder /out/evident /usr/local/bin/evident
ENV HOME=/tmp \
    EVIDENT_CACHE_DIR=/var/cache/evident
VOLUME ["/tmp", "/var/cache/evident", "/var/lib/evident"]
WORKDIR /tmp
USER 65532:65532
ENTRYPOINT ["evident"]
CMD ["--help"]
