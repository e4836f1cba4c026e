#!/usr/bin/env bash
# deploy/: the systemd unit verifies without a warning and its exposure
# stays under a stated score; the exporter's web config is one promtool
# accepts; every alert fires in its test and is quiet in its neighbour's;
# the dashboard is a well-formed Grafana dashboard whose expressions parse;
# every metric the rules and the dashboard name is one devmemtop exports.
# Host only: systemd-analyze's offline modes and promtool, no VM.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- the unit ----
# A root for systemd-analyze: the host's units (sysinit.target and the
# rest of the default dependencies), the unit, and a stand-in for the
# binary, so that a build is not needed to check ExecStart=.
root=$tmp/root
mkdir -p "$root/etc/systemd/system" "$root/usr/sbin" "$root/lib/systemd"
cp -r /lib/systemd/system "$root/lib/systemd/"
cp deploy/devmemtop.service "$root/etc/systemd/system/"
printf '#!/bin/sh\n' >"$root/usr/sbin/devmemtop"
chmod 755 "$root/usr/sbin/devmemtop"
unit=/etc/systemd/system/devmemtop.service
# --man=no: the page is checked by tests/install.sh, installed.
out=$(systemd-analyze verify --man=no --root="$root" "$unit" 2>&1)
expect "deploy: systemd-analyze verify devmemtop.service" "rc=$? $out" "rc=0 "
# The check above must be able to fail: an unknown key is a warning.
sed 's/^LockPersonality=yes$/&\nLockPersonalty=yes/' deploy/devmemtop.service >"$root$unit"
out=$(systemd-analyze verify --man=no --root="$root" "$unit" 2>&1)
expect "deploy: systemd-analyze verify warns of a misspelt key" \
	"$(grep -c "Unknown key 'LockPersonalty'" <<<"$out")" 1
cp deploy/devmemtop.service "$root$unit"

# Exposure, 0 (locked down) to 10 (unprotected), scaled by ten in
# --threshold. 2.5 is what the unit gets with the capabilities it needs
# (docs/deploy.md#capabilities); more than 3.0 means a protection was lost.
out=$(systemd-analyze security --offline=true --threshold=30 --root="$root" "$unit" 2>&1)
rc=$?
expect "deploy: systemd-analyze security exit status under --threshold=30" $rc 0
expect "deploy: systemd-analyze security exposure" \
	"$(sed -n 's/.*Overall exposure level for devmemtop.service: \([0-9.]*\) .*/\1/p' <<<"$out")" 2.5
systemd-analyze security --offline=true --threshold=20 --root="$root" "$unit" >/dev/null 2>&1
expect "deploy: systemd-analyze security fails a threshold below the score" $? 1
# One list in both settings: the bounding set is what the ambient set may
# hold, and the documented table (docs/deploy.md) names each of them.
caps=$(sed -n 's/^CapabilityBoundingSet=//p' deploy/devmemtop.service)
expect "deploy: AmbientCapabilities= is the bounding set" \
	"$(sed -n 's/^AmbientCapabilities=//p' deploy/devmemtop.service)" "$caps"
expect "deploy: the capabilities kept" "$caps" "CAP_BPF CAP_PERFMON CAP_SYSLOG CAP_SYS_ADMIN"
# The statuses a restart cannot change, by name from docs/exit-codes.md.
expect "deploy: RestartPreventExitStatus= is usage, perm, nothing, no_btf" \
	"$(sed -n 's/^RestartPreventExitStatus=//p' deploy/devmemtop.service)" \
	"$(awk -F' *[|] *' '$3 ~ /^(usage|perm|nothing|no_btf)$/ { printf "%s%s", s, $2; s = " " }' docs/exit-codes.md)"
# Loopback unless told otherwise, and the firewall agrees.
expect "deploy: listens on loopback by default" \
	"$(grep -c '^Environment=DEVMEMTOP_LISTEN=127.0.0.1:29464$' deploy/devmemtop.service)" 1
expect "deploy: IP traffic only with localhost by default" \
	"$(grep -E '^IPAddress(Deny|Allow)=' deploy/devmemtop.service | tr '\n' ' ')" \
	"IPAddressDeny=any IPAddressAllow=localhost "

# ---- the web config ----
# The example as docs/deploy.md completes it: a certificate and a bcrypt
# hash made with Debian's tools, then checked by promtool, whose parser is
# the exporter-toolkit's.
web=$tmp/web
mkdir -p "$web"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=gpu1 -keyout "$web/devmemtop.key" -out "$web/devmemtop.crt" 2>/dev/null
hash=$(htpasswd -nbBC 10 prometheus 'a password' | cut -d: -f2)
sed -e "s|/etc/devmemscope/tls/|$web/|" -e "s|\"REPLACE-WITH-BCRYPT-HASH\"|'$hash'|" \
	deploy/web-config.yml >"$web/web-config.yml"
expect "deploy: promtool check web-config on the completed example" \
	"$(promtool check web-config "$web/web-config.yml" 2>&1; echo "rc=$?")" \
	"$web/web-config.yml SUCCESS
rc=0"
expect "deploy: htpasswd -B makes a bcrypt hash that checks" \
	"$(echo "prometheus:$hash" >"$web/htpasswd"
	   htpasswd -vb "$web/htpasswd" prometheus 'a password' 2>&1; echo "rc=$?")" \
	"Password for user prometheus correct.
rc=0"
# As shipped, no password opens it: the placeholder is no bcrypt hash.
expect "deploy: the shipped web config holds no usable hash" \
	"$(grep -cE '\$2[aby]\$' deploy/web-config.yml)" 0
