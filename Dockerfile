# syntax=docker/dockerfile:1.7
#
# oms-cds container image.
#
#   docker build -t oms-cds:0.1.0 .
#
# Stages:
#   chef     - the pinned Rust toolchain (rustc 1.95, Debian bookworm) plus cargo-chef.
#   planner  - turns the workspace manifests into a dependency "recipe".
#   builder  - builds the dependencies from the recipe (a layer that only changes when
#              Cargo.toml/Cargo.lock change), then the `oms-cds` binary with `--locked`.
#   runtime  - distroless cc-debian12 (glibc, libgcc, CA certificates; no shell, no package
#              manager), non-root UID/GID 65532, only /var/lib/oms-cds is meant to be written.
#
# The runtime image is read-only-root-file-system friendly: run it with `--read-only`, a
# tmpfs on /tmp and, when SQLite is used, a volume on /var/lib/oms-cds.

# Base images are named literally (not through ARG) so scanners and humans see the pinned tags.
FROM rust:1.95.0-slim-bookworm AS chef
# cargo-chef is pinned and installed with its own lock file so the toolchain layer is reproducible.
RUN cargo install cargo-chef --version 0.1.78 --locked --root /usr/local
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path /recipe.json

FROM chef AS builder
# sqlx query macros (if any) must compile from the checked-in `.sqlx/` data, never a live database.
ENV SQLX_OFFLINE=true \
    CARGO_TERM_COLOR=never
COPY --from=planner /recipe.json /recipe.json
# Dependency layer: rebuilt only when the recipe (manifests and lock file) changes.
RUN cargo chef cook --release --locked --recipe-path /recipe.json -p oms-cds --bin oms-cds
# Sources, plus the terminology and example data that are embedded at compile time.
COPY . .
RUN cargo build --release --locked -p oms-cds --bin oms-cds \
 && install -D -m 0555 target/release/oms-cds /out/usr/local/bin/oms-cds \
 && install -d -m 0750 /out/var/lib/oms-cds /out/etc/oms-cds

FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
LABEL org.opencontainers.image.title="oms-cds" \
      org.opencontainers.image.description="CDS Hooks 2.0 service for relapsed opsoclonus-myoclonus syndrome" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder /out/usr/local/bin/oms-cds /usr/local/bin/oms-cds
# The only writable path the service needs (SQLite). Mount a volume here; with PostgreSQL it stays empty.
COPY --from=builder --chown=65532:65532 /out/var/lib/oms-cds /var/lib/oms-cds
# The configuration file is mounted here (Kubernetes ConfigMap, compose bind mount); it is not baked in.
COPY --from=builder /out/etc/oms-cds /etc/oms-cds
ENV OMS_CDS_LISTEN=0.0.0.0:8080 \
    OMS_CDS_LOG_FORMAT=json \
    OMS_CDS_DATABASE_URL=sqlite:///var/lib/oms-cds/oms-cds.db
# Fixed numeric UID/GID (distroless "nonroot") so runAsNonRoot can verify it and volume ownership is stable.
USER 65532:65532
EXPOSE 8080
# Distroless has no shell or curl: the binary checks itself. `oms-cds healthcheck` GETs the URL and
# exits 0 on a 2xx answer, 1 otherwise. It probes the cheap liveness endpoint; readiness (storage,
# JWKS) is the orchestrator's business (Kubernetes readinessProbe, the load balancer's check on /readyz).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/oms-cds", "healthcheck", "--url", "http://127.0.0.1:8080/healthz"]
# SIGTERM triggers the graceful shutdown (in-flight requests finish within about 10 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/oms-cds", "serve"]
CMD ["--config", "/etc/oms-cds/oms-cds.toml"]
