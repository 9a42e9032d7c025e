#!/usr/bin/env bash
# mbmssec — what a newcomer types.
#   ./run.sh demo    install what is missing, build, run the end-to-end demo
#   ./run.sh test    install what is missing, build, run the whole test suite
#   ./run.sh test SANITIZE=1   the same under ASan+UBSan
# Any other make target works too (./run.sh bench, ./run.sh fuzz).
set -euo pipefail
cd "$(dirname "$0")"

usage() {
	sed -n '2,6s/^# \{0,1\}//p' "$0"
}

case "${1:-}" in
	""|-h|--help|help) usage; exit 0 ;;
esac
target=$1
shift

# Every Debian package the project needs, the toolchain included: a minimal
# Debian 12 has neither make nor a compiler.
PACKAGES=(
	# toolchain
	gcc libc6-dev make cmake pkg-config clang libclang-rt-14-dev
	# libraries
	libssl-dev libmicrohttpd-dev libcurl4-openssl-dev libexpat1-dev libsqlite3-dev
	libsrtp2-dev libevent-dev
	# tests and oracles
	libcmocka-dev libcjson-dev libosmocore-dev tshark curl ca-certificates
	python3 procps xxd
	# the status pages rendered headless (tests/integration/test_status_page.sh)
	chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
	if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != "installed" ]; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "run.sh: installing ${#missing[@]} missing Debian package(s): ${missing[*]}"
	if [ "$(id -u)" -eq 0 ]; then
		SUDO=()
	elif command -v sudo >/dev/null 2>&1; then
		SUDO=(sudo)
	else
		echo "run.sh: not root and no sudo; run this as root, then ./run.sh $target again:" >&2
		echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
		exit 1
	fi
	# tshark asks whether non-root users may capture; answer it beforehand.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | "${SUDO[@]}" debconf-set-selections
	"${SUDO[@]}" apt-get update -qq
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

exec make --no-print-directory "$target" "$@"
