// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* devmemreport's outputs beyond the tables: listings, CSV, Perfetto, SVG. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "output.h"
#include "pgmap_names.h"
#include "render.h"
#include "counters.h"
#include "tracefile.h"

static double rel_s(const struct report *r, uint64_t ts)
{
	return ts >= r->first_ts ? (ts - r->first_ts) / 1e9 : 0;
}

/* A pgmap in a listing: its name, range and type. */
static const char *range_of(const struct report *r, uint64_t pgmap, char *buf, size_t len)
{
	char name[3 * DEVMEM_NAME_LEN];
	uint64_t i;

	devmem_pgmap_label(&r->t.st, pgmap, name, sizeof(name));
	if (u64map_get(&r->t.st.pgmap_idx, pgmap, &i))
		snprintf(buf, len, "%s %#" PRIx64 "-%#" PRIx64 " %s", name, r->t.st.pgmaps[i].start,
			 r->t.st.pgmaps[i].end, devmem_pgmap_type_name(r->t.st.pgmaps[i].type));
	else
		snprintf(buf, len, "%s", name);
	return buf;
}

/*
 * A device page in a listing: its pfn ("-" where it has none, ABI 4), and
 * where the record names it, its pgmap and index: " (name+index)".
 */
static const char *page_of(const struct report *r, uint64_t pgmap, uint64_t pfn, uint64_t index,
			   char *buf, size_t len)
{
	char name[3 * DEVMEM_NAME_LEN];
	int n = pfn == DEVMEM_PFN_NONE ? snprintf(buf, len, "-") :
		snprintf(buf, len, "%#" PRIx64, pfn);

	if (index != DEVMEM_INDEX_FROM_PFN && pgmap && n > 0 && (size_t)n < len) {
		devmem_pgmap_label(&r->t.st, pgmap, name, sizeof(name));
		snprintf(buf + n, len - n, " (%s+%" PRIu64 ")", name, index);
	}
	return buf;
}

void render_listings(const struct report *r, const char *stacks, size_t limit)
{
	struct leak_group *g = NULL;
	size_t i, n, li = 0, ei = 0, ci = 0, pi = 0, shown = 0;
	char range[256], page[256];

	printf("\nlong-term pin migrations: %zu\n", r->nlongterm);
	for (i = 0; i < r->nlongterm && i < limit; i++) {
		const struct devmem_rec_longterm *l = &r->longterm[i];

		printf("  +%10.6fs pid %-7u %-16s pfn %s -> %#" PRIx64 " %s result %d\n",
		       rel_s(r, l->hdr.ts_ns), l->hdr.pid, l->hdr.comm,
		       page_of(r, l->pgmap, l->src_pfn, l->src_index, page, sizeof(page)),
		       (uint64_t)l->dst_pfn,
		       range_of(r, l->pgmap, range, sizeof(range)), l->result);
	}
	if (r->nlongterm > limit)
		printf("  ... and %zu more\n", r->nlongterm - limit);
	printf("\ncopy-on-write replacements of device pages: %zu\n", r->ncow);
	for (i = 0; i < r->ncow && i < limit; i++) {
		const struct devmem_rec_cow *c = &r->cow[i];

		printf("  +%10.6fs pid %-7u %-16s address %#" PRIx64 " pfn %s -> %#" PRIx64 " %s\n",
		       rel_s(r, c->hdr.ts_ns), c->hdr.pid, c->hdr.comm, (uint64_t)c->address,
		       page_of(r, c->pgmap, c->old_pfn, c->old_index, page, sizeof(page)),
		       (uint64_t)c->new_pfn, range_of(r, c->pgmap, range, sizeof(range)));
	}
	if (r->ncow > limit)
		printf("  ... and %zu more\n", r->ncow - limit);

	/* Timeline: pgmap lifecycle, long-term migrations and CoW, in time order. */
	printf("\ntimeline (pgmap lifecycle, long-term migrations, CoW):\n");
	while (shown < limit && (li < r->nlife || ei < r->nends || pi < r->nlongterm || ci < r->ncow)) {
		uint64_t tl = li < r->nlife ? r->life[li].hdr.ts_ns : UINT64_MAX;
		uint64_t te = ei < r->nends ? r->ends[ei].hdr.ts_ns : UINT64_MAX;
		uint64_t tp = pi < r->nlongterm ? r->longterm[pi].hdr.ts_ns : UINT64_MAX;
		uint64_t tc = ci < r->ncow ? r->cow[ci].hdr.ts_ns : UINT64_MAX;

		/* A destroy record is memunmap_pages() beginning: it may never end. */
		if (tl <= te && tl <= tp && tl <= tc) {
			const struct devmem_rec_pgmap *p = &r->life[li++];

			printf("  +%10.6fs %-16s %s %#" PRIx64 "-%#" PRIx64 " %s%s\n", rel_s(r, tl),
			       p->hdr.comm, p->hdr.type == DEVMEM_REC_PGMAP_CREATE ? "pgmap created  " :
			       "teardown began ", (uint64_t)p->start, (uint64_t)p->end, devmem_pgmap_type_name(p->type),
			       p->error ? " (failed)" : "");
		} else if (te <= tp && te <= tc) {
			const struct devmem_rec_pgmap_wait *w = &r->ends[ei++];

			printf("  +%10.6fs %-16s teardown ended  %s after %.3f s: pgmap destroyed\n",
			       rel_s(r, te), w->hdr.comm, range_of(r, w->pgmap, range, sizeof(range)),
			       w->wait_ns / 1e9);
		} else if (tp <= tc) {
			const struct devmem_rec_longterm *l = &r->longterm[pi];

			printf("  +%10.6fs %-16s long-term pin moved pfn %s to system memory\n",
			       rel_s(r, tp), l->hdr.comm,
			       page_of(r, l->pgmap, l->src_pfn, l->src_index, page, sizeof(page)));
			pi++;
		} else {
			const struct devmem_rec_cow *c = &r->cow[ci];

			printf("  +%10.6fs %-16s CoW replaced device pfn %s\n", rel_s(r, tc),
			       c->hdr.comm, page_of(r, c->pgmap, c->old_pfn, c->old_index, page, sizeof(page)));
			ci++;
		}
		shown++;
	}
	if (li + ei + pi + ci < r->nlife + r->nends + r->nlongterm + r->ncow)
		printf("  ... and %zu more\n", r->nlife + r->nends + r->nlongterm + r->ncow -
		       li - ei - pi - ci);

	n = leak_groups(&r->t, stacks_in_file, (void *)stacks, NULL, 0, &g);
	for (i = 0, shown = 0; i < n; i++)
		shown += g[i].count;
	printf("\nstill outstanding at the end: %zu device pages\n", shown);
	for (i = 0; i < n && i < limit; i++) {
		char stack[sizeof(g[i].stack)], *frame, *save = NULL;

		printf("  %" PRIu64 " pages, %s, handed to pid %u (%s), allocated at:\n", g[i].count,
		       range_of(r, g[i].pgmap, range, sizeof(range)), g[i].pid, g[i].comm);
		memcpy(stack, g[i].stack, sizeof(stack));
		for (frame = strtok_r(stack, ";", &save); frame; frame = strtok_r(NULL, ";", &save))
			printf("      %s\n", frame);
	}
	free(g);
}

const char *stacks_in_file(void *ctx, int32_t id, char *buf, size_t len)
{
	return devmem_stack_lookup(ctx, id, buf, len);
}

int render_folded(struct report *r, const char *stacks, const char *path)
{
	struct folded_opts o = { .stack_of = stacks_in_file, .ctx = (void *)stacks, .st = &r->t.st };

	folded_add_pages(&r->folded, FOLDED_LIVE, &r->t);
	return folded_write_file(&r->folded, path, &o);
}

void render_csv(const struct report *r)
{
	size_t i;

	/*
	 * The columns keep their places from before names (name where the
	 * pgmap address was, driver where the owner was); new ones come last,
	 * the kernel addresses only with --raw-addresses.
	 */
	printf("table,name,type,start,end,driver,nr_pages,destroyed,live_pages,refs");
	devmem_counters_csv_header(stdout, &devmem_pgmap_counter_set);
	printf(",device,pci%s\n", devmem_raw_addresses ? ",pgmap,owner" : "");
	for (i = 0; i < r->t.st.nr_pgmaps; i++) {
		const struct devmem_pgmap_row *p = &r->t.st.pgmaps[i];
		char name[3 * DEVMEM_NAME_LEN];

		printf("pgmap,%s,%s,%#" PRIx64 ",%#" PRIx64 ",%s,%" PRIu64 ",%d,%" PRId64 ",%" PRId64,
		       pgmap_short_name(p, name, sizeof(name)), devmem_pgmap_type_name(p->type),
		       p->start, p->end, p->driver[0] ? p->driver : "unknown",
		       p->nr_pages, p->destroyed, devmem_pgmap_live(p), p->refs);
		devmem_counters_csv(stdout, &devmem_pgmap_counter_set, &p->c);
		printf(",%s,%s", p->device[0] ? p->device : "unknown", p->pci);
		if (devmem_raw_addresses)
			printf(",%#" PRIx64 ",%#" PRIx64, p->pgmap, p->owner);
		putchar('\n');
	}
	printf("\ntable,pid,comm");
	devmem_counters_csv_header(stdout, &devmem_proc_counter_set);
	putchar('\n');
	for (i = 0; i < r->t.st.nr_procs; i++) {
		const struct devmem_proc_row *p = &r->t.st.procs[i];
		char comm[DEVMEM_COMM_LEN];
		size_t k;

		/* A comm may hold anything but a NUL: keep the CSV parseable. */
		for (k = 0; k < sizeof(comm) && p->comm[k]; k++)
			comm[k] = p->comm[k] == ',' || p->comm[k] == '"' || (unsigned char)p->comm[k] < 0x20 ?
				  '_' : p->comm[k];
		comm[k < sizeof(comm) ? k : sizeof(comm) - 1] = 0;
		printf("process,%u,%s", p->pid, comm);
		devmem_counters_csv(stdout, &devmem_proc_counter_set, &p->c);
		putchar('\n');
	}
}

static void counter_name(const struct report *r, uint32_t row, char *buf, size_t len)
{
	const struct devmem_pgmap_row *p = &r->t.st.pgmaps[row];
	char name[3 * DEVMEM_NAME_LEN];

	/* Ends in "(type)": the VM test finds the private pgmap's track so. */
	snprintf(buf, len, "live pages %s %#" PRIx64 "-%#" PRIx64 " (%s)",
		 pgmap_short_name(p, name, sizeof(name)), p->start, p->end,
		 devmem_pgmap_type_name(p->type));
}

static void instant(struct json *j, const struct report *r, const char *name,
		    const struct devmem_rec_hdr *h, const char *scope)
{
	json_obj_open(j, NULL);
	json_str(j, "name", name);
	json_str(j, "ph", "i");
	json_str(j, "s", scope);
	json_double(j, "ts", rel_s(r, h->ts_ns) * 1e6);
	json_u64(j, "pid", h->pid);
	json_u64(j, "tid", h->tid);
}

int render_perfetto(const struct report *r, const char *path)
{
	FILE *f = devmem_report_open(path);
	char name[256];
	struct json j;
	size_t i;

	if (!f)
		return -1;
	json_begin(&j, f);
	json_obj_open(&j, NULL);
	json_str(&j, "displayTimeUnit", "ms");
	json_arr_open(&j, "traceEvents");
	json_obj_open(&j, NULL);
	json_str(&j, "name", "process_name");
	json_str(&j, "ph", "M");
	json_u64(&j, "pid", 0);
	json_obj_open(&j, "args");
	json_str(&j, "name", "device memory");
	json_obj_close(&j);
	json_obj_close(&j);
	/* One counter track per pgmap: its live pages over time. */
	for (i = 0; i < r->nsamples; i++) {
		counter_name(r, r->samples[i].row, name, sizeof(name));
		json_obj_open(&j, NULL);
		json_str(&j, "name", name);
		json_str(&j, "ph", "C");
		json_double(&j, "ts", rel_s(r, r->samples[i].ts_ns) * 1e6);
		json_u64(&j, "pid", 0);
		json_obj_open(&j, "args");
		json_i64(&j, "pages", r->samples[i].live);
		json_obj_close(&j);
		json_obj_close(&j);
	}
	for (i = 0; i < r->nlongterm; i++) {
		instant(&j, r, "longterm_migrate", &r->longterm[i].hdr, "t");
		json_obj_open(&j, "args");
		json_hex(&j, "src_pfn", r->longterm[i].src_pfn);
		if (r->longterm[i].src_index != DEVMEM_INDEX_FROM_PFN)
			json_u64(&j, "src_index", r->longterm[i].src_index);
		json_hex(&j, "dst_pfn", r->longterm[i].dst_pfn);
		json_i64(&j, "result", r->longterm[i].result);
		json_obj_close(&j);
		json_obj_close(&j);
	}
	for (i = 0; i < r->ncow; i++) {
		instant(&j, r, "cow_replace", &r->cow[i].hdr, "t");
		json_obj_open(&j, "args");
		json_hex(&j, "address", r->cow[i].address);
		json_hex(&j, "old_pfn", r->cow[i].old_pfn);
		if (r->cow[i].old_index != DEVMEM_INDEX_FROM_PFN)
			json_u64(&j, "old_index", r->cow[i].old_index);
		json_obj_close(&j);
		json_obj_close(&j);
	}
	for (i = 0; i < r->nlife; i++) {
		instant(&j, r, r->life[i].hdr.type == DEVMEM_REC_PGMAP_CREATE ? "pgmap_create" :
			"pgmap_destroy", &r->life[i].hdr, "g");
		json_obj_open(&j, "args");
		json_hex(&j, "start", r->life[i].start);
		json_hex(&j, "end", r->life[i].end);
		json_obj_close(&j);
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_obj_close(&j);
	json_end(&j);
	return devmem_report_close(f);
}

int render_svg(const struct report *r, const char *path)
{
	static const char *const colors[] = { "#1f77b4", "#d62728", "#2ca02c", "#9467bd",
					      "#ff7f0e", "#8c564b", "#e377c2", "#17becf" };
	const int W = 900, H = 320, L = 70, R = 260, T = 30, B = 40;
	double span = r->last_ts > r->first_ts ? (r->last_ts - r->first_ts) / 1e9 : 1;
	int64_t ymax = 1;
	FILE *f = devmem_report_open(path);
	size_t i, row, legend = 0;

	if (!f)
		return -1;
	for (i = 0; i < r->nsamples; i++)
		if (r->samples[i].live > ymax)
			ymax = r->samples[i].live;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "font-family=\"sans-serif\" font-size=\"12\">\n", W, H);
	fprintf(f, "<title>device-resident pages over time, per pgmap</title>\n"
		   "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H);
	fprintf(f, "<text x=\"%d\" y=\"18\" font-size=\"14\">Device-resident pages over time, per pgmap</text>\n", L);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, H - B, W - R, H - B);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, T, L, H - B);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%" PRId64 "</text>\n", L - 6, T + 4, ymax);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", L - 6, H - B + 4);
	fprintf(f, "<text x=\"%d\" y=\"%d\">0 s</text>\n", L, H - B + 18);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3f s</text>\n", W - R, H - B + 18, span);
	fprintf(f, "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\">live pages</text>\n",
		(H - B + T) / 2, (H - B + T) / 2);
	/* A step line per pgmap: the count holds until the next sample. */
	for (row = 0; row < r->t.st.nr_pgmaps; row++) {
		const char *color = colors[legend % 8];
		double px = L, py = H - B;
		char name[256];
		bool any = false;

		for (i = 0; i < r->nsamples; i++) {
			double x, y;

			if (r->samples[i].row != row)
				continue;
			x = L + (W - R - L) * rel_s(r, r->samples[i].ts_ns) / span;
			y = (H - B) - (double)(H - B - T) * r->samples[i].live / ymax;
			if (!any)
				fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"%.1f,%.1f",
					color, L + 0.0, (double)(H - B));
			fprintf(f, " %.1f,%.1f %.1f,%.1f", x, py, x, y);
			px = x;
			py = y;
			any = true;
		}
		if (!any)
			continue;
		fprintf(f, " %.1f,%.1f\"/>\n", (double)(W - R), py);
		(void)px;
		counter_name(r, (uint32_t)row, name, sizeof(name));
		fprintf(f, "<text x=\"%d\" y=\"%zu\" fill=\"%s\">%s</text>\n", W - R + 10,
			(size_t)T + 16 * legend, color, name + strlen("live pages "));
		legend++;
	}
	fputs("</svg>\n", f);
	return devmem_report_close(f);
}
