// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/ssl.h>
#include "basicauth.h"
#include "clock.h"
#include "exporter.h"
#include "version.h"
#include "httpd.h"
#include "metrics.h"
#include "tls.h"
#include "webconfig.h"

#define REALM_HEADER "WWW-Authenticate: Basic realm=\"devmemtop\", charset=\"UTF-8\"\r\n"

/* One exporter per process; both outputs read its snapshots. */
static struct {
	const char *textfile;
	bool listening, wrote_once, failing;
	struct httpd httpd;
	struct web_config wc;
	struct basicauth auth;
	SSL_CTX *tls;
	char *headers;		/* http_server_config.headers, as header lines */
	struct devmem_metrics m;
	/* the exposition as of the last interval, in each format */
	char *text[2];
	size_t len[2];
} ex;

static void handler(void *ctx, const struct httpd_request *req, struct httpd_response *resp)
{
	static const char not_found[] = "404 Not Found: devmemtop serves /metrics\n";
	static const char unauthorized[] = "401 Unauthorized\n";
	static const char busy[] = "429 Too Many Requests: try again in a second\n";
	enum devmem_metrics_format fmt;

	(void)ctx;
	if (basicauth_enabled(&ex.auth)) {
		switch (basicauth_check(&ex.auth, req->authorization, host_now_ns())) {
		case BASICAUTH_OK:
			break;
		case BASICAUTH_DENIED:
			resp->status = 401;
			resp->headers = REALM_HEADER;
			resp->body = unauthorized;
			resp->len = sizeof(unauthorized) - 1;
			return;
		case BASICAUTH_BUSY:
			resp->status = 429;
			resp->headers = "Retry-After: 1\r\n";
			resp->body = busy;
			resp->len = sizeof(busy) - 1;
			return;
		}
	}
	if (strcmp(req->path, "/metrics")) {
		resp->status = 404;
		resp->body = not_found;
		resp->len = sizeof(not_found) - 1;
		return;
	}
	fmt = devmem_metrics_negotiate(req->accept);
	resp->status = 200;
	resp->content_type = devmem_metrics_content_type(fmt);
	resp->body = ex.text[fmt] ? ex.text[fmt] : "";
	resp->len = ex.len[fmt];
}

/* http_server_config.headers as header lines, once. */
static int headers_text(const struct web_config *wc, char **out)
{
	size_t i, len = 0;
	FILE *f;

	*out = NULL;
	if (!wc->nr_headers)
		return 0;
	f = open_memstream(out, &len);
	if (!f)
		return -1;
	for (i = 0; i < wc->nr_headers; i++)
		fprintf(f, "%s: %s\r\n", wc->headers[i].name, wc->headers[i].value);
	return fclose(f) ? -1 : 0;
}

static int open_web(const struct exporter_opts *o, bool *usage, char *err, size_t errlen)
{
	if (o->web_config) {
		*usage = true;
		if (webconfig_load(&ex.wc, o->web_config, err, errlen))
			return -1;
		if (ex.wc.tls && !(ex.tls = exporter_tls_ctx(&ex.wc, err, errlen)))
			return -1;
		*usage = false;
		if (basicauth_init(&ex.auth, &ex.wc) || headers_text(&ex.wc, &ex.headers)) {
			snprintf(err, errlen, "--web.config.file %s: no memory or randomness",
				 o->web_config);
			return -1;
		}
	}
	if (httpd_listen(&ex.httpd, o->listen, handler, NULL, usage, err, errlen))
		return -1;
	ex.listening = true;
	ex.httpd.tls = ex.tls;
	ex.httpd.headers = ex.headers;
	if (!httpd_loopback_only(&ex.httpd) && (!ex.tls || !basicauth_enabled(&ex.auth)))
		fprintf(stderr, "devmemtop: warning: %s serves metrics beyond this machine %s; "
			"see --web.config.file\n", o->listen,
			!ex.tls && !basicauth_enabled(&ex.auth) ? "without TLS or authentication" :
			!ex.tls ? "without TLS" : "without authentication");
	return 0;
}

int exporter_open(const struct exporter_opts *o, bool *usage, char *err, size_t errlen)
{
	memset(&ex, 0, sizeof(ex));
	ex.m.max_procs = o->max_procs;
	ex.textfile = o->textfile;
	*usage = false;
	if (o->listen && open_web(o, usage, err, errlen)) {
		exporter_close();
		return -1;
	}
	return 0;
}

static int render(struct top *t, enum devmem_metrics_format fmt)
{
	struct devmem_metrics_info info = {
		.version = devmem_release(),
		.attach_mode = devmem_mode_name(t->sess.mode), .kernel = t->kernel,
		.drops = t->drops, .recursion_misses = t->recursion_misses,
		.bad_records = t->bad_records, .now_ns = host_now_ns(),
		.stall_ns = (uint64_t)(t->stall_s * 1e9),
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return -1;
	devmem_metrics_write(f, &ex.m, &t->st, &info, fmt);
	if (fclose(f)) {
		free(buf);
		return -1;	/* no memory: keep serving the last one */
	}
	free(ex.text[fmt]);
	ex.text[fmt] = buf;
	ex.len[fmt] = len;
	return 0;
}

/* FILE.tmp in the same directory, fsync, rename: a reader sees a whole file. */
static int write_textfile(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	char tmp[4096];
	size_t off = 0;
	int fd = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "--textfile %s: path too long", path);
		return -1;
	}
	/* A fresh file of ours: never through a link someone left there. */
	if (unlink(tmp) && errno != ENOENT)
		goto fail;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail_fd;
		off += n;
	}
	if (fsync(fd))
		goto fail_fd;
	if (close(fd)) {
		fd = -1;
		goto fail_fd;
	}
	if (rename(tmp, path))
		goto fail;
	return 0;
fail_fd:
	snprintf(err, errlen, "--textfile %s: %s", tmp, strerror(errno ? errno : EIO));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
fail:
	snprintf(err, errlen, "--textfile %s: %s", fd < 0 ? tmp : path, strerror(errno));
	unlink(tmp);
	return -1;
}

int exporter_interval(struct top *t, char *err, size_t errlen)
{
	if (devmem_metrics_update(&ex.m, &t->st))
		fprintf(stderr, "devmemtop: no memory for the metrics of this interval\n");
	render(t, DEVMEM_METRICS_PROMETHEUS);
	if (ex.listening)
		render(t, DEVMEM_METRICS_OPENMETRICS);
	if (!ex.textfile || !ex.text[DEVMEM_METRICS_PROMETHEUS])
		return 0;
	if (write_textfile(ex.textfile, ex.text[DEVMEM_METRICS_PROMETHEUS],
			   ex.len[DEVMEM_METRICS_PROMETHEUS], err, errlen)) {
		if (!ex.wrote_once)
			return -1;	/* wrong from the start: say so and stop */
		if (!ex.failing)	/* once per run of failures, not every interval */
			fprintf(stderr, "devmemtop: %s; trying again every interval\n", err);
		ex.failing = true;
		return 0;
	}
	if (ex.failing)
		fprintf(stderr, "devmemtop: --textfile %s written again\n", ex.textfile);
	ex.failing = false;
	ex.wrote_once = true;
	return 0;
}

bool exporter_tls(void)
{
	return ex.tls != NULL;
}

int exporter_poll(int timeout_ms)
{
	if (!ex.listening) {
		struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		return 0;
	}
	return httpd_poll(&ex.httpd, timeout_ms);
}

void exporter_close(void)
{
	if (ex.listening)
		httpd_close(&ex.httpd);
	/* Gone with us: node_exporter must not serve the last numbers as current. */
	if (ex.wrote_once && unlink(ex.textfile) && errno != ENOENT)
		fprintf(stderr, "devmemtop: --textfile %s: cannot remove it: %s\n", ex.textfile,
			strerror(errno));
	SSL_CTX_free(ex.tls);
	webconfig_free(&ex.wc);
	free(ex.headers);
	devmem_metrics_free(&ex.m);
	free(ex.text[0]);
	free(ex.text[1]);
	memset(&ex, 0, sizeof(ex));
}
