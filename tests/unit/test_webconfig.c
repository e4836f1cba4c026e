// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of --web.config.file (tools/devmemtop/exporter/webconfig.c),
 * the basic-auth check (basicauth.c) and the TLS context (tls.c), built
 * with ASan and UBSan. One PASS/FAIL line per check.
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/ssl.h>
#include "basicauth.h"
#include "tls.h"
#include "webconfig.h"
#define CHECK_GROUP "lib"
#include "check.h"

/* bcrypt of "s3cret", cost 4 (libxcrypt; the same bytes under each prefix) */
#define HASH_2B "$2b$04$abcdefghijklmnopqrstuuLZYjhNQAOdpbzt4WxWlUHjv1wsyH5DG"
#define HASH_2Y "$2y$04$abcdefghijklmnopqrstuuLZYjhNQAOdpbzt4WxWlUHjv1wsyH5DG"
#define HASH_2A "$2a$04$abcdefghijklmnopqrstuuLZYjhNQAOdpbzt4WxWlUHjv1wsyH5DG"

static int parse(struct web_config *c, const char *text, char *err, size_t errlen)
{
	err[0] = 0;
	return webconfig_parse(c, "web.yml", text, strlen(text), err, errlen);
}

/* The message of a rejected text, "" when it was taken. */
static const char *rejected(const char *text)
{
	static char err[512];
	struct web_config c;

	if (!parse(&c, text, err, sizeof(err))) {
		webconfig_free(&c);
		return "";
	}
	return err;
}

static void test_parse(void)
{
	struct web_config c;
	char err[512];

	CHECK("webconfig: a whole file is taken",
	      !parse(&c, "tls_server_config:\n"
			 "  cert_file: /etc/devmem/cert.pem\n"
			 "  key_file: /etc/devmem/key.pem\n"
			 "  client_auth_type: RequireAndVerifyClientCert\n"
			 "  client_ca_file: /etc/devmem/ca.pem\n"
			 "  min_version: TLS13\n"
			 "  max_version: TLS13\n"
			 "  prefer_server_cipher_suites: true\n"
			 "http_server_config:\n"
			 "  http2: false\n"
			 "  headers:\n"
			 "    X-Frame-Options: deny\n"
			 "basic_auth_users:\n"
			 "  prom: " HASH_2B "\n"
			 "  grafana: '" HASH_2Y "'\n", err, sizeof(err)));
	CHECK("webconfig: and read as written",
	      c.tls && !strcmp(c.cert_file, "/etc/devmem/cert.pem") &&
	      !strcmp(c.key_file, "/etc/devmem/key.pem") && !strcmp(c.client_ca_file, "/etc/devmem/ca.pem") &&
	      c.client_auth == WEBCONFIG_REQUIRE_AND_VERIFY_CLIENT_CERT &&
	      c.min_version == WEBCONFIG_TLS13 && c.max_version == WEBCONFIG_TLS13 &&
	      c.prefer_server_cipher_suites && c.nr_users == 2 && !strcmp(c.users[0].name, "prom") &&
	      !strcmp(c.users[0].hash, HASH_2B) && !strcmp(c.users[1].name, "grafana") &&
	      c.nr_headers == 1 && !strcmp(c.headers[0].name, "X-Frame-Options") &&
	      !strcmp(c.headers[0].value, "deny"));
	webconfig_free(&c);
	CHECK("webconfig: an empty file is plain HTTP without auth",
	      !parse(&c, "", err, sizeof(err)) && !c.tls && !c.nr_users);
	webconfig_free(&c);
	CHECK("webconfig: an unknown top-level key names the file, line and key",
	      !strcmp(rejected("basic_auth_users:\n  prom: " HASH_2B "\ntls_config:\n  a: b\n"),
		      "--web.config.file web.yml:3: unknown key 'tls_config'"));
	CHECK("webconfig: an unknown key in tls_server_config",
	      !strcmp(rejected("tls_server_config:\n  cert_file: c\n  key_file: k\n  certfile: x\n"),
		      "--web.config.file web.yml:4: tls_server_config: unknown key 'certfile'"));
	CHECK("webconfig: a key devmemtop does not implement is refused by name",
	      strstr(rejected("tls_server_config:\n  cert_file: c\n  key_file: k\n"
			      "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n"),
		     "web.yml:4: tls_server_config.cipher_suites: not supported by devmemtop"));
	CHECK("webconfig: a missing key_file",
	      !strcmp(rejected("tls_server_config:\n  cert_file: c\n"),
		      "--web.config.file web.yml: tls_server_config: key_file is missing"));
	CHECK("webconfig: a missing cert_file",
	      strstr(rejected("tls_server_config:\n  key_file: k\n"), "cert_file is missing"));
	CHECK("webconfig: a client CA without a client_auth_type that uses it",
	      strstr(rejected("tls_server_config:\n  cert_file: c\n  key_file: k\n  client_ca_file: ca\n"),
		     "client_ca_file is given but client_auth_type is NoClientCert"));
	CHECK("webconfig: verifying client certificates without a CA",
	      strstr(rejected("tls_server_config:\n  cert_file: c\n  key_file: k\n"
			      "  client_auth_type: VerifyClientCertIfGiven\n"), "client_ca_file is missing"));
	CHECK("webconfig: an unknown client_auth_type",
	      strstr(rejected("tls_server_config:\n  cert_file: c\n  key_file: k\n"
			      "  client_auth_type: Always\n"), "web.yml:4: tls_server_config.client_auth_type: 'Always'"));
	CHECK("webconfig: an unknown TLS version",
	      strstr(rejected("tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: SSL3\n"),
		     "tls_server_config.min_version: 'SSL3' is not TLS10"));
	CHECK("webconfig: max_version below min_version",
	      strstr(rejected("tls_server_config:\n  cert_file: c\n  key_file: k\n"
			      "  min_version: TLS13\n  max_version: TLS12\n"), "max_version is below min_version"));
	CHECK("webconfig: a key given twice",
	      strstr(rejected("basic_auth_users:\n  prom: " HASH_2B "\n  prom: " HASH_2A "\n"),
		     "web.yml:3: basic_auth_users.prom: given twice"));
	CHECK("webconfig: a header it may not set",
	      strstr(rejected("http_server_config:\n  headers:\n    Content-Type: text/html\n"),
		     "web.yml:3: http_server_config.headers: 'Content-Type' cannot be set"));
	CHECK("webconfig: an unknown key in http_server_config",
	      strstr(rejected("http_server_config:\n  http3: true\n"), "unknown key 'http3'"));
	CHECK("webconfig: not YAML",
	      strstr(rejected("basic_auth_users: [\n"), "web.yml:2: not YAML"));
	CHECK("webconfig: a list where a mapping belongs",
	      strstr(rejected("basic_auth_users:\n  - prom\n"), "basic_auth_users: want a mapping"));
	CHECK("webconfig: a missing file names it",
	      webconfig_load(&c, "/nonexistent/web.yml", err, sizeof(err)) &&
	      !strcmp(err, "--web.config.file /nonexistent/web.yml: No such file or directory"));
}

static void test_hashes(void)
{
	CHECK("webconfig: $2b$, $2y$ and $2a$ are bcrypt",
	      webconfig_bcrypt_valid(HASH_2B) && webconfig_bcrypt_valid(HASH_2Y) &&
	      webconfig_bcrypt_valid(HASH_2A));
	CHECK("webconfig: a bad hash is refused, naming the user",
	      strstr(rejected("basic_auth_users:\n  prom: secret\n"),
		     "web.yml:2: basic_auth_users.prom: not a bcrypt hash"));
	CHECK("webconfig: $2x$, a SHA-512 crypt, cost 03 or 32, a short or foreign salt are refused",
	      !webconfig_bcrypt_valid("$2x$04$abcdefghijklmnopqrstuuLZYjhNQAOdpbzt4WxWlUHjv1wsyH5DG") &&
	      !webconfig_bcrypt_valid("$6$salt$abc") &&
	      !webconfig_bcrypt_valid("$2b$03$abcdefghijklmnopqrstuuLZYjhNQAOdpbzt4WxWlUHjv1wsyH5DG") &&
	      !webconfig_bcrypt_valid("$2b$32$abcdefghijklmnopqrstuuLZYjhNQAOdpbzt4WxWlUHjv1wsyH5DG") &&
	      !webconfig_bcrypt_valid("$2b$04$abcdefghijklmnopqrstuuLZYjhNQAOdpbzt4WxWlUHjv1wsyH5D") &&
	      !webconfig_bcrypt_valid("$2b$04$abcdefghijklmnopqrstuuLZYjhNQAOdpbzt4WxWlUHjv1wsyH5D!"));
	CHECK("basicauth: libxcrypt verifies each of the three prefixes",
	      basicauth_bcrypt_matches("s3cret", HASH_2B) && basicauth_bcrypt_matches("s3cret", HASH_2Y) &&
	      basicauth_bcrypt_matches("s3cret", HASH_2A));
	CHECK("basicauth: and refuses the wrong password under each",
	      !basicauth_bcrypt_matches("s3cret ", HASH_2B) && !basicauth_bcrypt_matches("", HASH_2Y) &&
	      !basicauth_bcrypt_matches("S3cret", HASH_2A));
}

static void test_auth(void)
{
	static const char text[] = "basic_auth_users:\n  prom: " HASH_2B "\n  other: " HASH_2Y "\n";
	/* 100 s apart: bcrypt's share of the time never reaches from one step to the next */
	const uint64_t s = 100 * 1000000000ull;
	struct web_config c;
	struct basicauth a;
	char err[512];
	int i;

	if (parse(&c, text, err, sizeof(err)) || basicauth_init(&a, &c)) {
		CHECK("basicauth: set up", 0);
		return;
	}
	CHECK("basicauth: on when there are users", basicauth_enabled(&a));
	/* prom:s3cret, prom:wrong, nobody:s3cret */
	CHECK("basicauth: no Authorization header is denied",
	      basicauth_check(&a, "", 6 * s) == BASICAUTH_DENIED && a.bcrypt_runs == 0);
	CHECK("basicauth: another scheme is denied",
	      basicauth_check(&a, "Bearer cHJvbTpzM2NyZXQ=", 6 * s) == BASICAUTH_DENIED);
	CHECK("basicauth: bad base64 is denied without bcrypt",
	      basicauth_check(&a, "Basic cHJvbTpzM2NyZXQ", 6 * s) == BASICAUTH_DENIED &&
	      basicauth_check(&a, "Basic !!!!", 6 * s) == BASICAUTH_DENIED && a.bcrypt_runs == 0);
	CHECK("basicauth: the right password is taken (one bcrypt)",
	      basicauth_check(&a, "Basic cHJvbTpzM2NyZXQ=", 7 * s) == BASICAUTH_OK && a.bcrypt_runs == 1);
	CHECK("basicauth: and again, remembered: no second bcrypt",
	      basicauth_check(&a, "basic cHJvbTpzM2NyZXQ=", 7 * s + 1) == BASICAUTH_OK && a.bcrypt_runs == 1);
	CHECK("basicauth: the wrong password is denied",
	      basicauth_check(&a, "Basic cHJvbTp3cm9uZw==", 8 * s) == BASICAUTH_DENIED && a.bcrypt_runs == 2);
	CHECK("basicauth: an unknown user is denied after a bcrypt of its own",
	      basicauth_check(&a, "Basic bm9ib2R5OnMzY3JldA==", 9 * s) == BASICAUTH_DENIED &&
	      a.bcrypt_runs == 3);
	CHECK("basicauth: right after a bcrypt, a new password is busy (429), no bcrypt",
	      basicauth_check(&a, "Basic b3RoZXI6d3Jvbmc=", 9 * s + 1) == BASICAUTH_BUSY &&
	      a.bcrypt_runs == 3);
	CHECK("basicauth: while a known password is still taken at once",
	      basicauth_check(&a, "Basic cHJvbTpzM2NyZXQ=", 9 * s + 2) == BASICAUTH_OK);
	CHECK("basicauth: later, another user's password is not this one's",
	      basicauth_check(&a, "Basic b3RoZXI6d3Jvbmc=", 11 * s) == BASICAUTH_DENIED && a.bcrypt_runs == 4);
	CHECK("basicauth: and that user's own is taken",
	      basicauth_check(&a, "Basic b3RoZXI6czNjcmV0", 12 * s) == BASICAUTH_OK && a.bcrypt_runs == 5);
	for (i = 0; i < 10; i++)
		basicauth_check(&a, "Basic cHJvbTp3cm9uZw==", 13 * s);
	CHECK("basicauth: a flood of wrong passwords at once costs one bcrypt",
	      a.bcrypt_runs == 6);
	CHECK("basicauth: a NUL inside the credentials is no password",
	      basicauth_check(&a, "Basic cHJvbTpzM2NyZXQAeA==", 14 * s) == BASICAUTH_DENIED);
	webconfig_free(&c);
}

static void test_tls_ctx(void)
{
	struct web_config c;
	char err[512];
	SSL_CTX *ctx;

	parse(&c, "tls_server_config:\n  cert_file: /nonexistent/cert.pem\n  key_file: /nonexistent/key.pem\n",
	      err, sizeof(err));
	ctx = exporter_tls_ctx(&c, err, sizeof(err));
	CHECK("tls: a missing cert_file names the file, the key and why",
	      !ctx && !strcmp(err, "--web.config.file web.yml: tls_server_config.cert_file "
			      "/nonexistent/cert.pem: No such file or directory"));
	SSL_CTX_free(ctx);
	webconfig_free(&c);
	parse(&c, "tls_server_config:\n  cert_file: /dev/null\n  key_file: /dev/null\n", err, sizeof(err));
	ctx = exporter_tls_ctx(&c, err, sizeof(err));
	CHECK("tls: a cert_file that holds no certificate is refused, naming the key",
	      !ctx && strstr(err, "tls_server_config.cert_file /dev/null: "));
	SSL_CTX_free(ctx);
	webconfig_free(&c);
}

int main(void)
{
	test_parse();
	test_hashes();
	test_auth();
	test_tls_ctx();
	return failures ? 1 : 0;
}
