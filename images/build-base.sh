#!/usr/bin/env bash
# Builds a base image from Debian's packages, for building our images where no container registry
# can be reached (this project's CI, air-gapped build hosts). Jib takes the result as its base
# (`tar://…`), exactly as it would take eclipse-temurin or python from a registry.
#
#   images/build-base.sh java17      a minimal Debian root with openjdk-17-jre-headless
#   images/build-base.sh python311   a minimal Debian root with python3 (3.11 in bookworm)
#   images/build-base.sh minimal     a minimal Debian root (glibc, ca-certificates) for the images of
#                                    binaries built elsewhere: Envoy, nats-server
#
# How: `debootstrap --variant=minbase --include=PACKAGES SUITE ROOT MIRROR` (MIRROR: the one apt
# uses here), trimmed (apt lists and caches, docs but copyrights, man pages, logs, the host's
# resolv.conf), packed as one gzip layer with fixed file times and numeric owners, plus an image
# config (PATH, JAVA_HOME or PYTHON settings, labels) in the `docker save` layout Jib reads.
#
# Built once and cached outside the repository:
#   ${BDK_CACHE:-$HOME/.cache/bdk}/base-images/debian-SUITE-NAME-KEY.tar      the image
#   ${BDK_CACHE:-$HOME/.cache/bdk}/base-images/debian-SUITE-NAME-KEY.packages the Debian packages in it (name version)
# KEY is a digest of this script, the suite, the mirror and the package list, so any change
# rebuilds; the downloaded .debs are kept in base-images/debs for the next build. On success the
# LAST line of stdout is the tarball's path; progress goes to stderr.
#
# Environment: DEBIAN_SUITE (default bookworm: its python3 is 3.11), DEBIAN_MIRROR (default: the
# first Debian mirror in apt's sources), BDK_CACHE, FORCE=1 (rebuild), NICE (default 10).
# Needs root (debootstrap chroots) and the debootstrap package.
set -euo pipefail

log() { printf 'build-base.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

name="${1:-}"
case "$name" in
  java17)
    packages="openjdk-17-jre-headless"
    env_json='"JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64", "LANG=C.UTF-8"'
    check=(/usr/lib/jvm/java-17-openjdk-amd64/bin/java -version)
    ;;
  python311)
    packages="python3,ca-certificates"
    env_json='"LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1"'
    check=(/usr/bin/python3 --version)
    ;;
  minimal)
    packages="ca-certificates"
    env_json='"LANG=C.UTF-8"'
    check=(/bin/ls /etc/ssl/certs/ca-certificates.crt)
    ;;
  *) die "usage: $0 java17|python311|minimal" ;;
esac

[[ "$(id -u)" -eq 0 ]] || die "debootstrap needs root; run as root (CI runs as root)"
command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install -y debootstrap)"

suite="${DEBIAN_SUITE:-bookworm}"
arch="$(dpkg --print-architecture)"
[[ "$arch" == amd64 ]] || die "only amd64 is supported (JAVA_HOME below names it); this host is $arch"

# The mirror apt uses on this machine (deb822 sources first, then the one-line format).
apt_mirror() {
  local uri
  uri="$(sed -n 's/^URIs:[[:space:]]*\(http[^[:space:]]*\/debian\)\/*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 1p)"
  if [[ -z "$uri" && -f /etc/apt/sources.list ]]; then
    uri="$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\(http[^[:space:]]*\/debian\)\/\?[[:space:]].*/\2/p' /etc/apt/sources.list | sed -n 1p)"
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}
mirror="${DEBIAN_MIRROR:-$(apt_mirror)}"

cache="${BDK_CACHE:-$HOME/.cache/bdk}/base-images"
script_digest="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-64)"
key="$(printf '%s\n' "$script_digest" "$suite" "$mirror" "$packages" | sha256sum | cut -c1-12)"
out="$cache/debian-$suite-$name-$key.tar"
if [[ "${FORCE:-0}" != 1 && -s "$out" && -s "${out%.tar}.packages" ]]; then
  log "up to date: $out"
  touch "$out" "${out%.tar}.packages"  # in use: kept by the prune below
  echo "$out"
  exit 0
fi

mkdir -p "$cache/debs"
work="$(mktemp -d "$cache/.work.XXXXXX")"
cleanup() {
  # debootstrap may leave proc/sys mounted after a failure: unmount before deleting.
  for m in proc sys dev/pts dev; do umount -l "$work/root/$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

started=$SECONDS
log "debootstrap --variant=minbase --include=$packages $suite from $mirror (nice ${NICE:-10}; .debs cached in $cache/debs)"
nice -n "${NICE:-10}" debootstrap --variant=minbase --include="$packages" --cache-dir="$cache/debs" \
  "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }

root="$work/root"
# The dynamic loader resolves $ORIGIN (java's RPATH) through /proc/self/exe: mount proc for the check.
mount -t proc proc "$root/proc"
chroot "$root" "${check[@]}" >&2 || die "the new root cannot run ${check[*]}"
umount "$root/proc"
chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' | sort >"$work/packages"

# Trim what a container never uses; keep licence texts (usr/share/doc/*/copyright).
rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
  "$root"/var/log/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
  "$root"/tmp/* "$root"/var/tmp/* \
  "$root"/etc/resolv.conf "$root"/etc/hostname "$root"/etc/machine-id
find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
chmod 1777 "$root/tmp" "$root/var/tmp"

# One layer, reproducible for the same packages: sorted names, fixed times, numeric owners.
mkdir "$work/image"
tar --sort=name --mtime=@0 --numeric-owner --xattrs-exclude='*' -C "$root" -cf "$work/layer.tar" .
diff_id="sha256:$(sha256sum "$work/layer.tar" | cut -c1-64)"
gzip -n -1 <"$work/layer.tar" >"$work/image/layer.tar.gz"
rm "$work/layer.tar"

main_version="$(awk -v p="${packages%%,*}" '$1 == p { print $2 }' "$work/packages")"
cat >"$work/image/config.json" <<JSON
{
  "architecture": "$arch",
  "os": "linux",
  "created": "1970-01-01T00:00:00Z",
  "config": {
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", $env_json],
    "Labels": {
      "io.voyager.bdk.base": "debian-$suite-$name",
      "io.voyager.bdk.base.packages": "${packages}",
      "io.voyager.bdk.base.version": "${main_version}",
      "org.opencontainers.image.description": "Debian $suite minbase with $packages, built by images/build-base.sh"
    }
  },
  "rootfs": { "type": "layers", "diff_ids": ["$diff_id"] },
  "history": [ { "created": "1970-01-01T00:00:00Z", "created_by": "debootstrap --variant=minbase --include=$packages $suite" } ]
}
JSON
cat >"$work/image/manifest.json" <<JSON
[ { "Config": "config.json", "RepoTags": ["bdk-base/debian-$suite-$name:$key"], "Layers": ["layer.tar.gz"] } ]
JSON
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/image" -cf "$work/image.tar" config.json layer.tar.gz manifest.json
# Older builds of this base (another key) go once unused for two days (each use touches its
# build): checkouts of different versions sharing the cache do not delete each other's.
find "$cache" -maxdepth 1 -name "debian-$suite-$name-*" ! -name "$(basename "${out%.tar}").*" -mtime +2 -delete
mv -f "$work/packages" "${out%.tar}.packages"
mv -f "$work/image.tar" "$out"
log "built $out ($(du -h "$out" | cut -f1), $(wc -l <"${out%.tar}.packages") packages, ${packages%%,*} $main_version) in $((SECONDS - started))s"
echo "$out"
