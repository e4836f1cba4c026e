# Turn a tracefs scenario log (vm/guest/scenarios/lib.sh) into facts,
# one "SCENARIO KEY VALUE" line each, for tests to hold against what the
# workload said it did. Keys:
#   wl.KEY             the workload's own key=value report; rc its exit
#   overrun            events the trace buffer lost
#   pgmaps.before/mid/after, live.before/mid/after   debugfs devmem/pgmaps
#                      lines and live pages; mid is while pages sit on the device
#   ev.EVENT           events seen; ev.EVENT.by_wl, .by_child by that pid
#   finalize.to_device/to_system, setup.nr_migrate, range.nr_migrate
#   longterm.ok/failed, get.ok/failed
#   refs.balance       page_init + get.ok - put_pgmap, summed over pgmaps
#   destroy.refs       the same, for each destroyed pgmap at its destroy event
function field(name,   i) {
	for (i = evi + 1; i <= NF; i++)
		if (index($i, name "=") == 1)
			return substr($i, length(name) + 2)
	return ""
}
{ sub(/\r$/, "") }
function fact(key, value) { facts[sc, key] += value; keys[sc, key] = 1 }
function null(p) { return p == "(null)" || p ~ /^0+$/ }
/^=== / { sc = $2; order[++nsc] = sc; mode = ""; next }
/^--- pgmaps-before/ { mode = "before"; next }
/^--- pgmaps-mid/ { mode = "mid"; next }
/^--- pgmaps-after/ { mode = "after"; next }
/^--- run/ { mode = "run"; next }
/^--- overrun / { fact("overrun", $3); mode = ""; next }
/^--- trace/ { mode = "trace"; next }
/^--- end/ { mode = ""; next }
mode == "before" || mode == "mid" || mode == "after" {
	if ($0 !~ /^#/ && NF == 7) { fact("pgmaps." mode, 1); fact("live." mode, $7) }
	next
}
mode == "run" && /^wl=/ {
	for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		facts[sc, "wl." kv[1]] = kv[2]; keys[sc, "wl." kv[1]] = 1
	}
	next
}
mode == "run" && /^rc=/ { split($0, kv, "="); facts[sc, "rc"] = kv[2]; keys[sc, "rc"] = 1; next }
mode == "trace" {
	evi = 0
	for (i = 1; i <= NF; i++)
		if ($i ~ /^devmem_[a-z_]+:$/) { evi = i; break }
	if (!evi)
		next
	ev = substr($evi, 1, length($evi) - 1)
	pid = ""
	if (match($0, /-[0-9]+ +\[[0-9]+\]/))
		pid = substr($0, RSTART + 1, RLENGTH) + 0
	fact("ev." ev, 1)
	fact("ev." ev ".by_wl", pid == facts[sc, "wl.pid"])
	fact("ev." ev ".by_child", pid == facts[sc, "wl.child"])
	pg = field("pgmap")
	if (ev == "devmem_page_init") refs[sc, pg]++
	else if (ev == "devmem_put_pgmap") refs[sc, pg]--
	else if (ev == "devmem_get_pgmap") {
		if (null(pg)) fact("get.failed", 1)
		else { fact("get.ok", 1); refs[sc, pg]++ }
	} else if (ev == "devmem_pgmap_destroy") fact("destroy.refs", refs[sc, pg] + 0)
	else if (ev == "devmem_migrate_finalize") {
		fact("finalize.to_device", field("nr_to_device"))
		fact("finalize.to_system", field("nr_to_system"))
	} else if (ev == "devmem_migrate_vma_setup") fact("setup.nr_migrate", field("nr_migrate"))
	else if (ev == "devmem_migrate_device_range") fact("range.nr_migrate", field("nr_migrate"))
	else if (ev == "devmem_longterm_migrate") {
		if (field("result") == "0" && field("dst_pfn") != "0x0") fact("longterm.ok", 1)
		else fact("longterm.failed", 1)
	}
}
END {
	for (k in refs) {
		split(k, p, SUBSEP)
		facts[p[1], "refs.balance"] += refs[k]; keys[p[1], "refs.balance"] = 1
	}
	for (k in keys) {
		split(k, p, SUBSEP)
		print p[1], p[2], facts[k]
	}
}
