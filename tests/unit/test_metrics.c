// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the Prometheus and OpenMetrics exposition
 * (tools/devmemtop/exporter/metrics.c), built with ASan and UBSan: a
 * hand-built state against tests/unit/metrics-expected.prom and promtool,
 * names, content negotiation, counters that never go down. One PASS/FAIL
 * line per check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "metrics.h"
#include "output.h"
#include "state.h"
#include "u64map.h"
#define CHECK_GROUP "lib"
#include "check.h"

/* A state as the kernel totals would fill it, by hand. */
static void metrics_state(struct devmem_state *st)
{
	struct devmem_pgmap_row *p;
	struct devmem_proc_row *r;

	memset(st, 0, sizeof(*st));
	/* a private pgmap: 64 pages in and out, 10 faults with latencies */
	p = devmem_state_pgmap(st, 0xffff888001000000ull);
	p->type = DEVMEM_PGMAP_PRIVATE;
	p->start = 0x40000000;
	p->end = 0x4fffffff;
	p->owner = 0xffffffff81c5ece0ull;
	p->nr_pages = 65536;
	p->inits = 70;
	p->frees = 64;
	p->to_device = 64;
	p->to_system = 64;
	p->faults = 10;
	p->faults_no_progress = 3;	/* a thread spins on one page */
	p->stuck = 1;
	p->fault_lat[0] = 1;	/* 0 or 1 ns */
	p->fault_lat[10] = 6;	/* 1024..2047 ns */
	p->fault_lat[20] = 2;	/* ~1 ms */
	p->fault_lat[DEVMEM_LAT_BUCKETS - 1] = 1;	/* beyond the last edge */
	/* a coherent pgmap that waits in teardown since t = 1 s */
	p = devmem_state_pgmap(st, 0xffff888002000000ull);
	p->type = DEVMEM_PGMAP_COHERENT;
	p->start = 0x50000000;
	p->end = 0x5fffffff;
	p->owner = 0xffffffff81c5ece0ull;
	p->nr_pages = 65536;
	p->inits = 32;
	p->longterm = 32;
	p->longterm_failed = 3;
	p->cow = 5;
	p->destroyed = false;
	p->waiting = true;
	p->wait_since_ns = 1000000000ull;
	p->wait_live_pages = 32;
	p->wait_ns = 1500000ull;
	st->by_type[DEVMEM_REC_PAGE_INIT] = 102;
	st->by_type[DEVMEM_REC_FOLIO_FREE] = 64;
	st->events = 166;
	/* comm buffers are DEVMEM_COMM_LEN bytes, as in a record */
	static const char wl_a[DEVMEM_COMM_LEN] = "wl-a", odd[DEVMEM_COMM_LEN] = "a\"b\\c\nd\xff",
		small[DEVMEM_COMM_LEN] = "small";

	r = devmem_state_proc(st, 100, wl_a);
	r->held = 6;
	r->inits = 70;
	r->to_device = 64;
	r->to_system = 64;
	r->faults = 10;
	/* any bytes: a quote, a backslash, a newline and a byte that is no UTF-8 */
	r = devmem_state_proc(st, 200, odd);
	r->held = 32;
	r->inits = 32;
	r = devmem_state_proc(st, 300, small);
	r->held = 1;
	r->to_device = 7;
}

static char *metrics_text(const struct devmem_metrics *m, const struct devmem_state *st,
			  enum devmem_metrics_format fmt)
{
	static const uint64_t drops[DEVMEM_DROP_MAX] = { [DEVMEM_DROP_RINGBUF] = 4 };
	struct devmem_metrics_info info = { .version = "0.0.0-test", .attach_mode = "tracepoint", .kernel = "6.12.0",
					    .drops = drops, .recursion_misses = 1,
					    .now_ns = 3500000000ull, .stall_ns = 2000000000ull };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	devmem_metrics_write(f, m, st, &info, fmt);
	fclose(f);
	return buf;
}

/* Does text hold this exact line? */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

#define PRIV "type=\"private\",pgmap=\"0x40000000-0x4fffffff\""
#define COH "type=\"coherent\",pgmap=\"0x50000000-0x5fffffff\""

/* promtool check metrics on text: its exit status and what it said. */
static int promtool(const char *text, char *said, size_t len)
{
	char path[] = "/tmp/devmem-metrics-XXXXXX", cmd[256];
	int fd = mkstemp(path), rc;
	size_t n = 0;
	FILE *p;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics <%s 2>&1", path);
	p = popen(cmd, "r");
	said[0] = 0;
	if (p) {
		n = fread(said, 1, len - 1, p);
		said[n] = 0;
		rc = pclose(p);
	} else {
		rc = -1;
	}
	unlink(path);
	return rc;
}

/* Names are an info metric beside the series; kernel addresses only when asked. */
static void test_metrics_names(void)
{
	struct devmem_metrics m = { .max_procs = 2 };
	struct devmem_state st;
	char *text;

	metrics_state(&st);
	snprintf(st.pgmaps[0].driver, sizeof(st.pgmaps[0].driver), "nouveau");
	snprintf(st.pgmaps[0].device, sizeof(st.pgmaps[0].device), "nouveau_dmem");
	snprintf(st.pgmaps[0].pci, sizeof(st.pgmaps[0].pci), "0000:01:00.0");
	devmem_metrics_update(&m, &st);
	text = metrics_text(&m, &st, DEVMEM_METRICS_PROMETHEUS);
	CHECK("metrics: a named pgmap's driver, device and PCI device in devmem_pgmap_info",
	      has_line(text, "devmem_pgmap_info{" PRIV ",driver=\"nouveau\",device=\"nouveau_dmem\","
			     "pci=\"0000:01:00.0\"} 1"));
	CHECK("metrics: no kernel address without --raw-addresses", !strstr(text, "0xffff"));
	free(text);
	devmem_raw_addresses = true;
	text = metrics_text(&m, &st, DEVMEM_METRICS_PROMETHEUS);
	devmem_raw_addresses = false;
	CHECK("metrics: --raw-addresses adds the owner cookie to devmem_pgmap_info only",
	      strstr(text, ",owner=\"0xffffffff81c5ece0\"} 1") &&
	      has_line(text, "devmem_pages_migrated_to_device_total{" PRIV "} 64"));
	free(text);
	devmem_metrics_free(&m);
	devmem_state_free(&st);
}

/* The 0.0.4 text: byte for byte, line by line, and as promtool reads it. */
static void test_metrics_exposition(void)
{
	struct devmem_metrics m = { .max_procs = 2 };
	struct devmem_state st;
	char *text, said[4096], want[256];
	const char *p;
	int rc, b;

	metrics_state(&st);
	CHECK("metrics: the first update succeeds", devmem_metrics_update(&m, &st) == 0);
	text = metrics_text(&m, &st, DEVMEM_METRICS_PROMETHEUS);
	/* The checked-in expected exposition, byte for byte. */
	{
		FILE *f = fopen("tests/unit/metrics-expected.prom", "r");
		char *exp = calloc(1, 1 << 16);
		size_t n = f && exp ? fread(exp, 1, (1 << 16) - 1, f) : 0;

		CHECK("metrics: the exposition is exactly tests/unit/metrics-expected.prom",
		      n && !strcmp(exp, text));
		if (getenv("METRICS_DUMP"))
			fputs(text, stderr);
		if (f)
			fclose(f);
		free(exp);
	}
	CHECK("metrics: info names the attach mode, ABI and version",
	      has_line(text, "devmem_info{version=\"0.0.0-test\",abi=\"4\","
			     "attach_mode=\"tracepoint\",kernel=\"6.12.0\"} 1"));
	CHECK("metrics: a counter's TYPE names its _total sample in the 0.0.4 format",
	      has_line(text, "# TYPE devmem_pages_migrated_to_device_total counter"));
	CHECK("metrics: per-pgmap counters carry type, pgmap and owner",
	      has_line(text, "devmem_pages_migrated_to_device_total{" PRIV "} 64") &&
	      has_line(text, "devmem_pages_initialized_total{" COH "} 32") &&
	      has_line(text, "devmem_longterm_pin_migrated_pages_total{" COH "} 32") &&
	      has_line(text, "devmem_longterm_pin_failed_pages_total{" COH "} 3") &&
	      has_line(text, "devmem_cow_replacements_total{" COH "} 5") &&
	      has_line(text, "devmem_cpu_faults_total{" PRIV "} 10"));
	CHECK("metrics: live pages and bytes, capacity",
	      has_line(text, "devmem_pgmap_live_pages{" PRIV "} 6") &&
	      has_line(text, "devmem_pgmap_live_bytes{" PRIV "} 24576") &&
	      has_line(text, "devmem_pgmap_capacity_pages{" COH "} 65536"));
	CHECK("metrics: a waiting teardown, its age and pages, the last wait",
	      has_line(text, "devmem_teardown_waiting{" COH "} 1") &&
	      has_line(text, "devmem_teardown_wait_seconds{" COH "} 2.5") &&
	      has_line(text, "devmem_teardown_wait_pages{" COH "} 32") &&
	      has_line(text, "devmem_teardown_last_wait_seconds{" COH "} 0.0015") &&
	      has_line(text, "devmem_teardown_wait_seconds{" PRIV "} 0"));
	/* buckets: cumulative, le = 2^(b+1) - 1 ns, +Inf == _count */
	CHECK("metrics: histogram buckets are cumulative at exact edges",
	      has_line(text, "devmem_fault_latency_seconds_bucket{" PRIV ",le=\"0.000000001\"} 1") &&
	      has_line(text, "devmem_fault_latency_seconds_bucket{" PRIV ",le=\"0.000001023\"} 1") &&
	      has_line(text, "devmem_fault_latency_seconds_bucket{" PRIV ",le=\"0.000002047\"} 7") &&
	      has_line(text, "devmem_fault_latency_seconds_bucket{" PRIV ",le=\"0.002097151\"} 9") &&
	      has_line(text, "devmem_fault_latency_seconds_bucket{" PRIV ",le=\"549.755813887\"} 9"));
	CHECK("metrics: the +Inf bucket is the count",
	      has_line(text, "devmem_fault_latency_seconds_bucket{" PRIV ",le=\"+Inf\"} 10") &&
	      has_line(text, "devmem_fault_latency_seconds_count{" PRIV "} 10"));
	/* 1 + 6 * 1536 + 2 * 1.5 * 2^20 + 2^39 ns (the open bucket at its lower edge) */
	snprintf(want, sizeof(want), "devmem_fault_latency_seconds_sum{" PRIV "} %.15g",
		 (1 + 6 * 1536.0 + 2 * 1572864.0 + 549755813888.0) / 1e9);
	CHECK("metrics: _sum is estimated at bucket middles", has_line(text, want));
	for (b = 0, p = text; (p = strstr(p, "devmem_fault_latency_seconds_bucket{" COH)); p++)
		b++;
	CHECK("metrics: each pgmap has DEVMEM_LAT_BUCKETS buckets (the last is +Inf)",
	      b == DEVMEM_LAT_BUCKETS);
	CHECK("metrics: label values escaped, bad UTF-8 replaced",
	      has_line(text, "devmem_process_held_pages{pid=\"200\",comm=\"a\\\"b\\\\c\\nd\xef\xbf\xbd\"} 32"));
	CHECK("metrics: the two largest processes have their own series",
	      has_line(text, "devmem_process_pages_migrated_to_device_total{pid=\"100\",comm=\"wl-a\"} 64") &&
	      !strstr(text, "pid=\"300\""));
	CHECK("metrics: the rest are summed as comm=\"other\"",
	      has_line(text, "devmem_process_held_pages{comm=\"other\"} 1") &&
	      has_line(text, "devmem_process_pages_migrated_to_device_total{comm=\"other\"} 7") &&
	      has_line(text, "devmem_processes_folded 1"));
	CHECK("metrics: losses by kind",
	      has_line(text, "devmem_events_lost_total{kind=\"ringbuf_full\"} 4") &&
	      has_line(text, "devmem_events_lost_total{kind=\"bpf_recursion\"} 1") &&
	      has_line(text, "devmem_events_total{event=\"page_init\"} 102"));
	rc = promtool(text, said, sizeof(said));
	CHECK("metrics: promtool check metrics accepts the 0.0.4 text and says nothing",
	      rc == 0 && !said[0]);
	if (rc || said[0])
		printf("promtool said (exit %d): %s\n", rc, said);
	free(text);
	devmem_metrics_free(&m);
	devmem_state_free(&st);
}

/* The same state in OpenMetrics, a late start's estimate, and Accept headers. */
static void test_metrics_openmetrics(void)
{
	struct devmem_metrics m = { .max_procs = 2 };
	struct devmem_state st;
	char *text, *om;
	const char *p;
	int b;

	metrics_state(&st);
	devmem_metrics_update(&m, &st);
	text = metrics_text(&m, &st, DEVMEM_METRICS_PROMETHEUS);
	om = metrics_text(&m, &st, DEVMEM_METRICS_OPENMETRICS);
	CHECK("metrics: OpenMetrics names a counter's family without _total",
	      has_line(om, "# TYPE devmem_pages_migrated_to_device counter") &&
	      has_line(om, "devmem_pages_migrated_to_device_total{" PRIV "} 64"));
	CHECK("metrics: OpenMetrics has an info type and ends in # EOF",
	      has_line(om, "# TYPE devmem info") &&
	      strlen(om) > 6 && !strcmp(om + strlen(om) - 6, "# EOF\n"));
	{
		/* OpenMetrics HELP text may hold no raw quote; no escapes needed in either format */
		bool clean = true;

		for (p = om; (p = strstr(p, "# HELP ")); p++)
			if (strcspn(p, "\"\\") < strcspn(p, "\n"))
				clean = false;
		CHECK("metrics: no HELP text needs escaping (no quote, no backslash)", clean);
	}
	CHECK("metrics: the 0.0.4 text has no # EOF and an info gauge",
	      !strstr(text, "# EOF") && has_line(text, "# TYPE devmem_info gauge"));
	free(text);
	free(om);
	/* Late start: a base still estimated says so. */
	for (b = 0; b < (int)st.nr_pgmaps; b++)
		st.pgmaps[b].live_pending = st.pgmaps[b].type == DEVMEM_PGMAP_PRIVATE;
	text = metrics_text(&m, &st, DEVMEM_METRICS_PROMETHEUS);
	CHECK("metrics: live_exact is 0 for a pgmap whose live pages are an estimate, 1 else",
	      has_line(text, "devmem_pgmap_live_exact{" PRIV "} 0") &&
	      has_line(text, "devmem_pgmap_live_exact{" COH "} 1"));
	free(text);

	CHECK("metrics: Prometheus's Accept header gets OpenMetrics",
	      devmem_metrics_negotiate("application/openmetrics-text;version=1.0.0,"
				       "application/openmetrics-text;version=0.0.1;q=0.75,"
				       "text/plain;version=0.0.4;q=0.5,*/*;q=0.1") ==
	      DEVMEM_METRICS_OPENMETRICS);
	CHECK("metrics: curl's */* and no Accept get the text format",
	      devmem_metrics_negotiate("*/*") == DEVMEM_METRICS_PROMETHEUS &&
	      devmem_metrics_negotiate("") == DEVMEM_METRICS_PROMETHEUS);
	CHECK("metrics: OpenMetrics preferred less than text, or of another version, is not chosen",
	      devmem_metrics_negotiate("text/plain;q=0.9, application/openmetrics-text;q=0.5") ==
	      DEVMEM_METRICS_PROMETHEUS &&
	      devmem_metrics_negotiate("application/openmetrics-text;version=2.0.0") ==
	      DEVMEM_METRICS_PROMETHEUS);
	devmem_metrics_free(&m);
	devmem_state_free(&st);
}

/* A counter of one label set never goes down, whatever comes and goes. */
static void test_metrics_monotonic(void)
{
	struct devmem_metrics m = { .max_procs = 1 };
	struct devmem_state st;
	struct devmem_proc_row *a, *b;
	struct devmem_pgmap_row *old, *fresh;
	static const char ca[DEVMEM_COMM_LEN] = "a", cb[DEVMEM_COMM_LEN] = "b";
	char *text;

	memset(&st, 0, sizeof(st));
	a = devmem_state_proc(&st, 1, ca);
	a->held = 10;
	a->to_device = 10;
	b = devmem_state_proc(&st, 2, cb);
	b->held = 5;
	b->to_device = 5;
	devmem_metrics_update(&m, &st);
	CHECK("monotonic: b is other with its 5 pages", m.other[DEVMEM_PROC_IDX_to_device] == 5);
	/* b overtakes a: a's further pages go to other, b is listed with its total */
	b = &st.procs[1];
	b->held = 50;
	b->to_device = 50;
	st.procs[0].to_device = 12;
	devmem_metrics_update(&m, &st);
	CHECK("monotonic: other keeps what it had and takes a's 2 new pages",
	      m.other[DEVMEM_PROC_IDX_to_device] == 7 && m.procs[1].listed && !m.procs[0].listed);
	devmem_metrics_update(&m, &st);
	CHECK("monotonic: an update with nothing new changes nothing", m.other[DEVMEM_PROC_IDX_to_device] == 7);
	text = metrics_text(&m, &st, DEVMEM_METRICS_PROMETHEUS);
	CHECK("monotonic: the exposition shows other and the listed process",
	      has_line(text, "devmem_process_pages_migrated_to_device_total{comm=\"other\"} 7") &&
	      has_line(text, "devmem_process_pages_migrated_to_device_total{pid=\"2\",comm=\"b\"} 50"));
	free(text);

	/*
	 * A pgmap torn down and made again at the same address and range: the
	 * dead row keeps its totals (kcounts.c and the replay both give the
	 * new one its own row), and the series adds them up.
	 */
	old = devmem_state_pgmap(&st, 0x1000);
	old->type = DEVMEM_PGMAP_PRIVATE;
	old->start = 0x40000000;
	old->end = 0x4fffffff;
	old->to_device = 64;
	old->destroyed = true;
	old->pgmap = 0;
	u64map_del(&st.pgmap_idx, 0x1000);
	fresh = devmem_state_pgmap(&st, 0x1000);
	fresh->type = DEVMEM_PGMAP_PRIVATE;
	fresh->start = 0x40000000;
	fresh->end = 0x4fffffff;
	fresh->to_device = 3;
	fresh->inits = 3;
	text = metrics_text(&m, &st, DEVMEM_METRICS_PROMETHEUS);
	CHECK("monotonic: a pgmap made again adds to its dead predecessor's series",
	      has_line(text, "devmem_pages_migrated_to_device_total{type=\"private\","
			     "pgmap=\"0x40000000-0x4fffffff\"} 67"));
	CHECK("monotonic: its gauges are the live pgmap's, its live pages those of both",
	      has_line(text, "devmem_pgmap_destroyed{type=\"private\",pgmap=\"0x40000000-0x4fffffff\"} 0") &&
	      has_line(text, "devmem_pgmap_live_pages{type=\"private\",pgmap=\"0x40000000-0x4fffffff\"} 3"));
	free(text);
	/* The dead one's row after the live one's (the new pgmap took the row
	 * debugfs seeded): still the live one's gauges; live pages of both. */
	fresh = devmem_state_pgmap(&st, 0x2000);
	fresh->type = DEVMEM_PGMAP_PRIVATE;
	fresh->start = 0x60000000;
	fresh->end = 0x6fffffff;
	fresh->to_device = 5;
	fresh->inits = 5;
	old = devmem_state_pgmap(&st, 0x3000);
	old->type = DEVMEM_PGMAP_PRIVATE;
	old->start = 0x60000000;
	old->end = 0x6fffffff;
	old->to_device = 2;
	old->inits = 2;
	old->destroyed = true;
	text = metrics_text(&m, &st, DEVMEM_METRICS_PROMETHEUS);
	CHECK("monotonic: whatever the rows' order, the live pgmap's gauges, both pgmaps' pages",
	      has_line(text, "devmem_pages_migrated_to_device_total{type=\"private\","
			     "pgmap=\"0x60000000-0x6fffffff\"} 7") &&
	      has_line(text, "devmem_pgmap_destroyed{type=\"private\",pgmap=\"0x60000000-0x6fffffff\"} 0") &&
	      has_line(text, "devmem_pgmap_live_pages{type=\"private\",pgmap=\"0x60000000-0x6fffffff\"} 7"));
	free(text);
	devmem_metrics_free(&m);
	devmem_state_free(&st);
}

int main(void)
{
	test_metrics_exposition();
	test_metrics_openmetrics();
	test_metrics_names();
	test_metrics_monotonic();
	return failures ? 1 : 0;
}
