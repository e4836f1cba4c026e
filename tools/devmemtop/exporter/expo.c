// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The exposition formats' primitives: escaping, labels, samples, HELP and
 * TYPE lines, and which format a scraper asks for. metrics.c says what
 * the families hold.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "expo.h"
#include "json.h"

/* ---- escaping ---- */

void devmem_metrics_escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = *p < 0x80 ? 1 : (size_t)json_utf8_len(p);

		if (!n) {	/* a comm is any bytes; Prometheus wants UTF-8 */
			fputs("\xef\xbf\xbd", f);
			p++;
		} else if (*p == '\\' || *p == '"') {
			fputc('\\', f);
			fputc(*p++, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
			p++;
		} else {
			fwrite(p, 1, n, f);
			p += n;
		}
	}
}

/* ---- labels ---- */

void expo_label(struct devmem_labels *l, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (l->n == DEVMEM_METRICS_MAX_LABELS)
		return;
	l->l[l->n].name = name;
	va_start(ap, fmt);
	vsnprintf(l->l[l->n].value, sizeof(l->l[l->n].value), fmt, ap);
	va_end(ap);
	l->n++;
}

/* ---- samples ---- */

/* name{labels,extra="xval"} value; the value is already text. */
void expo_sample(FILE *f, const char *name, const char *suffix, const struct devmem_labels *l,
		 const char *extra, const char *xval, const char *value)
{
	size_t i, n = l ? l->n : 0;

	fprintf(f, "%s%s", name, suffix);
	if (n || extra) {
		fputc('{', f);
		for (i = 0; i < n; i++) {
			fprintf(f, "%s%s=\"", i ? "," : "", l->l[i].name);
			devmem_metrics_escape(f, l->l[i].value);
			fputc('"', f);
		}
		if (extra) {
			fprintf(f, "%s%s=\"", n ? "," : "", extra);
			devmem_metrics_escape(f, xval);
			fputc('"', f);
		}
		fputc('}', f);
	}
	fprintf(f, " %s\n", value);
}

const char *expo_u64(char *b, uint64_t v)
{
	snprintf(b, 32, "%llu", (unsigned long long)v);
	return b;
}

const char *expo_i64(char *b, int64_t v)
{
	snprintf(b, 32, "%lld", (long long)v);
	return b;
}

/* Nanoseconds as exact decimal seconds: 1023 -> 0.000001023, 2500000000 -> 2.5. */
const char *expo_secs(char *b, uint64_t ns)
{
	int n = snprintf(b, 32, "%llu.%09llu", (unsigned long long)(ns / 1000000000ull),
			 (unsigned long long)(ns % 1000000000ull));

	while (b[n - 1] == '0')
		b[--n] = 0;
	if (b[n - 1] == '.')
		b[--n] = 0;
	return b;
}

/*
 * HELP and TYPE. OpenMetrics names a counter's family without _total and
 * has an info type; the 0.0.4 text format names it by its sample, and an
 * info metric there is a gauge of 1.
 */
void expo_family(FILE *f, enum devmem_metrics_format fmt, const char *name, enum expo_kind k,
		 const char *help)
{
	static const char *const types[] = { "counter", "gauge", "histogram", "info" };
	const char *suffix = "";
	enum expo_kind t = k;

	if (fmt == DEVMEM_METRICS_PROMETHEUS && k == COUNTER)
		suffix = "_total";
	if (fmt == DEVMEM_METRICS_PROMETHEUS && k == INFO) {
		suffix = "_info";
		t = GAUGE;
	}
	fprintf(f, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, suffix, help, name, suffix, types[t]);
}

const char *devmem_metrics_content_type(enum devmem_metrics_format fmt)
{
	return fmt == DEVMEM_METRICS_OPENMETRICS ?
	       "application/openmetrics-text; version=1.0.0; charset=utf-8" :
	       "text/plain; version=0.0.4; charset=utf-8";
}

/*
 * Accept: a list of media ranges with parameters. OpenMetrics is chosen
 * when it is listed (version 1.0.0 or none) with a q above zero and not
 * below the 0.0.4 text format's; anything else gets the text format,
 * which every Prometheus reads.
 */
enum devmem_metrics_format devmem_metrics_negotiate(const char *accept)
{
	double q_om = -1, q_text = -1;
	const char *p = accept;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char range[256], *type, *param, *save = NULL;
		double q = 1;
		bool om, text, version_ok = true;

		if (len >= sizeof(range))
			len = sizeof(range) - 1;
		memcpy(range, p, len);
		range[len] = 0;
		p = end ? end + 1 : NULL;
		type = strtok_r(range, ";", &save);
		if (!type)
			continue;
		while (*type == ' ' || *type == '\t')
			type++;
		type[strcspn(type, " \t")] = 0;
		while ((param = strtok_r(NULL, ";", &save))) {
			while (*param == ' ' || *param == '\t')
				param++;
			if (!strncmp(param, "q=", 2))
				q = strtod(param + 2, NULL);
			else if (!strncmp(param, "version=", 8))
				version_ok = !strncmp(param + 8, "1.0.0", 5);
		}
		om = !strcasecmp(type, "application/openmetrics-text");
		text = !strcasecmp(type, "text/plain") || !strcasecmp(type, "text/*") ||
		       !strcmp(type, "*/*");
		if (om && version_ok && q > q_om)
			q_om = q;
		if (text && q > q_text)	/* whatever version: 0.0.4 is all we write */
			q_text = q;
	}
	return q_om > 0 && q_om >= q_text ? DEVMEM_METRICS_OPENMETRICS : DEVMEM_METRICS_PROMETHEUS;
}
