#!/usr/bin/env bash
# Download Debian packages from a suite the machine's apt is not set up for,
# without touching the machine's apt sources.
#
#   vm/fetch-debian.sh SUITE PACKAGE[=VERSION]...   prints the path of each .deb
#
# apt runs under a private configuration kept in the cache directory
# ($DEVMEMSCOPE_CACHE, default ~/.cache/devmemscope): its own sources.list,
# package lists and archive cache. The mirror host is the one the machine's
# own sources use. Downloaded debs are kept in $cache/debs; a package already
# there (any version, or the one asked for with =VERSION) is not fetched
# again, and apt is not even asked. Set FETCH_DEBIAN_REFRESH=1 to fetch the
# suite's current version regardless.
set -euo pipefail

die() { echo "fetch-debian: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: $0 SUITE PACKAGE[=VERSION]..."
suite=$1
shift
case $suite in
*[!a-z0-9-]* | '') die "bad suite name '$suite'" ;;
esac

cache=${DEVMEMSCOPE_CACHE:-$HOME/.cache/devmemscope}
debs=$cache/debs
mkdir -p "$debs"

cached() {
	# Newest cached deb of package $1 (NAME or NAME=VERSION; any arch).
	local f name=${1%%=*} ver='*'
	case $1 in *=*) ver=${1#*=}; ver=${ver//:/%3a} ;; esac
	f=$(find "$debs" -maxdepth 1 -name "${name}_${ver}_*.deb" -print | sort -V | tail -1)
	[ -n "$f" ] && echo "$f"
}

for pkg in "$@"; do
	case $pkg in
	*[!a-zA-Z0-9.+~:=-]* | '' | =*) die "bad package name '$pkg'" ;;
	esac
done
needed() {	# the packages of "$@" not in the cache yet, into need[]
	need=()
	for pkg in "$@"; do
		if [ "${FETCH_DEBIAN_REFRESH:-0}" = 1 ] || ! cached "$pkg" >/dev/null; then
			need+=("$pkg")
		fi
	done
}
needed "$@"

if [ ${#need[@]} -gt 0 ]; then
	# One apt run per suite at a time: two would write the same lists and
	# archive cache at once. A waiter then finds what the holder fetched.
	. "$(dirname "$0")/cache-lock.sh"
	cache_lock "$cache/apt/$suite.lock" "fetch-debian $suite"
	[ "${FETCH_DEBIAN_REFRESH:-0}" = 1 ] || needed "$@"
fi

if [ ${#need[@]} -gt 0 ]; then
	# The mirror the machine already uses (deb822 or one-line sources).
	mirror=$({ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
		grep -v '^[[:space:]]*#' | grep -oE 'https?://[^ ]+/debian/?( |$)' |
		head -1 | tr -d ' ' || true)
	mirror=${mirror%/}
	[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -r "$keyring" ] || die "$keyring missing: apt-get install debian-archive-keyring"

	apt=$cache/apt/$suite
	mkdir -p "$apt/lists/partial" "$apt/archives/partial"
	sources=$apt/sources.list
	line="deb [signed-by=$keyring] $mirror $suite main"
	[ "$(cat "$sources" 2>/dev/null)" = "$line" ] || echo "$line" >"$sources"
	opts=(-o "Dir::Etc::sourcelist=$sources" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt"
		-o "Dir::Cache::archives=$apt/archives"
		-o APT::Get::List-Cleanup=0 -o Debug::NoLocking=1
		-o APT::Sandbox::User=root)
	echo "fetch-debian: apt-get update for $suite ($mirror)" >&2
	apt-get "${opts[@]}" -q update >&2 || die "apt-get update failed for $suite"
	tmp=$(mktemp -d "$debs/.dl.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	for pkg in "${need[@]}"; do
		# -t pins the suite, so a backport wins over nothing else configured.
		(cd "$tmp" && apt-get "${opts[@]}" -q -t "$suite" download "$pkg" >&2) ||
			die "apt-get download $pkg from $suite failed"
	done
	# apt-get download writes through a partial name and renames at the end:
	# a deb in $tmp is complete.
	for f in "$tmp"/*.deb; do
		[ -e "$f" ] && mv -f "$f" "$debs/"
	done
fi

for pkg in "$@"; do
	cached "$pkg" || die "$pkg: no deb in $debs after download"
done
