#!/usr/bin/env bash
# Builds the runtime file system of Keyward's container image, without Docker or a registry:
#   - a Java runtime made by jlink from the JDK running the build (only the modules Keyward uses);
#   - the C libraries that runtime links against, from Debian's own packages (apt-get download,
#     unpacked with dpkg-deb: nothing is installed on this machine).
# Jib then layers it with /etc/passwd and the application (see the `image` profile in pom.xml).
#
# Usage: rootfs.sh OUTPUT_DIR   (needs Debian's apt with package lists, dpkg-deb, and a JDK with jmods)
set -euo pipefail

out="${1:?usage: rootfs.sh OUTPUT_DIR}"
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
# What jdeps reports for Keyward's classpath, plus what is loaded by name at run time:
# jdk.crypto.ec (ECDSA for tokens and audit checkpoints), jdk.localedata is not needed.
modules="java.base,java.compiler,java.desktop,java.naming,java.net.http,java.sql,jdk.jfr,\
jdk.management,jdk.unsupported,jdk.crypto.ec"
# The runtime's native dependencies (see `ldd lib/server/libjvm.so bin/java`).
packages=(libc6 libgcc-s1 libstdc++6 zlib1g)

for tool in apt-get dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "rootfs.sh: needs $tool (Debian)" >&2; exit 1; }
done
[[ -d "$java_home/jmods" ]] || { echo "rootfs.sh: $java_home has no jmods (Debian: openjdk-17-jmods)" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/opt" "$out/tmp"
chmod 1777 "$out/tmp"

# --generate-cds-archive: the runtime's own class-data archive of JDK classes (lib/server/
# classes.jsa), which a jlink'd runtime otherwise lacks, so every start would load them one by one.
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files \
  --no-man-pages --generate-cds-archive --output "$out/opt/java"
# Its twin for heaps over 32 GB (no compressed oops) is 12 MB no pod of ours uses.
rm -f "$out/opt/java/lib/server/classes_nocoops.jsa"
# Debian's JDK links its CA store to /etc/ssl/certs; the image gets a copy of the file itself.
cacerts="$out/opt/java/lib/security/cacerts"
if [[ -L "$cacerts" || ! -s "$cacerts" ]]; then
  cp --remove-destination "$(readlink -f "$java_home/lib/security/cacerts")" "$cacerts"
fi

debs="$(mktemp -d)"
trap 'rm -rf "$debs"' EXIT
(cd "$debs" && apt-get -o APT::Sandbox::User=root download "${packages[@]}" >/dev/null)
for deb in "$debs"/*.deb; do
  dpkg-deb -x "$deb" "$out"
done
# Only the shared libraries and the loader: no docs, no locales, no package scripts.
rm -rf "$out/usr/share" "$out/usr/lib/x86_64-linux-gnu/gconv" "$out/etc" \
  "$out/usr/bin" "$out/usr/sbin" "$out/sbin" "$out/usr/libexec" 2>/dev/null || true
# Jib layers files, not links: replace each link with a copy of what it points to in the root.
while IFS= read -r link; do
  target="$(readlink "$link")"
  case "$target" in
    /*) resolved="$out$target" ;;
    *) resolved="$(dirname "$link")/$target" ;;
  esac
  rm "$link"
  cp -a --dereference "$resolved" "$link"
done < <(find "$out" -type l)

echo "rootfs.sh: $(du -sh "$out" | cut -f1) in $out (runtime: $modules)"
