/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * HTTP basic authentication against web-config's basic_auth_users, as
 * exporter-toolkit checks it: bcrypt ($2y$, $2b$, $2a$) through libxcrypt,
 * the result compared in constant time, and the same work for an unknown
 * user as for a known one.
 *
 * bcrypt is slow on purpose (cost 10: tens of milliseconds), and the
 * server is one thread that also reads the counters. So a password that
 * was verified once is remembered as a keyed SHA-256 digest, which a
 * scraper repeating it matches at once; and bcrypt may take at most one
 * BASICAUTH_TIME_SHARE-th of the time: after a verification that took d,
 * the next one waits until (BASICAUTH_TIME_SHARE - 1) * d have passed,
 * and a request for it meanwhile is told to come back (429) instead of
 * holding the loop.
 */
#ifndef DEVMEM_BASICAUTH_H
#define DEVMEM_BASICAUTH_H

#include <stdbool.h>
#include <stdint.h>
#include "webconfig.h"

#define BASICAUTH_TIME_SHARE 10
#define BASICAUTH_DIGEST_LEN 32

enum basicauth_result {
	BASICAUTH_OK,
	BASICAUTH_DENIED,	/* no, malformed or wrong credentials: 401 */
	BASICAUTH_BUSY,		/* bcrypt has had its share of the time: 429 */
};

struct basicauth {
	const struct web_config *wc;
	unsigned char key[32];	/* keys the remembered digests, per process */
	/* per user: the digest of the last password that verified */
	unsigned char good[WEBCONFIG_MAX_USERS][BASICAUTH_DIGEST_LEN];
	bool has_good[WEBCONFIG_MAX_USERS];
	uint64_t next_verify_ns;	/* no bcrypt before this */
	uint64_t bcrypt_runs;	/* for tests: how often bcrypt ran */
};

/* 0, or -1 without randomness for the key. */
int basicauth_init(struct basicauth *a, const struct web_config *wc);
/* Whether auth is asked for at all. */
bool basicauth_enabled(const struct basicauth *a);
/* The Authorization header's value ("" without one) at time now_ns (host_now_ns()). */
enum basicauth_result basicauth_check(struct basicauth *a, const char *authorization,
				      uint64_t now_ns);
/* bcrypt of password against hash, compared in constant time. */
bool basicauth_bcrypt_matches(const char *password, const char *hash);

#endif
