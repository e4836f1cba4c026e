/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --web.config.file: the subset of Prometheus exporter-toolkit's web
 * configuration that devmemtop implements (docs/metrics.md). Parsed as
 * strictly as exporter-toolkit parses it: an unknown key is an error, and
 * a known key devmemtop does not implement is refused by name, never
 * ignored.
 */
#ifndef DEVMEM_WEBCONFIG_H
#define DEVMEM_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* A file larger than this is no web configuration. */
#define WEBCONFIG_MAX_BYTES (1 << 20)
#define WEBCONFIG_MAX_USERS 64
#define WEBCONFIG_MAX_HEADERS 8
/* "$2b$NN$" + 22 characters of salt + 31 of hash */
#define WEBCONFIG_BCRYPT_LEN 60

/* exporter-toolkit's client_auth_type values, in Go's tls.ClientAuthType order */
enum webconfig_client_auth {
	WEBCONFIG_NO_CLIENT_CERT,
	WEBCONFIG_REQUEST_CLIENT_CERT,
	WEBCONFIG_REQUIRE_ANY_CLIENT_CERT,
	WEBCONFIG_VERIFY_CLIENT_CERT_IF_GIVEN,
	WEBCONFIG_REQUIRE_AND_VERIFY_CLIENT_CERT,
};

/* TLS protocol versions as "TLS10" ... "TLS13"; 0: not set */
enum webconfig_tls_version {
	WEBCONFIG_TLS_UNSET, WEBCONFIG_TLS10, WEBCONFIG_TLS11, WEBCONFIG_TLS12, WEBCONFIG_TLS13,
};

struct webconfig_user {
	char *name;
	char hash[WEBCONFIG_BCRYPT_LEN + 1];
};

struct webconfig_header {
	char *name, *value;
};

struct web_config {
	const char *path;	/* the file, for messages */
	bool tls;		/* tls_server_config is there */
	char *cert_file, *key_file, *client_ca_file;
	enum webconfig_client_auth client_auth;
	enum webconfig_tls_version min_version, max_version;
	bool prefer_server_cipher_suites;
	struct webconfig_user users[WEBCONFIG_MAX_USERS];
	size_t nr_users;
	struct webconfig_header headers[WEBCONFIG_MAX_HEADERS];
	size_t nr_headers;
};

/*
 * Parse the file at path into c. 0, or -1 with err naming the file, the
 * line and the key. An empty file is a valid configuration: plain HTTP,
 * no authentication.
 */
int webconfig_load(struct web_config *c, const char *path, char *err, size_t errlen);
/* The same, from text (len bytes); path only names it in messages. */
int webconfig_parse(struct web_config *c, const char *path, const char *text, size_t len,
		    char *err, size_t errlen);
/* A bcrypt hash as exporter-toolkit takes it: $2a$, $2b$ or $2y$, cost 4-31. */
bool webconfig_bcrypt_valid(const char *hash);
void webconfig_free(struct web_config *c);

#endif
