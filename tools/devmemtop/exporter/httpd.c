// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE	/* accept4() */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "clock.h"
#include "httpd.h"

/* After the response, how long to read what a client still sends. */
#define LINGER_MS 1000

/*
 * Numeric addresses only, so that the static binary never needs glibc's
 * NSS modules. No host part is 127.0.0.1, as is "localhost": serving
 * beyond this machine must be asked for by address.
 */
static int parse_addr(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (!host[0] || !strcmp(host, "localhost") || inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		if (!host[0] || !strcmp(host, "localhost"))
			in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_port = htons(port);
		*len = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	return -1;
}

static int bind_listen(const struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1, zero = 0, e, fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)	/* "[::]:PORT" takes IPv4 clients too */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (const struct sockaddr *)ss, len) || listen(fd, HTTPD_MAX_CONNS)) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int httpd_listen(struct httpd *h, const char *addr, httpd_handler handler, void *ctx,
		 bool *usage, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char host[64], *end;
	const char *colon = strrchr(addr, ':');
	long port;
	int i, fd;

	*usage = false;
	memset(h, 0, sizeof(*h));
	h->fd = -1;
	for (i = 0; i < HTTPD_MAX_CONNS; i++)
		h->conns[i].fd = -1;
	h->handler = handler;
	h->ctx = ctx;
	h->timeout_ms = HTTPD_TIMEOUT_MS;
	errno = 0;
	port = colon ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || !colon[1] || *end || errno || port < 0 || port > 65535 ||
	    (size_t)(colon - addr) >= sizeof(host))
		goto bad;
	memcpy(host, addr, colon - addr);
	host[colon - addr] = 0;
	if (host[0] == '[') {
		size_t n = strlen(host);

		if (n < 2 || host[n - 1] != ']')
			goto bad;
		memmove(host, host + 1, n - 2);
		host[n - 2] = 0;
	}
	if (parse_addr(host, port, &ss, &len))
		goto bad;
	fd = bind_listen(&ss, len);
	if (fd < 0) {
		snprintf(err, errlen, "--web.listen-address %s: %s", addr, strerror(-fd));
		return -1;
	}
	h->fd = fd;
	return 0;
bad:
	snprintf(err, errlen, "--web.listen-address %s: want IP:PORT, [IPv6]:PORT or :PORT "
		 "(127.0.0.1), numeric", addr);
	*usage = true;
	return -1;
}

int httpd_port(const struct httpd *h)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(h->fd, (struct sockaddr *)&ss, &len))
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

bool httpd_loopback_only(const struct httpd *h)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(h->fd, (struct sockaddr *)&ss, &len))
		return false;
	if (ss.ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
	return ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24 == 127;
}

static void conn_close(struct httpd_conn *c)
{
	SSL_free(c->ssl);
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->ssl = NULL;
	c->out = NULL;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 401: return "Unauthorized";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 505: return "HTTP Version Not Supported";
	}
	return "Error";
}

/* Queue a response; the body is left out for HEAD. */
static void respond(struct httpd *h, struct httpd_conn *c, const struct httpd_response *r,
		    bool head)
{
	static const char fmt[] = "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
				  "%s%s%sConnection: close\r\n\r\n";
	const char *type = r->content_type ? r->content_type : "text/plain; charset=utf-8";
	const char *allow = r->status == 405 ? "Allow: GET, HEAD\r\n" : "";
	const char *more = r->headers ? r->headers : "", *all = h->headers ? h->headers : "";
	size_t body = head ? 0 : r->len;
	int n = snprintf(NULL, 0, fmt, r->status, reason(r->status), type, r->len, allow, more, all);

	c->out = n < 0 ? NULL : malloc(n + 1 + body);
	if (!c->out) {
		conn_close(c);
		return;
	}
	snprintf(c->out, n + 1, fmt, r->status, reason(r->status), type, r->len, allow, more, all);
	if (body)
		memcpy(c->out + n, r->body, body);
	c->out_len = n + body;
	c->out_off = 0;
	c->state = HTTPD_WRITE;
	c->want = POLLOUT;
}

static void respond_error(struct httpd *h, struct httpd_conn *c, int status)
{
	char body[64];
	struct httpd_response r = { .status = status, .body = body };

	r.len = snprintf(body, sizeof(body), "%d %s\n", status, reason(status));
	respond(h, c, &r, false);
}

/* The value of a header in the request head, "" without one. */
static const char *header(char *head, const char *name, char *buf, size_t len)
{
	size_t nl = strlen(name);
	char *line;

	buf[0] = 0;
	for (line = strchr(head, '\n'); line; line = strchr(line, '\n')) {
		line++;
		if (!strncasecmp(line, name, nl) && line[nl] == ':') {
			char *v = line + nl + 1;
			size_t n = strcspn(v, "\r\n");

			while (n && (*v == ' ' || *v == '\t'))
				v++, n--;
			if (n >= len)
				n = len - 1;
			memcpy(buf, v, n);
			buf[n] = 0;
			break;
		}
	}
	return buf;
}

/* A whole request head is in c->req: answer it. */
static void handle(struct httpd *h, struct httpd_conn *c)
{
	char method[16], target[1024], version[16], accept[1024], auth[1024];
	struct httpd_request req = { method, target, accept, auth };
	struct httpd_response resp = { .status = 404 };
	int n = 0;

	h->requests++;
	if (sscanf(c->req, "%15[A-Z] %1023[^ \r\n] %15[^ \r\n]%n", method, target, version, &n) != 3 ||
	    (c->req[n] != '\r' && c->req[n] != '\n') || target[0] != '/') {
		h->bad_requests++;
		respond_error(h, c, 400);
		return;
	}
	if (strcmp(version, "HTTP/1.0") && strcmp(version, "HTTP/1.1")) {
		h->bad_requests++;
		respond_error(h, c, strncmp(version, "HTTP/", 5) ? 400 : 505);
		return;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		respond_error(h, c, 405);
		return;
	}
	target[strcspn(target, "?#")] = 0;
	header(c->req, "Accept", accept, sizeof(accept));
	header(c->req, "Authorization", auth, sizeof(auth));
	h->handler(h->ctx, &req, &resp);
	respond(h, c, &resp, !strcmp(method, "HEAD"));
}

/* The end of the request head, or NULL while it is incomplete. */
static char *head_end(char *s)
{
	char *a = strstr(s, "\r\n\r\n"), *b = strstr(s, "\n\n");

	return a && (!b || a < b) ? a : b;
}

/*
 * Read or write on a connection, plain or TLS: bytes moved, 0 when the
 * peer closed, -1 when it would block (c->want says on what), -2 when
 * the connection is broken.
 */
static ssize_t conn_io(struct httpd_conn *c, void *buf, size_t len, bool write)
{
	size_t done = 0;
	ssize_t n;
	int ok;

	if (!c->ssl) {
		n = write ? send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) :
			    recv(c->fd, buf, len, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? -1 : -2;
		return n;
	}
	ERR_clear_error();
	ok = write ? SSL_write_ex(c->ssl, buf, len, &done) : SSL_read_ex(c->ssl, buf, len, &done);
	if (ok)
		return (ssize_t)done;
	switch (SSL_get_error(c->ssl, 0)) {
	case SSL_ERROR_WANT_READ: c->want = POLLIN; return -1;
	case SSL_ERROR_WANT_WRITE: c->want = POLLOUT; return -1;
	case SSL_ERROR_ZERO_RETURN: return 0;
	}
	return -2;
}

static void on_request_bytes(struct httpd *h, struct httpd_conn *c)
{
	ssize_t n;

	/* TLS may hold decrypted bytes poll() cannot see: read until it would block. */
	while (c->fd >= 0 && c->state == HTTPD_READ) {
		n = conn_io(c, c->req + c->req_len, HTTPD_REQUEST_MAX - c->req_len, false);
		if (n == -1)
			return;
		if (n <= 0) {	/* closed before a whole request: nobody to answer */
			conn_close(c);
			return;
		}
		c->req_len += n;
		c->req[c->req_len] = 0;
		if (strlen(c->req) != c->req_len) {	/* a NUL byte is no HTTP */
			h->bad_requests++;
			respond_error(h, c, 400);
		} else if (head_end(c->req)) {
			handle(h, c);
		} else if (c->req_len == HTTPD_REQUEST_MAX) {
			h->bad_requests++;
			respond_error(h, c, 431);
		}
	}
}

static void on_linger(struct httpd_conn *c)
{
	char sink[4096];
	ssize_t n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);

	/* read and drop until the client closes */
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		conn_close(c);
}

static void on_writable(struct httpd_conn *c)
{
	ssize_t n = conn_io(c, c->out + c->out_off, c->out_len - c->out_off, true);

	if (n == -1)
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->out_off += n;
	if (c->out_off < c->out_len)
		return;
	/*
	 * Closing with unread input would reset the connection and could
	 * take the response with it: send TLS's close_notify and FIN, then
	 * read until the client closes, for a short while.
	 */
	if (c->ssl)
		SSL_shutdown(c->ssl);
	shutdown(c->fd, SHUT_WR);
	c->state = HTTPD_LINGER;
	c->want = POLLIN;
	c->deadline_ns = host_now_ns() + LINGER_MS * 1000000ull;
}

static void on_handshake(struct httpd *h, struct httpd_conn *c)
{
	/* Go's answer to plain HTTP on a TLS port, so curl says what is wrong. */
	static const char plain[] = "HTTP/1.0 400 Bad Request\r\nConnection: close\r\n\r\n"
				    "Client sent an HTTP request to an HTTPS server.\n";
	int rc;

	ERR_clear_error();
	rc = SSL_do_handshake(c->ssl);
	if (rc == 1) {
		c->state = HTTPD_READ;
		c->want = POLLIN;
		on_request_bytes(h, c);
		return;
	}
	switch (SSL_get_error(c->ssl, rc)) {
	case SSL_ERROR_WANT_READ: c->want = POLLIN; return;
	case SSL_ERROR_WANT_WRITE: c->want = POLLOUT; return;
	}
	h->tls_failures++;
	if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_HTTP_REQUEST)
		(void)send(c->fd, plain, sizeof(plain) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	ERR_clear_error();
	conn_close(c);
}

/*
 * OpenSSL writes to the socket with write(), which raises SIGPIPE when
 * the peer is gone, and SIGPIPE's default ends the process. Hold it
 * during a TLS step and drop one the step raised (as libpq does), so the
 * step sees EPIPE and the rest of devmemtop keeps its SIGPIPE.
 */
static void sigpipe_hold(sigset_t *old, bool *was_pending)
{
	sigset_t pipe, pending;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigpending(&pending);
	*was_pending = sigismember(&pending, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe, old);
}

static void sigpipe_release(const sigset_t *old, bool was_pending)
{
	static const struct timespec now = { 0, 0 };
	sigset_t pipe, pending;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigpending(&pending);
	if (!was_pending && sigismember(&pending, SIGPIPE))
		sigtimedwait(&pipe, NULL, &now);
	sigprocmask(SIG_SETMASK, old, NULL);
}

static void conn_step(struct httpd *h, struct httpd_conn *c)
{
	bool held = c->ssl != NULL, was_pending = false;
	sigset_t old;

	if (held)	/* the step may close c and free its ssl */
		sigpipe_hold(&old, &was_pending);
	switch (c->state) {
	case HTTPD_HANDSHAKE: on_handshake(h, c); break;
	case HTTPD_READ: on_request_bytes(h, c); break;
	case HTTPD_WRITE: on_writable(c); break;
	case HTTPD_LINGER: on_linger(c); break;
	}
	/* a request answered at once: try to send it now */
	if (c->fd >= 0 && c->state == HTTPD_WRITE)
		on_writable(c);
	if (held)
		sigpipe_release(&old, was_pending);
}

/*
 * The slot a new client may take: a free one, else the oldest one not
 * answered after HTTPD_EVICT_MS. *next_ns (may be NULL) gets when one
 * may be taken, when none may now.
 */
static struct httpd_conn *slot_for_new(struct httpd *h, uint64_t now, uint64_t *next_ns)
{
	struct httpd_conn *oldest = NULL;
	int i;

	for (i = 0; i < HTTPD_MAX_CONNS; i++) {
		struct httpd_conn *c = &h->conns[i];

		if (c->fd < 0)
			return c;
		if (c->state != HTTPD_WRITE && (!oldest || c->since_ns < oldest->since_ns))
			oldest = c;
	}
	if (oldest && oldest->since_ns + HTTPD_EVICT_MS * 1000000ull > now) {
		if (next_ns)
			*next_ns = oldest->since_ns + HTTPD_EVICT_MS * 1000000ull;
		return NULL;
	}
	return oldest;
}

static void accept_clients(struct httpd *h, uint64_t now)
{
	struct httpd_conn *c;
	int fd;

	while ((c = slot_for_new(h, now, NULL))) {
		fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;	/* EAGAIN: nobody waits; anything else: try next time */
		if (c->fd >= 0) {
			h->evicted++;
			conn_close(c);
		}
		c->fd = fd;
		c->state = HTTPD_READ;
		c->want = POLLIN;
		c->req_len = 0;
		c->req[0] = 0;
		c->since_ns = now;
		c->deadline_ns = now + h->timeout_ms * 1000000ull;
		if (!h->tls)
			continue;
		c->ssl = SSL_new(h->tls);
		if (!c->ssl || !SSL_set_fd(c->ssl, fd)) {
			conn_close(c);
			continue;
		}
		SSL_set_accept_state(c->ssl);
		c->state = HTTPD_HANDSHAKE;
	}
}

int httpd_poll(struct httpd *h, int timeout_ms)
{
	struct pollfd fds[HTTPD_MAX_CONNS + 1];
	int map[HTTPD_MAX_CONNS + 1];
	uint64_t now = host_now_ns(), until = now + (uint64_t)timeout_ms * 1000000ull;
	uint64_t evict_ns = 0;
	int i, n = 0, rc;

	for (i = 0; i < HTTPD_MAX_CONNS; i++) {
		struct httpd_conn *c = &h->conns[i];

		if (c->fd < 0)
			continue;
		if (c->deadline_ns <= now) {
			if (c->state == HTTPD_READ && !c->ssl) {
				/* too slow: say so, once and without waiting, and drop it */
				static const char msg[] = "HTTP/1.1 408 Request Timeout\r\n"
					"Content-Length: 0\r\nConnection: close\r\n\r\n";

				(void)send(c->fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			}
			h->timeouts += c->state != HTTPD_LINGER;
			conn_close(c);
			continue;
		}
		if (c->deadline_ns < until)
			until = c->deadline_ns;
		fds[n] = (struct pollfd){ c->fd, c->want, 0 };
		map[n++] = i;
	}
	/* Full: new clients wait in the listen backlog until a slot may be taken. */
	if (h->fd >= 0 && slot_for_new(h, now, &evict_ns)) {
		fds[n] = (struct pollfd){ h->fd, POLLIN, 0 };
		map[n++] = -1;
	} else if (evict_ns && evict_ns < until) {
		until = evict_ns;
	}
	rc = poll(fds, n, (int)((until - now + 999999) / 1000000));
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	/* Clients first: a new one may take the slot of one that just became ready. */
	for (i = 0; i < n; i++) {
		struct httpd_conn *c;

		if (!fds[i].revents || map[i] < 0)
			continue;
		c = &h->conns[map[i]];
		if (c->fd >= 0)
			conn_step(h, c);
	}
	if (n && map[n - 1] < 0 && fds[n - 1].revents)
		accept_clients(h, host_now_ns());
	return 0;
}

void httpd_close(struct httpd *h)
{
	int i;

	for (i = 0; i < HTTPD_MAX_CONNS; i++)
		if (h->conns[i].fd >= 0)
			conn_close(&h->conns[i]);
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}
