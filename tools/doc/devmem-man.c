// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmem-man TOOL: the parts of TOOL's man page that come from the tool
 * itself, as go-md2man markdown: SYNOPSIS, OPTIONS, EXIT STATUS and
 * EXAMPLES, from the option and exit-code tables its --help prints.
 * scripts/mkman.sh puts them around the page's DESCRIPTION. "options"
 * lists the tool's options one a line, for tests/options.sh.
 */
#include <stdio.h>
#include <string.h>
#include "exit_codes.h"
#include "options.h"

/* Text as markdown that go-md2man passes through as it is. */
static void md(const char *s)
{
	for (; *s; s++) {
		if (strchr("\\`*_[]<>#|", *s))
			putchar('\\');
		putchar(*s);
	}
}

static void synopsis(const struct devmem_tool_doc *d)
{
	size_t k;

	printf("# SYNOPSIS\n\n");
	for (k = 0; k < 3 && d->synopsis[k]; k++) {
		printf("**%s** ", d->name);
		md(d->synopsis[k]);
		printf("\n\n");
	}
}

static void options(const struct devmem_tool_doc *d)
{
	const struct devmem_option *opts[DEVMEM_MAX_TOOL_OPTS];
	size_t i, n = devmem_tool_options(d->tool, opts);

	printf("# OPTIONS\n\n");
	for (i = 0; i < n; i++) {
		const struct devmem_option *o = opts[i];

		if (o->letter)
			printf("**-%c**, ", o->letter);
		printf("**--%s**", o->name);
		if (o->argname) {
			printf(" *");
			md(o->argname);
			printf("*");
		}
		printf("\n: ");
		md(o->help);
		if (o->deflt) {
			printf(" (default ");
			md(o->deflt);
			printf(")");
		}
		printf(".\n\n");
	}
	printf("Durations (*SEC*) are seconds, fractions allowed, or a number followed by "
	       "**ms**, **s**, **m** or **h**.\n\n");
}

static void exit_status(const struct devmem_tool_doc *d)
{
	unsigned int i;

	printf("# EXIT STATUS\n\n");
	for (i = 0; i < devmem_nr_exit_codes; i++) {
		const struct devmem_exit_code *e = &devmem_exit_codes[i];

		if (!(e->tools & d->tool))
			continue;
		if (e->code < 0)
			printf("**\\*** (%s)", e->name);
		else
			printf("**%d** (%s)", e->code, e->name);
		printf("\n: ");
		md(e->meaning);
		printf(".\n\n");
	}
}

static void examples(const struct devmem_tool_doc *d)
{
	size_t k;

	printf("# EXAMPLES\n\n");
	for (k = 0; k < sizeof(d->examples) / sizeof(d->examples[0]) && d->examples[k].cmd; k++) {
		printf("**");
		md(d->examples[k].cmd);
		printf("**\n: ");
		md(d->examples[k].what);
		printf(".\n\n");
	}
}

int main(int argc, char **argv)
{
	unsigned int i;

	for (i = 0; argc == 3 && i < devmem_nr_tool_docs; i++) {
		const struct devmem_tool_doc *d = &devmem_tool_docs[i];

		if (strcmp(d->name, argv[2]))
			continue;
		if (!strcmp(argv[1], "name")) {
			printf("%s\n", d->summary);
		} else if (!strcmp(argv[1], "synopsis")) {
			synopsis(d);
		} else if (!strcmp(argv[1], "options")) {
			const struct devmem_option *o[DEVMEM_MAX_TOOL_OPTS];
			size_t k, n = devmem_tool_options(d->tool, o);

			for (k = 0; k < n; k++) {
				if (o[k]->letter)
					printf("-%c, ", o[k]->letter);
				printf("--%s\n", o[k]->name);
			}
		} else if (!strcmp(argv[1], "reference")) {
			options(d);
			exit_status(d);
			examples(d);
		} else {
			break;
		}
		return 0;
	}
	fprintf(stderr, "usage: devmem-man name|synopsis|options|reference TOOL\n");
	return 2;
}
