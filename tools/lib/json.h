/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A small streaming JSON writer: commas and escaping handled here. */
#ifndef DEVMEM_JSON_H
#define DEVMEM_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;
	int depth;
	bool need_comma[16];
};

/* Length of the well-formed UTF-8 sequence at s, 0 if it is not one. */
int json_utf8_len(const unsigned char *s);
void json_begin(struct json *j, FILE *f);
void json_obj_open(struct json *j, const char *key);	/* key NULL inside arrays */
void json_obj_close(struct json *j);
void json_arr_open(struct json *j, const char *key);
void json_arr_close(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_i64(struct json *j, const char *key, int64_t val);
void json_hex(struct json *j, const char *key, uint64_t val);	/* "0x..." string */
void json_double(struct json *j, const char *key, double val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
void json_end(struct json *j);	/* newline, flush */

#endif
