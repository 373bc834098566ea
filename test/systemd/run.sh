#!/usr/bin/env bash
# The systemd stage: pi-mesos installed with `make install` into a Debian bookworm container booted
# with systemd-nspawn, systemd as its PID 1, and checked as an admin would (test/systemd/real-systemd.ts).
#
# Needs root, systemd-nspawn (Debian's systemd-container) and a bookworm rootfs. The rootfs is made
# once with debootstrap from the mirror apt is configured with and cached as a tarball
# ($PI_MESOS_ROOTFS_CACHE, default /var/cache/pi-mesos-test/rootfs-bookworm.tar); each run unpacks a
# fresh copy. Where it cannot run it prints "skipped: <why>" and "0 passed, 0 failed, 1 skipped".
# The last line is always "N passed, N failed, N skipped"; the exit status is non-zero on failure.
set -uo pipefail
cd "$(dirname "$0")/../.."

skip() {
  echo "skipped: real systemd (systemd-nspawn): $*"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
}

[ "$(id -u)" = 0 ] || skip "needs root"
[ -f dist/src/daemon/main.js ] && [ -f dist/test/systemd/real-systemd.js ] || { echo "test/systemd/run.sh: build first (npx tsc -p .)" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
node_bin=$(command -v node) || skip "no node on PATH"
"$node_bin" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || skip "node is older than 20"

need=()
command -v systemd-nspawn >/dev/null 2>&1 || need+=(systemd-container)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ "${#need[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || skip "needs ${need[*]} and no apt-get to install them"
  echo "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; } \
    || skip "could not install ${need[*]}"
fi

# nspawn needs a cgroup2 hierarchy to give the container (pure cgroup2, as Raspberry Pi OS has).
[ -e /sys/fs/cgroup/cgroup.controllers ] || [ -e /sys/fs/cgroup/unified/cgroup.controllers ] || skip "no cgroup2 hierarchy on this machine"

cache_dir=${PI_MESOS_ROOTFS_CACHE:-/var/cache/pi-mesos-test}
tarball=$cache_dir/rootfs-bookworm.tar
# The packages are part of the cache's identity: a new list rebuilds it.
packages=systemd,systemd-sysv,dbus,make,procps,passwd
stamp="bookworm minbase $packages"
if [ ! -f "$tarball" ] || [ "$(cat "$tarball.stamp" 2>/dev/null)" != "$stamp" ]; then
  # The mirror apt already uses (deb822 sources, else sources.list); debootstrap's own default
  # otherwise.
  mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1)
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
  mkdir -p "$cache_dir"
  build=$(mktemp -d "$cache_dir/build.XXXXXX")
  echo "building the bookworm rootfs with debootstrap (once; cached in $tarball)"
  started=$SECONDS
  if ! debootstrap --variant=minbase --include="$packages" bookworm "$build/rootfs" ${mirror:+"$mirror"} > "$build/debootstrap.log" 2>&1; then
    tail -n 20 "$build/debootstrap.log"
    rm -rf "$build"
    skip "debootstrap failed (no mirror reachable?)"
  fi
  # An empty machine-id: systemd makes one at first boot, as on a freshly flashed card.
  : > "$build/rootfs/etc/machine-id"
  echo pi-test > "$build/rootfs/etc/hostname"
  rm -rf "$build/rootfs/var/cache/apt/archives/"*.deb "$build/rootfs/var/lib/apt/lists/"*
  tar -C "$build/rootfs" -cf "$build/rootfs.tar" . && mv "$build/rootfs.tar" "$tarball" && echo "$stamp" > "$tarball.stamp"
  rm -rf "$build"
  echo "rootfs built in $((SECONDS - started)) s"
fi

export PI_MESOS_ROOTFS_TAR=$tarball PI_MESOS_HOST_NODE=$node_bin
"$node_bin" node_modules/.bin/mocha --no-config --exit --timeout 300000 \
  --reporter test/support/summary-reporter.js dist/test/systemd/real-systemd.js
