// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "tls.h"

/* exporter-toolkit's default minimum, from Go's crypto/tls */
#define DEFAULT_MIN_VERSION TLS1_2_VERSION

static SSL_CTX *fail(SSL_CTX *ctx, const struct web_config *c, const char *key, const char *file,
		char *err, size_t errlen)
{
	unsigned long e = ERR_peek_last_error();
	char why[256];

	ERR_error_string_n(e, why, sizeof(why));
	snprintf(err, errlen, "--web.config.file %s: tls_server_config.%s %s: %s", c->path, key,
		 file ? file : "", e ? why : "refused");
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

/* A file that cannot be read: say so plainly, before OpenSSL's words. */
static SSL_CTX *unreadable(SSL_CTX *ctx, const struct web_config *c, const char *key,
			   const char *file, char *err, size_t errlen)
{
	snprintf(err, errlen, "--web.config.file %s: tls_server_config.%s %s: %s", c->path, key,
		 file, strerror(errno));
	SSL_CTX_free(ctx);
	return NULL;
}

static int version(enum webconfig_tls_version v)
{
	switch (v) {
	case WEBCONFIG_TLS10: return TLS1_VERSION;
	case WEBCONFIG_TLS11: return TLS1_1_VERSION;
	case WEBCONFIG_TLS12: return TLS1_2_VERSION;
	case WEBCONFIG_TLS13: return TLS1_3_VERSION;
	case WEBCONFIG_TLS_UNSET: break;
	}
	return 0;
}

/* Request or require a certificate without verifying it (Go's Request/RequireAny). */
static int accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

SSL_CTX *exporter_tls_ctx(const struct web_config *c, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	int mode = SSL_VERIFY_NONE;
	SSL_verify_cb cb = NULL;

	/* No openssl.cnf: the static binary behaves the same on every host. */
	OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return fail(NULL, c, "", NULL, err, errlen);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
			    (c->prefer_server_cipher_suites ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	if (!SSL_CTX_set_min_proto_version(ctx, c->min_version ? version(c->min_version) :
					   DEFAULT_MIN_VERSION))
		return fail(ctx, c, "min_version", NULL, err, errlen);
	if (c->max_version && !SSL_CTX_set_max_proto_version(ctx, version(c->max_version)))
		return fail(ctx, c, "max_version", NULL, err, errlen);
	if (access(c->cert_file, R_OK))
		return unreadable(ctx, c, "cert_file", c->cert_file, err, errlen);
	if (access(c->key_file, R_OK))
		return unreadable(ctx, c, "key_file", c->key_file, err, errlen);
	if (c->client_ca_file && access(c->client_ca_file, R_OK))
		return unreadable(ctx, c, "client_ca_file", c->client_ca_file, err, errlen);
	if (SSL_CTX_use_certificate_chain_file(ctx, c->cert_file) != 1)
		return fail(ctx, c, "cert_file", c->cert_file, err, errlen);
	if (SSL_CTX_use_PrivateKey_file(ctx, c->key_file, SSL_FILETYPE_PEM) != 1)
		return fail(ctx, c, "key_file", c->key_file, err, errlen);
	if (SSL_CTX_check_private_key(ctx) != 1)
		return fail(ctx, c, "key_file", c->key_file, err, errlen);
	if (c->client_ca_file) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(c->client_ca_file);

		if (!names || SSL_CTX_load_verify_locations(ctx, c->client_ca_file, NULL) != 1) {
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			return fail(ctx, c, "client_ca_file", c->client_ca_file, err, errlen);
		}
		SSL_CTX_set_client_CA_list(ctx, names);
	}
	switch (c->client_auth) {
	case WEBCONFIG_NO_CLIENT_CERT: break;
	case WEBCONFIG_REQUEST_CLIENT_CERT: mode = SSL_VERIFY_PEER; cb = accept_any; break;
	case WEBCONFIG_REQUIRE_ANY_CLIENT_CERT:
		mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
		cb = accept_any;
		break;
	case WEBCONFIG_VERIFY_CLIENT_CERT_IF_GIVEN: mode = SSL_VERIFY_PEER; break;
	case WEBCONFIG_REQUIRE_AND_VERIFY_CLIENT_CERT:
		mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
		break;
	}
	SSL_CTX_set_verify(ctx, mode, cb);
	return ctx;
}
