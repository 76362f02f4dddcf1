#!/usr/bin/env bash
# Runs the image tarball without a container engine: unpacks its layers in order into a root
# file system and starts the image's entrypoint there, as the image's user, in a chroot with /proc.
# Checks that the JVM starts, that `keyward dev` serves, and that /healthz answers. Needs root
# (chroot, mount); CI runs it, a developer can too.
#
# Usage: smoke.sh proxy/target/keyward-image.tar
set -euo pipefail

tar_file="${1:?usage: smoke.sh IMAGE_TAR}"
[[ $EUID -eq 0 ]] || { echo "smoke.sh: needs root (chroot); skipped" >&2; exit 0; }

work="$(mktemp -d)"
root="$work/root"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  umount "$root/proc" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/oci" "$root"
tar -xf "$tar_file" -C "$work/oci"

# The OCI layout: index.json → manifest → config and layers, by digest.
read -r -a layers < <(python3 - "$work/oci" <<'PY'
import json, sys
oci = sys.argv[1]
blob = lambda d: f"{oci}/blobs/{d.replace(':', '/')}"
index = json.load(open(f"{oci}/index.json"))
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
print(" ".join(blob(l["digest"]) for l in manifest["layers"]))
PY
)
for layer in "${layers[@]}"; do
  tar --warning=no-unknown-keyword -xzf "$layer" -C "$root"
done
config="$(python3 - "$work/oci" <<'PY'
import json, sys
oci = sys.argv[1]
blob = lambda d: f"{oci}/blobs/{d.replace(':', '/')}"
index = json.load(open(f"{oci}/index.json"))
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
c = json.load(open(blob(manifest["config"]["digest"])))["config"]
print(c["User"]); print("\x1f".join(c["Entrypoint"]))
PY
)"
user="$(sed -n 1p <<<"$config")"
IFS=$'\x1f' read -r -a entrypoint <<<"$(sed -n 2p <<<"$config")"
[[ "${user%%:*}" != "0" && "$user" != root* ]] || { echo "smoke.sh: the image runs as root" >&2; exit 1; }

mkdir -p "$root/proc"
mount -t proc proc "$root/proc"
run() { chroot --userspec="$user" "$root" "$@"; }

run "${entrypoint[@]}" --version
port=$((20000 + RANDOM % 20000))
# chroot itself, not the function: $! must be the pid of the process that becomes the JVM.
chroot --userspec="$user" "$root" "${entrypoint[@]}" dev --data-dir /tmp/keyward-data \
  --port "$port" --admin-port $((port + 1)) > "$work/dev.log" 2>&1 &
pid=$!
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$((port + 1))/healthz" 2>/dev/null; then
    echo
    curl -fsS "http://127.0.0.1:$((port + 1))/readyz"
    echo
    echo "smoke.sh: the image serves as user $user"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
echo "smoke.sh: the image did not serve; its output:" >&2
cat "$work/dev.log" >&2
exit 1
