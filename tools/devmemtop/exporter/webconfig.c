// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>
#include "webconfig.h"

struct parse {
	struct web_config *c;
	yaml_document_t doc;
	char *err;
	size_t errlen;
};

static int fail(struct parse *p, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		snprintf(p->err, p->errlen, "--web.config.file %s:%zu: %s", p->c->path,
			 n->start_mark.line + 1, msg);
	else
		snprintf(p->err, p->errlen, "--web.config.file %s: %s", p->c->path, msg);
	return -1;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A scalar value of key `key` in section `sec`, or an error naming both. */
static const char *want_scalar(struct parse *p, const yaml_node_t *v, const char *sec,
			       const char *key)
{
	const char *s = scalar(v);

	if (!s)
		fail(p, v, "%s.%s: want a single value", sec, key);
	return s;
}

static int dup_to(struct parse *p, const yaml_node_t *v, const char *sec, const char *key,
		  char **dst)
{
	const char *s = want_scalar(p, v, sec, key);

	if (!s)
		return -1;
	if (!*s)
		return fail(p, v, "%s.%s: empty", sec, key);
	free(*dst);
	*dst = strdup(s);
	return *dst ? 0 : fail(p, v, "no memory");
}

static int parse_bool(struct parse *p, const yaml_node_t *v, const char *sec, const char *key,
		      bool *out)
{
	const char *s = want_scalar(p, v, sec, key);

	if (!s)
		return -1;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		*out = false;
	else
		return fail(p, v, "%s.%s: want true or false, not '%s'", sec, key, s);
	return 0;
}

static int parse_version(struct parse *p, const yaml_node_t *v, const char *key,
			 enum webconfig_tls_version *out)
{
	static const char *const names[] = { NULL, "TLS10", "TLS11", "TLS12", "TLS13" };
	const char *s = want_scalar(p, v, "tls_server_config", key);
	size_t i;

	if (!s)
		return -1;
	for (i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	return fail(p, v, "tls_server_config.%s: '%s' is not TLS10, TLS11, TLS12 or TLS13", key, s);
}

static int parse_client_auth(struct parse *p, const yaml_node_t *v)
{
	static const char *const names[] = {
		"NoClientCert", "RequestClientCert", "RequireAnyClientCert",
		"VerifyClientCertIfGiven", "RequireAndVerifyClientCert",
	};
	const char *s = want_scalar(p, v, "tls_server_config", "client_auth_type");
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			p->c->client_auth = i;
			return 0;
		}
	return fail(p, v, "tls_server_config.client_auth_type: '%s' is not one of NoClientCert, "
		    "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, "
		    "RequireAndVerifyClientCert", s);
}

/* Known to exporter-toolkit, not implemented here: refused by name. */
static bool refused(const char *key, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(key, *list))
			return true;
	return false;
}

typedef int (*section_fn)(struct parse *p, const char *key, yaml_node_t *k, yaml_node_t *v);

/* Each key of a mapping, once: a repeated key is an error, as in Go's yaml.v2. */
static int each_key(struct parse *p, yaml_node_t *map, const char *sec, section_fn fn)
{
	yaml_node_pair_t *pair;

	if (map->type == YAML_SCALAR_NODE && !*scalar(map))
		return 0;	/* "key:" with nothing: an empty section */
	if (map->type != YAML_MAPPING_NODE)
		return fail(p, map, "%s: want a mapping of keys", sec);
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(&p->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(&p->doc, pair->value);
		const char *key = scalar(k);
		yaml_node_pair_t *q;

		if (!key || !v)
			return fail(p, k, "%s: a key must be a plain name", sec);
		for (q = map->data.mapping.pairs.start; q < pair; q++) {
			const char *o = scalar(yaml_document_get_node(&p->doc, q->key));

			if (o && !strcmp(o, key))
				return fail(p, k, "%s%s%s: given twice", sec, *sec ? "." : "", key);
		}
		if (fn(p, key, k, v))
			return -1;
	}
	return 0;
}

static int tls_key(struct parse *p, const char *key, yaml_node_t *k, yaml_node_t *v)
{
	static const char *const not_here[] = {
		"cert", "key", "client_ca", "cipher_suites", "curve_preferences",
		"client_allowed_sans", NULL,
	};
	static const char sec[] = "tls_server_config";
	struct web_config *c = p->c;

	if (!strcmp(key, "cert_file"))
		return dup_to(p, v, sec, key, &c->cert_file);
	if (!strcmp(key, "key_file"))
		return dup_to(p, v, sec, key, &c->key_file);
	if (!strcmp(key, "client_ca_file"))
		return dup_to(p, v, sec, key, &c->client_ca_file);
	if (!strcmp(key, "client_auth_type"))
		return parse_client_auth(p, v);
	if (!strcmp(key, "min_version"))
		return parse_version(p, v, key, &c->min_version);
	if (!strcmp(key, "max_version"))
		return parse_version(p, v, key, &c->max_version);
	if (!strcmp(key, "prefer_server_cipher_suites"))
		return parse_bool(p, v, sec, key, &c->prefer_server_cipher_suites);
	if (refused(key, not_here))
		return fail(p, k, "%s.%s: not supported by devmemtop (docs/metrics.md lists what is)",
			    sec, key);
	return fail(p, k, "%s: unknown key '%s'", sec, key);
}

/* exporter-toolkit's list: security headers only, never one HTTP itself needs. */
static int header_key(struct parse *p, const char *key, yaml_node_t *k, yaml_node_t *v)
{
	static const char *const allowed[] = {
		"Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
		"X-XSS-Protection", "Content-Security-Policy", NULL,
	};
	struct webconfig_header *h;
	const char *const *a;
	const char *s;

	for (a = allowed; *a && strcasecmp(*a, key); a++)
		;
	if (!*a)
		return fail(p, k, "http_server_config.headers: '%s' cannot be set (only "
			    "Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, "
			    "X-XSS-Protection and Content-Security-Policy)", key);
	s = want_scalar(p, v, "http_server_config.headers", key);
	if (!s)
		return -1;
	if (strpbrk(s, "\r\n") || strlen(s) > 512)
		return fail(p, v, "http_server_config.headers.%s: a value is one line of at most "
			    "512 bytes", key);
	if (p->c->nr_headers == WEBCONFIG_MAX_HEADERS)
		return fail(p, k, "http_server_config.headers: at most %d", WEBCONFIG_MAX_HEADERS);
	h = &p->c->headers[p->c->nr_headers];
	h->name = strdup(*a);
	h->value = strdup(s);
	p->c->nr_headers++;
	return h->name && h->value ? 0 : fail(p, v, "no memory");
}

static int http_key(struct parse *p, const char *key, yaml_node_t *k, yaml_node_t *v)
{
	bool http2;

	/* HTTP/2 is negotiated with ALPN, which devmemtop never offers: either value serves 1.1. */
	if (!strcmp(key, "http2"))
		return parse_bool(p, v, "http_server_config", key, &http2);
	if (!strcmp(key, "headers"))
		return each_key(p, v, "http_server_config.headers", header_key);
	return fail(p, k, "http_server_config: unknown key '%s'", key);
}

bool webconfig_bcrypt_valid(const char *hash)
{
	static const char b64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	int cost;

	if (strlen(hash) != WEBCONFIG_BCRYPT_LEN || hash[0] != '$' || hash[1] != '2' ||
	    !strchr("aby", hash[2]) || !hash[2] || hash[3] != '$' || hash[6] != '$' ||
	    hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9')
		return false;
	cost = (hash[4] - '0') * 10 + hash[5] - '0';
	return cost >= 4 && cost <= 31 && strspn(hash + 7, b64) == WEBCONFIG_BCRYPT_LEN - 7;
}

static int user_key(struct parse *p, const char *key, yaml_node_t *k, yaml_node_t *v)
{
	struct webconfig_user *u;
	const char *s = want_scalar(p, v, "basic_auth_users", key);

	if (!s)
		return -1;
	if (!*key || strchr(key, ':'))
		return fail(p, k, "basic_auth_users: '%s' is no user name (empty, or holds ':')", key);
	if (!webconfig_bcrypt_valid(s))
		return fail(p, v, "basic_auth_users.%s: not a bcrypt hash ($2y$, $2b$ or $2a$, "
			    "cost 04-31, %d characters)", key, WEBCONFIG_BCRYPT_LEN);
	if (p->c->nr_users == WEBCONFIG_MAX_USERS)
		return fail(p, k, "basic_auth_users: at most %d users", WEBCONFIG_MAX_USERS);
	u = &p->c->users[p->c->nr_users];
	u->name = strdup(key);
	if (!u->name)
		return fail(p, k, "no memory");
	memcpy(u->hash, s, sizeof(u->hash));
	p->c->nr_users++;
	return 0;
}

static int top_key(struct parse *p, const char *key, yaml_node_t *k, yaml_node_t *v)
{
	if (!strcmp(key, "tls_server_config")) {
		p->c->tls = true;
		return each_key(p, v, key, tls_key);
	}
	if (!strcmp(key, "http_server_config"))
		return each_key(p, v, key, http_key);
	if (!strcmp(key, "basic_auth_users"))
		return each_key(p, v, key, user_key);
	return fail(p, k, "unknown key '%s'", key);
}

/* What exporter-toolkit checks once the keys are read. */
static int check(struct parse *p)
{
	struct web_config *c = p->c;

	if (!c->tls)
		return 0;
	if (!c->cert_file)
		return fail(p, NULL, "tls_server_config: cert_file is missing");
	if (!c->key_file)
		return fail(p, NULL, "tls_server_config: key_file is missing");
	if (c->client_ca_file && c->client_auth == WEBCONFIG_NO_CLIENT_CERT)
		return fail(p, NULL, "tls_server_config: client_ca_file is given but "
			    "client_auth_type is NoClientCert");
	if (!c->client_ca_file && (c->client_auth == WEBCONFIG_VERIFY_CLIENT_CERT_IF_GIVEN ||
				   c->client_auth == WEBCONFIG_REQUIRE_AND_VERIFY_CLIENT_CERT))
		return fail(p, NULL, "tls_server_config: client_auth_type verifies client "
			    "certificates: client_ca_file is missing");
	if (c->min_version && c->max_version && c->max_version < c->min_version)
		return fail(p, NULL, "tls_server_config: max_version is below min_version");
	return 0;
}

int webconfig_parse(struct web_config *c, const char *path, const char *text, size_t len,
		    char *err, size_t errlen)
{
	struct parse p = { .c = c, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_node_t *root;
	int rc;

	memset(c, 0, sizeof(*c));
	c->path = path;
	if (!yaml_parser_initialize(&parser))
		return fail(&p, NULL, "no memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &p.doc)) {
		snprintf(err, errlen, "--web.config.file %s:%zu: not YAML: %s", path,
			 parser.problem_mark.line + 1, parser.problem ? parser.problem : "?");
		yaml_parser_delete(&parser);
		return -1;
	}
	yaml_parser_delete(&parser);
	root = yaml_document_get_root_node(&p.doc);
	rc = root ? each_key(&p, root, "", top_key) : 0;	/* no document: an empty file */
	if (!rc)
		rc = check(&p);
	yaml_document_delete(&p.doc);
	if (rc)
		webconfig_free(c);
	return rc;
}

int webconfig_load(struct web_config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *text;
	size_t n;
	int rc;

	memset(c, 0, sizeof(*c));
	if (!f) {
		snprintf(err, errlen, "--web.config.file %s: %s", path, strerror(errno));
		return -1;
	}
	text = malloc(WEBCONFIG_MAX_BYTES + 1);
	if (!text) {
		fclose(f);
		snprintf(err, errlen, "--web.config.file %s: no memory", path);
		return -1;
	}
	n = fread(text, 1, WEBCONFIG_MAX_BYTES + 1, f);
	if (ferror(f) || n > WEBCONFIG_MAX_BYTES) {
		snprintf(err, errlen, "--web.config.file %s: %s", path,
			 ferror(f) ? strerror(errno) : "larger than 1 MiB");
		fclose(f);
		free(text);
		return -1;
	}
	fclose(f);
	rc = webconfig_parse(c, path, text, n, err, errlen);
	free(text);
	return rc;
}

void webconfig_free(struct web_config *c)
{
	size_t i;

	free(c->cert_file);
	free(c->key_file);
	free(c->client_ca_file);
	for (i = 0; i < c->nr_users; i++)
		free(c->users[i].name);
	for (i = 0; i < c->nr_headers; i++) {
		free(c->headers[i].name);
		free(c->headers[i].value);
	}
	memset(c, 0, sizeof(*c));
}
