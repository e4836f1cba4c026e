// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of what the tools print (tools/lib/json.c, exit_codes.c),
 * built with ASan and UBSan: the JSON writer, and the exit code table
 * against docs/exit-codes.md. One PASS/FAIL line per check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exit_codes.h"
#include "json.h"
#define CHECK_GROUP "lib"
#include "check.h"

static void test_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_begin(&j, f);
	json_obj_open(&j, NULL);
	json_str(&j, "comm", "a\"b\\c\n\x01");
	json_arr_open(&j, "xs");
	json_u64(&j, NULL, 1);
	json_i64(&j, NULL, -2);
	json_arr_close(&j);
	json_hex(&j, "p", 0xff);
	json_double(&j, "r", 0.0 / 0.0);
	json_obj_close(&j);
	json_end(&j);
	fclose(f);
	CHECK("json escapes strings and places commas",
	      !strcmp(buf, "{\"comm\":\"a\\\"b\\\\c\\u000a\\u0001\",\"xs\":[1,-2],\"p\":\"0xff\",\"r\":null}\n"));
	free(buf);
}

/*
 * docs/exit-codes.md and the table the tools print from say the same: each
 * entry is a row of the document, and the document has no other row.
 */
static void test_exit_codes_doc(void)
{
	static const char *const names[] = { "devmemtop", "devmemrec", "devmemreport", "devmemleak",
						"devmemcore" };
	FILE *f = fopen("docs/exit-codes.md", "r");
	char line[512], row[512];
	unsigned int i, t, rows = 0, found = 0;

	for (i = 0; f && i < devmem_nr_exit_codes; i++) {
		const struct devmem_exit_code *e = &devmem_exit_codes[i];
		char code[16] = "*", tools[128] = "";

		if (e->code >= 0)
			snprintf(code, sizeof(code), "%d", e->code);
		if (e->tools == 0x1f) {
			snprintf(tools, sizeof(tools), "all");
		} else {
			for (t = 0; t < 5; t++)
				if (e->tools & (1u << t))
					snprintf(tools + strlen(tools), sizeof(tools) - strlen(tools),
						 "%s%s", tools[0] ? ", " : "", names[t]);
		}
		snprintf(row, sizeof(row), "| %s | %s | %s | %s |\n", code, e->name, tools, e->meaning);
		rewind(f);
		while (fgets(line, sizeof(line), f))
			if (!strcmp(line, row)) {
				found++;
				break;
			}
		if (strcmp(line, row))
			printf("info lib: docs/exit-codes.md lacks the row %s", row);
	}
	if (f) {
		rewind(f);
		while (fgets(line, sizeof(line), f))
			if (line[0] == '|' && (line[2] == '*' || (line[2] >= '0' && line[2] <= '9')))
				rows++;
		fclose(f);
	}
	CHECK("docs/exit-codes.md has exactly the rows of tools/lib/exit_codes.c",
	      f && found == devmem_nr_exit_codes && rows == devmem_nr_exit_codes);
}

/* A comm holds any bytes: the JSON stays valid and loses none of them. */
static void test_json_bytes(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_begin(&j, f);
	json_obj_open(&j, NULL);
	/* é (valid), a lone continuation byte, 0xff, an overlong '/', a
	 * surrogate, then 'ü' cut after its first byte as the kernel cuts comm */
	json_str(&j, "c", "\xc3\xa9\x80\xff\xc0\xaf\xed\xa0\x80x\xc3");
	json_obj_close(&j);
	json_end(&j);
	fclose(f);
	CHECK("json keeps valid UTF-8 and escapes every other byte as \\u00XX",
	      !strcmp(buf, "{\"c\":\"\xc3\xa9\\u0080\\u00ff\\u00c0\\u00af\\u00ed\\u00a0\\u0080x\\u00c3\"}\n"));
	free(buf);
}

int main(void)
{
	test_json();
	test_json_bytes();
	test_exit_codes_doc();
	return failures ? 1 : 0;
}
