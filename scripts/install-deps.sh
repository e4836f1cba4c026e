#!/usr/bin/env bash
# Install, from Debian's archive, what building, booting and testing needs.
# Does nothing when everything is already there.
set -euo pipefail
pkgs=(build-essential jq linux-source-6.12 libbpf-dev bpftool clang llvm dwarves
      qemu-system-x86 busybox-static flex bison bc libelf-dev libssl-dev
      libncurses-dev zlib1g-dev libzstd-dev libyaml-dev libcrypt-dev cpio file gzip
      xz-utils tmux trace-cmd python3 chromium go-md2man prometheus
      systemd apache2-utils openssl python3-yaml sparse python3-drgn binutils)
# sparse: tests/kpatches-build.sh (make C=2; for Linux 7.3, which it cannot
# parse before 0.6.5, sid's through vm/fetch-sparse.sh); chromium: tests/folded-view.sh;
# go-md2man: scripts/mkman.sh; prometheus:
# promtool and a real Prometheus for tests/vm-metrics.sh; libyaml-dev,
# libcrypt-dev (libxcrypt) and libssl-dev: devmemtop's --web.config.file;
# openssl: the tests' certificates; systemd (systemd-analyze),
# apache2-utils (htpasswd), python3-yaml: tests/deploy.sh checks deploy/
# python3-drgn, binutils (objcopy): devmemcore and tests/vm-coredump.sh.
# speedscope comes from npm (tests/folded-view.sh caches it): Debian's npm,
# unless an npm is already there (e.g. NodeSource's nodejs bundles one and
# conflicts with Debian's package).
command -v npm >/dev/null || pkgs+=(npm)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
