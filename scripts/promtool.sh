# Sourced by the scripts that need promtool: `ensure_promtool` installs Debian's `prometheus`
# package (which ships promtool) when promtool is not on PATH, running apt-get update only then.

ensure_promtool() {
  if command -v promtool >/dev/null; then
    return
  fi
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  echo "promtool not found: installing Debian's prometheus package" >&2
  "${sudo[@]}" apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    prometheus >/dev/null
  command -v promtool >/dev/null
}
