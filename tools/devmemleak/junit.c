// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* devmemleak's verdict as JUnit XML (--junit), for CI. */
#include <errno.h>
#include <stdio.h>
#include "devmemleak.h"
#include "json.h"
#include "output.h"

/*
 * Text for XML attributes and content: markup escaped, and any bytes a comm
 * may hold kept valid (well-formed UTF-8 as is, other bytes as the
 * character of the same value, as the JSON output does; controls dropped).
 */
static void xml_escaped(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int n;

	while (*s) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if (*s >= 0x80 && (n = json_utf8_len(s))) {
				fwrite(s, 1, n, f);
				s += n;
				continue;
			}
			if (*s >= 0x80)
				fprintf(f, "&#x%02x;", *s);
			else if (*s >= 0x20 || *s == '\n')
				fputc(*s, f);
		}
		s++;
	}
}

int write_junit(const char *path, const struct leak *lk, int verdict, int leak_status)
{
	const struct outcome *o = &lk->o;
	const struct leak_group *g = lk->groups;
	uint64_t leaked = lk->leaked, leaked_refs = lk->leaked_refs, lost = lk->lost;
	size_t n = lk->ngroups;
	bool failure = verdict == leak_status && !o->no_verdict[0] && (leaked || leaked_refs);
	bool error = o->no_verdict[0] != 0;
	FILE *f = devmem_report_open(path);
	size_t j;

	if (!f)
		return -errno;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<testsuites><testsuite name=\"devmemleak\" tests=\"1\" failures=\"%d\" errors=\"%d\">\n"
		   "<testcase classname=\"devmemleak\" name=\"", failure, error);
	xml_escaped(f, o->name);
	fputs("\">", f);
	if (error) {
		fputs("<error message=\"no verdict: ", f);
		xml_escaped(f, o->no_verdict);
		fputs("\"></error>", f);
	} else if (failure) {
		fprintf(f, "<failure message=\"%llu leaked device pages, %llu leaked pgmap references, %llu events lost\">",
			(unsigned long long)leaked, (unsigned long long)leaked_refs,
			(unsigned long long)lost);
		for (j = 0; j < n; j++) {
			if (g[j].suppressed || !g[j].mine)
				continue;
			char pgmap[3 * DEVMEM_NAME_LEN];

			fprintf(f, "%llu pages of pgmap %s, pid %u (", (unsigned long long)g[j].count,
				devmem_pgmap_label(&lk->lt.st, g[j].pgmap, pgmap, sizeof(pgmap)), g[j].pid);
			xml_escaped(f, g[j].comm);
			fputs(")\n", f);
		}
		fputs("</failure>", f);
	}
	/* How the command ended is context, not the leak verdict: CI reads the exit status. */
	fputs("<system-out>", f);
	xml_escaped(f, o->what);
	if (o->settle[0]) {
		fputs("\n", f);
		xml_escaped(f, o->settle);
	}
	fputs("</system-out></testcase></testsuite></testsuites>\n", f);
	/* A write that failed leaves a cut file: that is no verdict. */
	return devmem_report_close(f) ? -errno : 0;
}
