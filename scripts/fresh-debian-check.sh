#!/usr/bin/env bash
# Check the Quick start the way a newcomer meets it: a pristine minimal
# Debian 12 (debootstrap --variant=minbase bookworm), a fresh clone of this
# repository inside it, and `./run.sh <target>` run there as root.
#
#   sudo scripts/fresh-debian-check.sh [test|demo] [ROOTDIR]
#
# ROOTDIR (default /var/tmp/mbmssec-bookworm) is reused when it already holds
# a finished debootstrap, so a second run only re-clones and re-runs; delete
# it for a truly fresh root. Needs root, debootstrap and a reachable Debian
# mirror (MIRROR, default http://deb.debian.org/debian).
set -euo pipefail
target=${1:-test}
root=${2:-/var/tmp/mbmssec-bookworm}
mirror=${MIRROR:-http://deb.debian.org/debian}
repo=$(cd "$(dirname "$0")/.." && pwd)

[ "$(id -u)" -eq 0 ] || { echo "fresh-debian-check: needs root" >&2; exit 1; }
command -v debootstrap >/dev/null || apt-get install -y --no-install-recommends debootstrap

if [ ! -x "$root/bin/bash" ] || [ ! -f "$root/.debootstrap-done" ]; then
	echo "fresh-debian-check: debootstrap minbase bookworm into $root"
	rm -rf "$root"
	debootstrap --variant=minbase bookworm "$root" "$mirror"
	touch "$root/.debootstrap-done"
fi

mounts=()
cleanup() {
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM
for m in proc sys dev dev/pts; do
	mkdir -p "$root/$m"
	case $m in
		proc) mount -t proc proc "$root/proc" ;;
		sys) mount -t sysfs sys "$root/sys" ;;
		*) mount --bind "/$m" "$root/$m" ;;
	esac
	mounts+=("$root/$m")
done
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

# A fresh clone of the committed tree (what CI sees), plus shared/ beside it
# when the repository has one next to it.
rm -rf "$root/work"
mkdir -p "$root/work"
git clone -q "$repo" "$root/work/main"
if [ -d "$repo/../shared" ]; then
	cp -r "$repo/../shared" "$root/work/shared"
fi

echo "fresh-debian-check: running ./run.sh $target inside the chroot"
chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
	bash -c "cd /work/main && ./run.sh $target"
echo "fresh-debian-check: ./run.sh $target passed on a pristine minimal Debian 12"
