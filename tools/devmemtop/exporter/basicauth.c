// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <crypt.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include "basicauth.h"
#include "clock.h"

/* user:password, decoded: what an Authorization header may carry */
#define CREDENTIALS_MAX 512

int basicauth_init(struct basicauth *a, const struct web_config *wc)
{
	memset(a, 0, sizeof(*a));
	a->wc = wc;
	return RAND_bytes(a->key, sizeof(a->key)) == 1 ? 0 : -1;
}

bool basicauth_enabled(const struct basicauth *a)
{
	return a->wc && a->wc->nr_users;
}

bool basicauth_bcrypt_matches(const char *password, const char *hash)
{
	/* 32 KiB: static, as the server is one thread */
	static struct crypt_data cd;
	const char *out;
	size_t n = strlen(hash);

	memset(&cd, 0, sizeof(cd));
	out = crypt_rn(password, hash, &cd, sizeof(cd));
	return out && strlen(out) == n && !CRYPTO_memcmp(out, hash, n);
}

/* Standard base64 with padding; the decoded length, or -1. */
static int base64_decode(const char *in, char *out, size_t outlen)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(in), i, o = 0;
	uint32_t acc = 0;
	int bits = 0, pad = 0;

	if (len % 4)
		return -1;
	for (i = 0; i < len; i++) {
		const char *p;

		if (in[i] == '=') {
			if (++pad > 2 || i < len - 2)
				return -1;
			continue;
		}
		if (pad || !(p = strchr(alpha, in[i])) || !in[i])
			return -1;
		acc = acc << 6 | (uint32_t)(p - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)(acc >> bits);
		}
	}
	out[o] = 0;
	return (int)o;
}

static void digest(const struct basicauth *a, size_t user, const char *password,
		   unsigned char out[BASICAUTH_DIGEST_LEN])
{
	unsigned int len = BASICAUTH_DIGEST_LEN;
	const char *name = a->wc->users[user].name;
	unsigned char msg[CREDENTIALS_MAX * 2 + 2];
	size_t nl = strlen(name), pl = strlen(password);

	memcpy(msg, name, nl + 1);	/* the NUL parts them */
	memcpy(msg + nl + 1, password, pl);
	HMAC(EVP_sha256(), a->key, sizeof(a->key), msg, nl + 1 + pl, out, &len);
}

enum basicauth_result basicauth_check(struct basicauth *a, const char *authorization,
				      uint64_t now_ns)
{
	char cred[CREDENTIALS_MAX], *password;
	unsigned char d[BASICAUTH_DIGEST_LEN];
	size_t i, user = a->wc->nr_users;
	uint64_t took;
	bool ok;
	int n;

	if (strncasecmp(authorization, "Basic ", 6))
		return BASICAUTH_DENIED;
	authorization += 6;
	while (*authorization == ' ')
		authorization++;
	n = base64_decode(authorization, cred, sizeof(cred));
	/* a NUL inside would cut the password short: no such credentials */
	if (n < 0 || (size_t)n != strlen(cred) || !(password = strchr(cred, ':')))
		return BASICAUTH_DENIED;
	*password++ = 0;
	for (i = 0; i < a->wc->nr_users; i++)
		if (!strcmp(a->wc->users[i].name, cred))
			user = i;
	if (user < a->wc->nr_users) {
		digest(a, user, password, d);
		if (a->has_good[user] && !CRYPTO_memcmp(d, a->good[user], sizeof(d)))
			return BASICAUTH_OK;
	}
	if (now_ns < a->next_verify_ns)
		return BASICAUTH_BUSY;
	a->bcrypt_runs++;
	took = host_now_ns();
	/* An unknown user costs one bcrypt too (the first user's cost), and fails. */
	ok = basicauth_bcrypt_matches(password, a->wc->users[user < a->wc->nr_users ? user : 0].hash) &&
	     user < a->wc->nr_users;
	took = host_now_ns() - took;
	a->next_verify_ns = now_ns + (BASICAUTH_TIME_SHARE - 1) * (took ? took : 1);
	if (!ok)
		return BASICAUTH_DENIED;
	memcpy(a->good[user], d, sizeof(d));
	a->has_good[user] = true;
	return BASICAUTH_OK;
}
