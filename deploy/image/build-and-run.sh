#!/usr/bin/env bash
# Builds the oms-cds container image WITHOUT any public container registry, runs it hardened, and
# proves it serves: the image CI can actually build (the root Dockerfile needs rust:* and
# gcr.io/distroless/*, which only a registry-connected builder can pull).
#
#   bash deploy/image/build-and-run.sh          # from any directory; needs root for dockerd/apt
#
# 1. Builds the release binary on the host (cargo, the shared CARGO_TARGET_DIR cache), or takes
#    the one OMS_CDS_BINARY names (built by an earlier CI step from the same checkout).
# 2. Makes a runtime base image from Debian packages: `apt-get download` of the packages that own
#    the libraries `ldd` lists, plus ca-certificates; `dpkg-deb -x` into a root file system; an
#    /etc/passwd with the non-root user 65532 (distroless' `nonroot`); tar; `docker import`.
# 3. Builds deploy/image/Dockerfile.local on that base (same runtime settings as the root
#    Dockerfile's final stage).
# 4. Runs it read-only, as 65532, with no capabilities and no-new-privileges, tmpfs for /tmp and
#    the SQLite directory; waits until /healthz answers and Docker reports the image's HEALTHCHECK
#    healthy; sends one order-select call (examples/) and requires 200 with at least one card.
# 5. Prints the image size, the time to healthy and the script's duration; removes everything it made.
#
# The container engine: an already running daemon (DOCKER_HOST or the default socket) is used as it
# is. Otherwise the script starts Debian's dockerd (apt-get install docker.io when missing) on a
# private socket with --iptables=false --bridge=none --storage-driver=vfs (what works inside a
# container or a restricted VM; every container then uses --network host) and stops it at the end.
# If no daemon can run: with CI=true the script fails; otherwise it says why and exits 0 (skipped).

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly REPO_ROOT
# The FROM of deploy/image/Dockerfile.local.
readonly BASE_TAG=oms-cds-runtime-base:bookworm-local
readonly IMAGE_TAG=oms-cds:local
readonly CONTAINER=oms-cds-smoke-$$
# The service's user, as in distroless (`nonroot`) and the Kubernetes securityContext.
readonly APP_UID=65532
# The smoke call: an order-select request whose prefetch carries everything (no FHIR server call).
readonly SMOKE_REQUEST=examples/order-select-rituximab-full-course.json
readonly SMOKE_SERVICE=oms-relapse-order-select
readonly HEALTHY_TIMEOUT_SECS=60

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/oms-cds/target}"
# The legacy builder: no BuildKit, buildx plugin or frontend image to pull (`# syntax=` would pull).
export DOCKER_BUILDKIT=0

WORK_DIR="$(mktemp -d)"
readonly WORK_DIR
started_dockerd_pid=""
container_started=false
images_built=()

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'build-and-run.sh: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }

# No daemon: a failure in CI (the image must really build there), a clear skip on a workstation.
no_engine() {
  if [[ ${CI:-false} == true ]]; then
    fail "CI=true and no container engine could run: $*"
  fi
  printf '\nbuild-and-run.sh: SKIPPED, no container engine: %s\n' "$*" >&2
  printf 'build-and-run.sh: run it where dockerd can start (root, or a running daemon), or set CI=true to make this an error.\n' >&2
  exit 0
}

cleanup() {
  local status=$?
  set +e
  if [[ $container_started == true ]]; then
    if [[ $status -ne 0 ]]; then
      echo "--- container log (last 40 lines) ---" >&2
      docker logs --tail 40 "$CONTAINER" >&2 2>&1
    fi
    docker rm -f "$CONTAINER" >/dev/null 2>&1
  fi
  if [[ -n $started_dockerd_pid ]]; then
    # Our own daemon: stopping it and deleting its data root removes every image and layer.
    kill "$started_dockerd_pid" 2>/dev/null
    local waited=0
    while kill -0 "$started_dockerd_pid" 2>/dev/null && (( waited < 100 )); do sleep 0.1; waited=$((waited + 1)); done
    if [[ $status -ne 0 && -f $WORK_DIR/dockerd.log ]]; then
      echo "--- dockerd log (last 20 lines) ---" >&2
      tail -n 20 "$WORK_DIR/dockerd.log" >&2
    fi
    # dockerd leaves its network namespace file mounted under the exec root: unmount what is ours.
    awk -v dir="$WORK_DIR/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r |
      while read -r mount_point; do umount "$mount_point"; done
  elif (( ${#images_built[@]} > 0 )); then
    # Somebody else's daemon: remove only what this run added.
    docker rmi -f "${images_built[@]}" >/dev/null 2>&1
  fi
  rm -rf "$WORK_DIR"
  exit "$status"
}
trap cleanup EXIT

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

# --- 1. the binary ---------------------------------------------------------------------------

build_binary() {
  if [[ -n ${OMS_CDS_BINARY:-} ]]; then
    # A binary an earlier step built (a CI job that already ran the release build).
    step "release binary (given: OMS_CDS_BINARY=$OMS_CDS_BINARY)"
    BINARY="$OMS_CDS_BINARY"
  else
    step "release binary (cargo build --release --locked, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
    (cd "$REPO_ROOT" && cargo build --release --locked -p oms-cds --bin oms-cds)
    BINARY="$CARGO_TARGET_DIR/release/oms-cds"
  fi
  [[ -x $BINARY ]] || fail "no binary at $BINARY"
  echo "ok    $BINARY ($(du -h "$BINARY" | cut -f1))"
}

# --- 2. the container engine -----------------------------------------------------------------

ensure_engine() {
  step "container engine"
  command -v docker >/dev/null || install_docker_io || no_engine "no docker client, and docker.io cannot be installed"
  if docker info >/dev/null 2>&1; then
    echo "ok    using the running daemon ($(docker info -f '{{.ServerVersion}}, {{.Driver}}' 2>/dev/null))"
    return
  fi
  command -v dockerd >/dev/null || install_docker_io || no_engine "no dockerd, and docker.io cannot be installed (not root?)"
  start_dockerd
}

install_docker_io() {
  command -v apt-get >/dev/null || return 1
  echo "      installing Debian's docker.io (dockerd, containerd, runc)"
  as_root apt-get update -qq >/dev/null 2>&1 || return 1
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends docker.io >/dev/null || return 1
}

# A private daemon: its own socket, data and exec roots under WORK_DIR, so it neither meets nor
# disturbs another daemon on the machine, and removing WORK_DIR removes all it stored.
# --iptables=false --bridge=none: no NAT or bridge to set up (not permitted here); containers
# use the host's network. vfs: works on any file system (no overlay mount inside overlay).
start_dockerd() {
  [[ $(id -u) -eq 0 ]] || no_engine "no running daemon, and starting dockerd needs root"
  local socket="$WORK_DIR/docker.sock"
  dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
    --data-root "$WORK_DIR/docker-data" --exec-root "$WORK_DIR/docker-exec" \
    --pidfile "$WORK_DIR/dockerd.pid" --host "unix://$socket" >"$WORK_DIR/dockerd.log" 2>&1 &
  started_dockerd_pid=$!
  export DOCKER_HOST="unix://$socket"
  local tries=0
  until docker info >/dev/null 2>&1; do
    if ! kill -0 "$started_dockerd_pid" 2>/dev/null || (( tries >= 300 )); then
      tail -n 20 "$WORK_DIR/dockerd.log" >&2
      started_dockerd_pid=""
      no_engine "dockerd did not start (log above)"
    fi
    sleep 0.1
    tries=$((tries + 1))
  done
  echo "ok    started dockerd $(docker info -f '{{.ServerVersion}} ({{.Driver}})') on $socket in $((tries / 10)).$((tries % 10))s"
}

# --- 3. the runtime base ---------------------------------------------------------------------

# The Debian packages owning the shared libraries the binary links (`ldd`), e.g. libc6, libgcc-s1.
runtime_packages() {
  local library package
  ldd "$BINARY" | awk '/=> \// { print $3 } /^[ \t]*\/.*ld-linux/ { print $1 }' | sort -u |
    while read -r library; do
      # dpkg knows the path as packaged: /lib/... or /usr/lib/... (merged-/usr hosts show either).
      package="$(dpkg -S "$library" 2>/dev/null || dpkg -S "$(readlink -f "$library")" 2>/dev/null ||
        dpkg -S "*/$(basename "$library")" 2>/dev/null | head -n1 || true)"
      [[ -n $package ]] || fail "no Debian package owns $library (needed by the binary)"
      echo "${package%%:*}"
    done | sort -u
}

make_base_image() {
  step "runtime base from Debian packages"
  local packages
  mapfile -t packages < <(runtime_packages)
  (( ${#packages[@]} > 0 )) || fail "cannot tell which Debian packages the binary needs (ldd, dpkg -S)"
  # ca-certificates: the CA bundle in the usual place, as distroless has it. (The binary's rustls
  # trusts its compiled-in Mozilla roots; the bundle serves tools and SSL_CERT_FILE users.)
  # gcc-12-base: libgcc-s1's dependency (its copyright notice, nothing executable).
  packages+=(ca-certificates gcc-12-base)
  echo "      packages: ${packages[*]}"
  local debs="$WORK_DIR/debs" rootfs="$WORK_DIR/rootfs"
  mkdir -p "$debs" "$rootfs"
  # The host's apt lists choose the versions: bookworm's, the release the binary was built against.
  (cd "$debs" && apt-get download -qq "${packages[@]}" 2>/dev/null) ||
    { as_root apt-get update -qq >/dev/null && (cd "$debs" && apt-get download -qq "${packages[@]}"); }
  local deb
  for deb in "$debs"/*.deb; do
    dpkg-deb -x "$deb" "$rootfs"
    echo "      $(basename "$deb")"
  done
  # ca-certificates' postinst would build the bundle with update-ca-certificates (needs openssl and
  # a shell); the bundle is just the concatenation of the Mozilla certificates.
  mkdir -p "$rootfs/etc/ssl/certs"
  cat "$rootfs"/usr/share/ca-certificates/mozilla/*.crt >"$rootfs/etc/ssl/certs/ca-certificates.crt"
  # Nothing in the image reads documentation, locales or iconv modules (Rust does not use iconv).
  rm -rf "$rootfs"/usr/share/{doc,man,info,lintian,locale} "$rootfs"/usr/lib/x86_64-linux-gnu/gconv
  # Accounts as distroless has them: root, and the non-root user the service runs as.
  mkdir -p "$rootfs"/{etc,tmp,home/nonroot,root}
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%s:%s:nonroot:/home/nonroot:/sbin/nologin\n' \
    "$APP_UID" "$APP_UID" >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnonroot:x:%s:\n' "$APP_UID" >"$rootfs/etc/group"
  # Name resolution through glibc: files, then DNS (libnss_files and libnss_dns are in libc6).
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
  # Every file owned by root except the user's home; /tmp sticky. Python's tarfile sets owners per
  # entry, so neither root nor fakeroot is needed to make the tar.
  python3 - "$rootfs" "$WORK_DIR/rootfs.tar" "$APP_UID" <<'PY'
import sys, tarfile
rootfs, out, uid = sys.argv[1], sys.argv[2], int(sys.argv[3])
import os
def owned(info):
    user_owned = info.name == "home/nonroot" or info.name.startswith("home/nonroot/")
    info.uid = info.gid = uid if user_owned else 0
    info.uname = info.gname = ""
    if info.name == "tmp":
        info.mode = 0o1777
    return info
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
    for entry in sorted(os.listdir(rootfs)):
        tar.add(os.path.join(rootfs, entry), arcname=entry, filter=owned)
PY
  docker import --message "oms-cds runtime base: Debian bookworm ${packages[*]}" \
    "$WORK_DIR/rootfs.tar" "$BASE_TAG" >/dev/null
  images_built+=("$BASE_TAG")
  echo "ok    $BASE_TAG ($(image_size_mb "$BASE_TAG") MB)"
}

image_size_mb() {
  docker image inspect -f '{{.Size}}' "$1" | awk '{ printf "%.1f", $1 / 1000000 }'
}

# --- 4. the service image --------------------------------------------------------------------

build_image() {
  step "service image (deploy/image/Dockerfile.local)"
  local context="$WORK_DIR/context"
  mkdir -p "$context/var-lib-oms-cds" "$context/etc-oms-cds"
  install -m 0555 "$BINARY" "$context/oms-cds"
  # The host build keeps its symbols (profiles and callgrind need them); the image does not.
  if command -v strip >/dev/null; then
    strip --strip-all "$context/oms-cds"
  fi
  chmod 0750 "$context/var-lib-oms-cds"
  chmod 0755 "$context/etc-oms-cds"
  local started
  started="$(now_ms)"
  docker build --quiet -t "$IMAGE_TAG" \
    -f "$REPO_ROOT/deploy/image/Dockerfile.local" "$context" >/dev/null
  images_built+=("$IMAGE_TAG")
  IMAGE_SIZE_MB="$(image_size_mb "$IMAGE_TAG")"
  echo "ok    $IMAGE_TAG: $IMAGE_SIZE_MB MB, built in $(( ($(now_ms) - started) )) ms"
}

# The image's HEALTHCHECK probes port 8080 in exec form (no shell in the image). On the host network
# the test listens on a free port instead, and `docker run --health-cmd` is always shell form, so a
# one-instruction child image re-targets the same exec-form check at that port, every second.
build_smoke_image() {
  local port="$1"
  printf 'FROM %s\nHEALTHCHECK --interval=1s --timeout=3s --retries=3 CMD ["/usr/local/bin/oms-cds", "healthcheck", "--url", "http://127.0.0.1:%s/healthz"]\n' \
    "$IMAGE_TAG" "$port" | docker build --quiet -t "$IMAGE_TAG-smoke" - >/dev/null
  images_built+=("$IMAGE_TAG-smoke")
}

# --- 5. run it -------------------------------------------------------------------------------

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

run_and_probe() {
  step "run: read-only, uid $APP_UID, no capabilities, no-new-privileges"
  local port base
  port="$(free_port)"
  base="http://127.0.0.1:$port"
  # Host network (no bridge on this kind of machine): listen on loopback and a free port, so the
  # run collides with nothing. The configuration is mounted like the ConfigMap in Kubernetes; it
  # is the compose setup's (no issuer); authentication is switched off by the environment for
  # this one call, as the compose setup does, so no key or token is needed.
  build_smoke_image "$port"
  local started
  started="$(now_ms)"
  docker run --detach --name "$CONTAINER" --network host \
    --read-only --tmpfs /tmp:rw,noexec,nosuid,size=16m \
    --tmpfs "/var/lib/oms-cds:rw,noexec,nosuid,size=64m,uid=$APP_UID,gid=$APP_UID,mode=0750" \
    --cap-drop ALL --security-opt no-new-privileges \
    --memory 512m --pids-limit 256 \
    --volume "$REPO_ROOT/deploy/compose/oms-cds.toml:/etc/oms-cds/oms-cds.toml:ro" \
    --env "OMS_CDS_LISTEN=127.0.0.1:$port" --env "OMS_CDS_PUBLIC_BASE_URL=$base" \
    --env OMS_CDS__AUTH__REQUIRED=false \
    "$IMAGE_TAG-smoke" >/dev/null
  container_started=true

  # Time to serving: /healthz answers 200 (polled from the host every 50 ms).
  local deadline=$(( $(now_ms) + HEALTHY_TIMEOUT_SECS * 1000 ))
  until curl -fsS -o /dev/null --max-time 1 "$base/healthz" 2>/dev/null; do
    [[ $(docker inspect -f '{{.State.Running}}' "$CONTAINER") == true ]] || fail "the container exited"
    (( $(now_ms) < deadline )) || fail "/healthz did not answer within ${HEALTHY_TIMEOUT_SECS}s"
    sleep 0.05
  done
  SERVING_MS=$(( $(now_ms) - started ))
  # Time to healthy as Docker sees it: the in-image health check (the binary itself) passed.
  until [[ $(docker inspect -f '{{.State.Health.Status}}' "$CONTAINER") == healthy ]]; do
    (( $(now_ms) < deadline )) || fail "Docker never reported the container healthy"
    sleep 0.1
  done
  HEALTHY_MS=$(( $(now_ms) - started ))
  echo "ok    /healthz 200 after $SERVING_MS ms; Docker health check healthy after $HEALTHY_MS ms"

  check_hardening
  curl -fsS -o /dev/null "$base/readyz" || fail "/readyz is not 200"
  echo "ok    /readyz 200"

  local response="$WORK_DIR/response.json" status
  status="$(curl -sS -o "$response" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary "@$REPO_ROOT/$SMOKE_REQUEST" "$base/cds-services/$SMOKE_SERVICE")"
  [[ $status == 200 ]] || { cat "$response" >&2; fail "POST /cds-services/$SMOKE_SERVICE answered $status"; }
  python3 - "$response" <<'PY' || fail "the response has no card"
import json, sys
cards = json.load(open(sys.argv[1]))["cards"]
assert cards, "no cards"
print(f"ok    POST /cds-services/oms-relapse-order-select: 200, {len(cards)} card(s): "
      + "; ".join(card["summary"] for card in cards))
PY
}

# What the kernel says about the service's process, not what we asked for.
check_hardening() {
  local pid status
  pid="$(docker inspect -f '{{.State.Pid}}' "$CONTAINER")"
  status="$(cat "/proc/$pid/status")"
  awk '/^Uid:/ { exit !($2 == uid && $3 == uid) }' uid="$APP_UID" <<<"$status" ||
    fail "the service does not run as uid $APP_UID"
  awk '/^NoNewPrivs:/ { exit !($2 == 1) }' <<<"$status" || fail "no_new_privs is not set"
  awk '/^CapEff:/ { exit !($2 ~ /^0+$/) }' <<<"$status" || fail "the process has capabilities"
  [[ $(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$CONTAINER") == true ]] ||
    fail "the root file system is writable"
  echo "ok    process: uid/gid $APP_UID, CapEff 0, NoNewPrivs 1; root file system read-only"
}

main() {
  cd "$REPO_ROOT"
  build_binary
  ensure_engine
  make_base_image
  build_image
  run_and_probe
  step "measurements"
  echo "image size:        $IMAGE_SIZE_MB MB ($IMAGE_TAG; base $BASE_TAG $(image_size_mb "$BASE_TAG") MB)"
  echo "time to serving:   $SERVING_MS ms (docker run -> /healthz 200)"
  echo "time to healthy:   $HEALTHY_MS ms (docker run -> Docker health status healthy, 1 s interval)"
  echo "script duration:   ${SECONDS} s (including the binary step: cargo build, a no-op when up to date)"
  printf '\nbuild-and-run.sh: image built, ran hardened and served a call\n'
}

main "$@"
