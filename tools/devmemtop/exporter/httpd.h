/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small single-threaded HTTP/1.0 and 1.1 server for a /metrics
 * endpoint, over TLS when given an OpenSSL context, driven from the
 * tool's own loop: httpd_poll() waits at most the time it is given and
 * never blocks on a client. Every connection gets one response and is
 * closed (Connection: close); a request must arrive within
 * HTTPD_REQUEST_MAX bytes and the whole exchange, TLS handshake included,
 * within the timeout, or the client is told so and dropped. When every
 * slot is taken, a new client takes the slot of the oldest one that has
 * not been answered after HTTPD_EVICT_MS, so idle clients cannot lock
 * scrapers out for the whole timeout.
 */
#ifndef DEVMEM_HTTPD_H
#define DEVMEM_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTPD_MAX_CONNS 16
#define HTTPD_REQUEST_MAX 8192
#define HTTPD_TIMEOUT_MS 5000
#define HTTPD_EVICT_MS 1000

struct httpd_request {
	const char *method;	/* GET or HEAD: others get 405 before the handler */
	const char *path;	/* without the query string */
	const char *accept;	/* the Accept header's value, "" without one */
	const char *authorization;	/* the Authorization header's, "" without one */
};

/* What the handler answers; body is copied, so it may be the caller's. */
struct httpd_response {
	int status;		/* 200, 404, ... */
	const char *content_type;
	const char *headers;	/* more header lines, each ending in \r\n, or NULL */
	const char *body;
	size_t len;
};

struct ssl_st;
struct ssl_ctx_st;

typedef void (*httpd_handler)(void *ctx, const struct httpd_request *req,
			      struct httpd_response *resp);

struct httpd_conn {
	int fd;			/* -1: a free slot */
	enum { HTTPD_HANDSHAKE, HTTPD_READ, HTTPD_WRITE, HTTPD_LINGER } state;
	struct ssl_st *ssl;	/* NULL: plain HTTP */
	short want;		/* the poll events it waits for */
	uint64_t since_ns, deadline_ns;
	char req[HTTPD_REQUEST_MAX + 1];
	size_t req_len;
	char *out;		/* response: headers and body */
	size_t out_len, out_off;
};

struct httpd {
	int fd;
	httpd_handler handler;
	void *ctx;
	int timeout_ms;		/* per connection; HTTPD_TIMEOUT_MS by default */
	struct ssl_ctx_st *tls;	/* set after httpd_listen() to serve HTTPS only */
	const char *headers;	/* header lines every response carries, or NULL */
	struct httpd_conn conns[HTTPD_MAX_CONNS];
	uint64_t requests, timeouts, bad_requests, tls_failures, evicted;
};

/*
 * Listen on "ADDR:PORT" or "[ADDR6]:PORT", numeric; ":PORT" and
 * "localhost:PORT" are 127.0.0.1, every address is "0.0.0.0:PORT" (IPv4)
 * or "[::]:PORT" (IPv6 and IPv4). Returns 0, or -1 with err saying why
 * (bad address: *usage is set).
 */
int httpd_listen(struct httpd *h, const char *addr, httpd_handler handler, void *ctx,
		 bool *usage, char *err, size_t errlen);
/* The port it listens on (for ":0"). */
int httpd_port(const struct httpd *h);
/* Whether it listens on a loopback address only. */
bool httpd_loopback_only(const struct httpd *h);
/* Serve clients for up to timeout_ms; returns 0, or -errno of poll(). */
int httpd_poll(struct httpd *h, int timeout_ms);
void httpd_close(struct httpd *h);

#endif
