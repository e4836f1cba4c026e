// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the option table (options_table.c) becomes: getopt_long() tables,
 * argument parsing, and --help.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "options.h"

int devmem_verbose;

/* getopt_long's val for an option: far above any letter. */
#define OPT_VAL(id) (0x1000 + (int)(id))

const struct devmem_option *devmem_option_of(unsigned int tool, enum devmem_opt id)
{
	unsigned int i;

	for (i = 0; i < devmem_nr_options; i++)
		if (devmem_options[i].id == id && (devmem_options[i].tools & tool))
			return &devmem_options[i];
	return NULL;
}

const struct devmem_tool_doc *devmem_tool_doc(unsigned int tool)
{
	unsigned int i;

	for (i = 0; i < devmem_nr_tool_docs; i++)
		if (devmem_tool_docs[i].tool == tool)
			return &devmem_tool_docs[i];
	return NULL;
}

void devmem_getopt_init(struct devmem_getopt *g, unsigned int tool, bool stop_at_command)
{
	char *s = g->shortopts;
	size_t n = 0;
	unsigned int i;

	memset(g, 0, sizeof(*g));
	g->tool = tool;
	s = g->shortopts;
	if (stop_at_command)
		*s++ = '+';
	/* getopt prints its own message for an unknown option; ':' would hide it. */
	for (i = 0; i < devmem_nr_options; i++) {
		const struct devmem_option *o = &devmem_options[i];

		if (!(o->tools & tool) || (devmem_option_of(tool, o->id) != o && !o->alias))
			continue;	/* another tool's, or a second wording */
		g->longopts[n++] = (struct option){
			o->name, o->arg ? required_argument : no_argument, NULL, OPT_VAL(o->id),
		};
		if (o->letter) {
			*s++ = o->letter;
			if (o->arg)
				*s++ = ':';
		}
	}
	*s = 0;
}

int devmem_getopt(struct devmem_getopt *g, int argc, char **argv)
{
	unsigned int i;
	int c;

	c = getopt_long(argc, argv, g->shortopts, g->longopts, NULL);
	if (c == -1)
		return -1;
	if (c >= OPT_VAL(0) && c < OPT_VAL(DEVMEM_NR_OPTS))
		return c - OPT_VAL(0);
	for (i = 0; i < devmem_nr_options; i++)
		if (devmem_options[i].letter == c && (devmem_options[i].tools & g->tool))
			return devmem_options[i].id;
	return DEVMEM_NR_OPTS;
}

int devmem_parse_seconds(const char *s, double min, double max, double *out)
{
	static const struct { const char *unit; double scale; } units[] = {
		{ "", 1 }, { "s", 1 }, { "ms", 1e-3 }, { "m", 60 }, { "h", 3600 },
	};
	char *end;
	double v;
	size_t i;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit)) {
			v *= units[i].scale;
			if (!(v >= min && v <= max))
				return -1;
			*out = v;
			return 0;
		}
	return -1;
}

int devmem_parse_count(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v != floor(v) || !(v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

int devmem_parse_bytes(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return -1;
	switch (*end) {
	case 'K': case 'k': v *= 1 << 10; end++; break;
	case 'M': case 'm': v *= 1 << 20; end++; break;
	case 'G': case 'g': v *= 1 << 30; end++; break;
	}
	if (*end || v != floor(v) || !(v >= min && v <= max))
		return -1;
	*out = v;
	return 0;
}

void devmem_print_wrapped(FILE *f, const char *text, int col, int indent)
{
	const char *p = text;
	int start = col;

	while (*p) {
		size_t len = strcspn(p, " ");

		if (col > start && col + 1 + (int)len > 79) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > start) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)len, p);
		col += (int)len;
		p += len;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

#define HELP_COL 26

double devmem_option_default(unsigned int tool, enum devmem_opt id)
{
	const struct devmem_option *o = devmem_option_of(tool, id);
	double v;

	if (!o || !o->deflt)
		return NAN;
	switch (o->arg) {
	case DEVMEM_ARG_SECONDS:
		return devmem_parse_seconds(o->deflt, 0, INFINITY, &v) ? NAN : v;
	case DEVMEM_ARG_COUNT:
		return devmem_parse_count(o->deflt, 0, INFINITY, &v) ? NAN : v;
	case DEVMEM_ARG_BYTES:
		return devmem_parse_bytes(o->deflt, 0, INFINITY, &v) ? NAN : v;
	default:
		return NAN;
	}
}

/* Alphabetical by long name, but help, version and verbose last. */
static int option_cmp(const void *a, const void *b)
{
	const struct devmem_option *x = *(const struct devmem_option *const *)a;
	const struct devmem_option *y = *(const struct devmem_option *const *)b;
	bool gx = x->id <= DEVMEM_OPT_VERBOSE, gy = y->id <= DEVMEM_OPT_VERBOSE;

	if (gx != gy)
		return gx - gy;
	return gx ? (int)x->id - (int)y->id : strcmp(x->name, y->name);
}

size_t devmem_tool_options(unsigned int tool, const struct devmem_option **out)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < devmem_nr_options; i++)
		if ((devmem_options[i].tools & tool) && !devmem_options[i].alias)
			out[n++] = &devmem_options[i];
	qsort(out, n, sizeof(*out), option_cmp);
	return n;
}

#define HELP_COL 26

void devmem_usage(FILE *f, unsigned int tool)
{
	const struct devmem_tool_doc *d = devmem_tool_doc(tool);
	const struct devmem_option *opts[DEVMEM_MAX_TOOL_OPTS];
	size_t k, i, n = devmem_tool_options(tool, opts);

	for (k = 0; k < 3 && d->synopsis[k]; k++)
		fprintf(f, "%s %s %s\n", k ? "      " : "usage:", d->name, d->synopsis[k]);
	fprintf(f, "\n%s\n\n", d->description);
	for (i = 0; i < n; i++) {
		const struct devmem_option *o = opts[i];
		char head[64], help[512];
		int w;

		w = snprintf(head, sizeof(head), "  %c%c%s--%s%s%s", o->letter ? '-' : ' ',
			     o->letter ? o->letter : ' ', o->letter ? ", " : "  ", o->name,
			     o->argname ? " " : "", o->argname ? o->argname : "");
		snprintf(help, sizeof(help), "%s%s%s%s", o->help, o->deflt ? " (default " : "",
			 o->deflt ? o->deflt : "", o->deflt ? ")" : "");
		fputs(head, f);
		if (w + 2 > HELP_COL)
			fprintf(f, "\n%*s", HELP_COL, "");
		else
			fprintf(f, "%*s", HELP_COL - w, "");
		devmem_print_wrapped(f, help, HELP_COL, HELP_COL);
	}
	fprintf(f, "\nDurations (SEC) are seconds, or a number with ms, s, m or h.\n");
	if (d->notes)
		fprintf(f, "\n%s\n", d->notes);
	fputc('\n', f);
	devmem_print_exit_codes(f, tool);
	fprintf(f, "\nExamples:\n");
	for (k = 0; k < sizeof(d->examples) / sizeof(d->examples[0]) && d->examples[k].cmd; k++)
		fprintf(f, "  %s\n      %s\n", d->examples[k].cmd, d->examples[k].what);
}

int devmem_usage_error(unsigned int tool, const char *fmt, ...)
{
	const struct devmem_tool_doc *d = devmem_tool_doc(tool);
	va_list ap;

	fprintf(stderr, "%s: ", d->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return devmem_usage_hint(tool);
}

int devmem_usage_hint(unsigned int tool)
{
	fprintf(stderr, "Try '%s --help'.\n", devmem_tool_doc(tool)->name);
	return DEVMEM_EXIT_USAGE;
}
