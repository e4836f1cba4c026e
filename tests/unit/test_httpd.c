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
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "httpd.h"
#include "metrics.h"
#include "tls.h"
#include "webconfig.h"
#define CHECK_GROUP "lib"
#include "check.h"

/* A response larger than the socket buffers, so that writing it meets a reset. */
static bool big_response;

static void test_handler(void *ctx, const struct httpd_request *req, struct httpd_response *resp)
{
	static const char body[] = "devmem_test 1\n";
	static char big[1 << 20];

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
	if (big_response) {
		memset(big, '#', sizeof(big));
		resp->body = big;
		resp->len = sizeof(big);
	}
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

	/*
	 * More idle clients than slots, with a timeout longer than the drain:
	 * a scrape is served once the oldest idle one may be evicted.
	 */
	{
		int idle[HTTPD_MAX_CONNS + 4];
		uint64_t timeouts = h.timeouts, evicted = h.evicted;

		h.timeout_ms = 10000;
		/* polled in between, so that they take the slots, not the backlog */
		for (i = 0; i < HTTPD_MAX_CONNS + 4; i++) {
			idle[i] = connect_to(port);
			httpd_poll(&h, 1);
		}
		REQ("GET /metrics HTTP/1.1\r\n\r\n");
		CHECK("httpd: with every slot taken by idle clients, a scrape takes the oldest one's slot after HTTPD_EVICT_MS",
		      starts(out, "HTTP/1.1 200 OK\r\n") && h.timeouts == timeouts && h.evicted >= 5 + evicted);
		for (i = 0; i < HTTPD_MAX_CONNS + 4; i++)
			if (idle[i] >= 0)
				close(idle[i]);
		h.timeout_ms = 300;
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

/*
 * A TLS client in the same thread as the server: non-blocking, the
 * server polled between its steps. The whole response, "" on failure.
 */
static void tls_exchange(struct httpd *h, int port, SSL_CTX *cctx, const char *req,
			 char *out, size_t len)
{
	int fd = connect_to(port), i, rc;
	size_t got = 0, n;
	bool sent = false;
	SSL *ssl;

	out[0] = 0;
	if (fd < 0)
		return;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	ssl = SSL_new(cctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "localhost");
	for (i = 0; i < 300; i++) {
		httpd_poll(h, 5);
		rc = SSL_connect(ssl);
		if (rc == 1)
			break;
		if (SSL_get_error(ssl, rc) != SSL_ERROR_WANT_READ &&
		    SSL_get_error(ssl, rc) != SSL_ERROR_WANT_WRITE)
			goto out;
	}
	for (; i < 300; i++) {
		if (!sent)
			sent = SSL_write_ex(ssl, req, strlen(req), &n) == 1;
		httpd_poll(h, 5);
		while (sent && got < len - 1 && SSL_read_ex(ssl, out + got, len - 1 - got, &n) == 1)
			got += n;
		if (sent && SSL_get_error(ssl, 0) == SSL_ERROR_ZERO_RETURN)
			break;
	}
out:
	out[got] = 0;
	SSL_free(ssl);
	close(fd);
}

/*
 * A TLS client that goes at step `at`: 0 closes right after its
 * ClientHello (the server's reply then meets a reset, and its alert at
 * the EOF a closed socket), 1 resets after asking, 2 in the middle of the
 * answer.
 */
static void tls_vanish(struct httpd *h, int port, SSL_CTX *cctx, int at)
{
	struct linger lg = { 1, 0 };
	int fd = connect_to(port), i, rc;
	size_t n;
	SSL *ssl;

	if (fd < 0)
		return;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	ssl = SSL_new(cctx);
	SSL_set_fd(ssl, fd);
	for (i = 0; i < 300 && (rc = SSL_connect(ssl)) != 1 && at; i++) {
		if (SSL_get_error(ssl, rc) != SSL_ERROR_WANT_READ && SSL_get_error(ssl, rc) != SSL_ERROR_WANT_WRITE)
			break;
		httpd_poll(h, 5);
	}
	if (at)
		SSL_write_ex(ssl, "GET /metrics HTTP/1.1\r\n\r\n", 25, &n);
	for (i = 0; at == 2 && i < 20; i++) {
		char buf[4096];

		httpd_poll(h, 2);
		SSL_read_ex(ssl, buf, sizeof(buf), &n);
	}
	if (at)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));	/* RST */
	SSL_free(ssl);
	close(fd);
	for (i = 0; i < 10; i++)
		httpd_poll(h, 2);
}

static void test_tls(void)
{
	char dir[] = "/tmp/devmem-tls-XXXXXX", cmd[512], ca[256], err[512], out[16384], text[512];
	struct web_config wc;
	SSL_CTX *sctx = NULL, *cctx = NULL;
	struct httpd h;
	bool usage;
	int port, fd, i;

	if (!mkdtemp(dir)) {
		CHECK("tls: a temporary directory", 0);
		return;
	}
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		 "-nodes -keyout %s/key.pem -out %s/cert.pem -days 1 -subj /CN=localhost "
		 "-addext subjectAltName=DNS:localhost >/dev/null 2>&1", dir, dir);
	CHECK("tls: openssl makes a test certificate", system(cmd) == 0);
	snprintf(text, sizeof(text), "tls_server_config:\n  cert_file: %s/cert.pem\n  key_file: %s/key.pem\n",
		 dir, dir);
	snprintf(ca, sizeof(ca), "%s/cert.pem", dir);
	if (webconfig_parse(&wc, "web.yml", text, strlen(text), err, sizeof(err)) ||
	    !(sctx = exporter_tls_ctx(&wc, err, sizeof(err))) ||
	    httpd_listen(&h, "127.0.0.1:0", test_handler, NULL, &usage, err, sizeof(err))) {
		CHECK("tls: a server with the test certificate", 0);
		printf("  %s\n", err);
		goto out;
	}
	h.tls = sctx;
	h.headers = "X-Frame-Options: deny\r\n";
	h.timeout_ms = 300;
	port = httpd_port(&h);
	cctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_load_verify_locations(cctx, ca, NULL);
	SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);

	tls_exchange(&h, port, cctx, "GET /metrics HTTP/1.1\r\n\r\n", out, sizeof(out));
	CHECK("tls: GET /metrics over TLS, the certificate verified, is 200 with the body",
	      starts(out, "HTTP/1.1 200 OK\r\n") && strstr(out, "\r\n\r\ndevmem_test 1\n"));
	CHECK("tls: with http_server_config's headers", strstr(out, "\r\nX-Frame-Options: deny\r\n"));
	exchange(&h, port, "GET /metrics HTTP/1.1\r\n\r\n", 25, out, sizeof(out));
	CHECK("tls: plain HTTP to the TLS port is told so (400) and closed",
	      starts(out, "HTTP/1.0 400 Bad Request\r\n") &&
	      strstr(out, "Client sent an HTTP request to an HTTPS server") && h.tls_failures == 1);
	exchange(&h, port, "\x16\x03\x01\x00\x05hello garbage", 19, out, sizeof(out));
	CHECK("tls: TLS garbage is dropped (at most a TLS alert, no HTTP)",
	      !strstr(out, "HTTP") && h.tls_failures == 2);
	fd = connect_to(port);
	drain(&h, fd, out, sizeof(out), 1000);
	CHECK("tls: a client that never starts the handshake is dropped at the timeout",
	      !out[0] && h.timeouts >= 1);
	close(fd);
	SSL_CTX_set_max_proto_version(cctx, TLS1_1_VERSION);
	tls_exchange(&h, port, cctx, "GET /metrics HTTP/1.1\r\n\r\n", out, sizeof(out));
	CHECK("tls: TLS 1.1 is refused (min_version defaults to TLS12)", !out[0] && h.tls_failures == 3);
	SSL_CTX_set_max_proto_version(cctx, 0);
	tls_exchange(&h, port, cctx, "GET /metrics HTTP/1.1\r\n\r\n", out, sizeof(out));
	CHECK("tls: and the next client is served", starts(out, "HTTP/1.1 200 OK\r\n"));
	/* Clients gone before their answer: OpenSSL's writes must not raise SIGPIPE. */
	big_response = true;
	for (i = 0; i < 40; i++)
		tls_vanish(&h, port, cctx, i % 3);
	big_response = false;
	tls_exchange(&h, port, cctx, "GET /metrics HTTP/1.1\r\n\r\n", out, sizeof(out));
	CHECK("tls: 40 clients that go in the handshake, before or amid their answer: no SIGPIPE, the next is served",
	      starts(out, "HTTP/1.1 200 OK\r\n"));
	httpd_close(&h);
out:
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	webconfig_free(&wc);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		CHECK("tls: the temporary directory is removed", 0);
}

int main(void)
{
	test_httpd();
	test_addresses();
	test_tls();
	return failures ? 1 : 0;
}
