// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the /metrics HTTP server (tools/devmemtop/exporter/httpd.c),
 * built with ASan and UBSan, driven in-process over loopback: requests
 * well and badly formed, slow, idle and vanishing clients. One PASS/FAIL
 * line per check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "httpd.h"
#include "metrics.h"
#define CHECK_GROUP "lib"
#include "check.h"

static void test_handler(void *ctx, const struct httpd_request *req, struct httpd_response *resp)
{
	static const char body[] = "devmem_test 1\n";

	(void)ctx;
	if (strcmp(req->path, "/metrics")) {
		resp->status = 404;
		resp->body = "nope\n";
		resp->len = 5;
		return;
	}
	resp->status = 200;
	resp->content_type = devmem_metrics_content_type(devmem_metrics_negotiate(req->accept));
	resp->body = body;
	resp->len = sizeof(body) - 1;
}

static int connect_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read what the server sends until it closes, serving it meanwhile. */
static size_t drain(struct httpd *h, int fd, char *out, size_t len, int max_ms)
{
	size_t got = 0;
	int waited;

	for (waited = 0; waited < max_ms; waited += 10) {
		ssize_t n;

		httpd_poll(h, 10);
		n = recv(fd, out + got, len - 1 - got, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0)
			got += n;
	}
	out[got] = 0;
	return got;
}

/* One request on a new connection; the whole response. */
static void exchange(struct httpd *h, int port, const char *req, size_t len, char *out, size_t outlen)
{
	int fd = connect_to(port);

	out[0] = 0;
	if (fd < 0)
		return;
	if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
		close(fd);
		return;
	}
	drain(h, fd, out, outlen, 3000);
	close(fd);
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* One request, its length taken from the literal. */
#define REQ(s) exchange(&h, port, s, strlen(s), out, sizeof(out))

static void test_httpd(void)
{
	struct httpd h;
	char err[256], out[16384], *big;
	bool usage;
	int port, slow, i;

	CHECK("httpd: a malformed address is a usage error",
	      httpd_listen(&h, "9464", test_handler, NULL, &usage, err, sizeof(err)) && usage);
	CHECK("httpd: so is a port out of range",
	      httpd_listen(&h, "127.0.0.1:70000", test_handler, NULL, &usage, err, sizeof(err)) && usage);
	CHECK("httpd: and a name that is not numeric",
	      httpd_listen(&h, "example.org:80", test_handler, NULL, &usage, err, sizeof(err)) && usage);
	if (httpd_listen(&h, "127.0.0.1:0", test_handler, NULL, &usage, err, sizeof(err))) {
		CHECK("httpd: listens on 127.0.0.1:0", 0);
		printf("  %s\n", err);
		return;
	}
	port = httpd_port(&h);
	{
		struct httpd h2;

		snprintf(out, sizeof(out), "127.0.0.1:%d", port);
		CHECK("httpd: a port in use is a runtime error, not a usage error",
		      httpd_listen(&h2, out, test_handler, NULL, &usage, err, sizeof(err)) && !usage &&
		      strstr(err, "in use"));
	}
	h.timeout_ms = 300;

	REQ("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	CHECK("httpd: GET /metrics is 200 with the body, Connection: close",
	      starts(out, "HTTP/1.1 200 OK\r\n") && strstr(out, "Content-Length: 14\r\n") &&
	      strstr(out, "Connection: close\r\n") && strstr(out, "\r\n\r\ndevmem_test 1\n") &&
	      strstr(out, "Content-Type: text/plain; version=0.0.4"));
	{
		static const char req[] = "GET /metrics?x=1 HTTP/1.0\n"
			"Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\n\n";

		exchange(&h, port, req, strlen(req), out, sizeof(out));
	}
	CHECK("httpd: HTTP/1.0, bare newlines, a query string and OpenMetrics by Accept",
	      starts(out, "HTTP/1.1 200 OK\r\n") &&
	      strstr(out, "Content-Type: application/openmetrics-text; version=1.0.0"));
	REQ("HEAD /metrics HTTP/1.1\r\n\r\n");
	CHECK("httpd: HEAD has the length and no body",
	      starts(out, "HTTP/1.1 200 OK\r\n") && strstr(out, "Content-Length: 14\r\n") &&
	      strlen(strstr(out, "\r\n\r\n")) == 4);
	REQ("GET / HTTP/1.1\r\n\r\n");
	CHECK("httpd: another path is 404", starts(out, "HTTP/1.1 404 Not Found\r\n"));
	REQ("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
	CHECK("httpd: POST is 405 with Allow",
	      starts(out, "HTTP/1.1 405 Method Not Allowed\r\n") && strstr(out, "Allow: GET, HEAD\r\n"));
	REQ("hello there\r\n\r\n");
	CHECK("httpd: a line that is no request is 400", starts(out, "HTTP/1.1 400 Bad Request\r\n"));
	REQ("GET /metrics HTTP/2.0\r\n\r\n");
	CHECK("httpd: HTTP/2 is 505", starts(out, "HTTP/1.1 505 "));
	big = malloc(HTTPD_REQUEST_MAX + 100);
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	memset(big + 26, 'a', HTTPD_REQUEST_MAX + 100 - 26);
	exchange(&h, port, big, HTTPD_REQUEST_MAX + 100, out, sizeof(out));
	free(big);
	CHECK("httpd: a request head over 8 KiB is 431, and the answer arrives",
	      starts(out, "HTTP/1.1 431 "));

	/* A client that sends half a request and waits: others are still served. */
	slow = connect_to(port);
	CHECK("httpd: a slow client connects", slow >= 0 && send(slow, "GET /met", 8, 0) == 8);
	REQ("GET /metrics HTTP/1.1\r\n\r\n");
	CHECK("httpd: another client is served while a slow one waits",
	      starts(out, "HTTP/1.1 200 OK\r\n"));
	drain(&h, slow, out, sizeof(out), 2000);
	CHECK("httpd: the slow client gets 408 after the timeout and is closed",
	      starts(out, "HTTP/1.1 408 ") && h.timeouts == 1);
	close(slow);

	/* More idle clients than slots: they time out, then service resumes. */
	{
		int idle[HTTPD_MAX_CONNS + 4];

		/* polled in between, so that they take the slots, not the backlog */
		for (i = 0; i < HTTPD_MAX_CONNS + 4; i++) {
			idle[i] = connect_to(port);
			httpd_poll(&h, 1);
		}
		REQ("GET /metrics HTTP/1.1\r\n\r\n");
		CHECK("httpd: with every slot taken by idle clients, a scrape waits for the timeout, not forever",
		      starts(out, "HTTP/1.1 200 OK\r\n"));
		for (i = 0; i < HTTPD_MAX_CONNS + 4; i++)
			if (idle[i] >= 0)
				close(idle[i]);
	}
	/* A client that goes away before its answer must not kill us (SIGPIPE). */
	{
		int fd = connect_to(port);

		if (fd >= 0) {
			struct linger lg = { 1, 0 };

			send(fd, "GET /metrics HTTP/1.1\r\n\r\n", 25, 0);
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(fd);	/* RST */
		}
		for (i = 0; i < 20; i++)
			httpd_poll(&h, 10);
		REQ("GET /metrics HTTP/1.1\r\n\r\n");
		CHECK("httpd: a client that resets is dropped, and the next is served",
		      starts(out, "HTTP/1.1 200 OK\r\n"));
	}
	httpd_close(&h);
}

/* Listen on addr; whether that is loopback only (-1: could not listen). */
static int loopback_of(const char *addr)
{
	struct httpd h;
	char err[256];
	bool usage;
	int r;

	if (httpd_listen(&h, addr, test_handler, NULL, &usage, err, sizeof(err)))
		return -1;
	r = httpd_loopback_only(&h);
	httpd_close(&h);
	return r;
}

static void test_addresses(void)
{
	CHECK("httpd: :PORT listens on loopback only, not every address", loopback_of(":0") == 1);
	CHECK("httpd: so does localhost:PORT", loopback_of("localhost:0") == 1);
	CHECK("httpd: 0.0.0.0:PORT is beyond loopback", loopback_of("0.0.0.0:0") == 0);
	CHECK("httpd: [::1]:PORT is loopback, [::]:PORT is not (or no IPv6 here)",
	      (loopback_of("[::1]:0") == 1 && loopback_of("[::]:0") == 0) ||
	      (loopback_of("[::1]:0") == -1 && loopback_of("[::]:0") == -1));
}

int main(void)
{
	test_httpd();
	test_addresses();
	return failures ? 1 : 0;
}
