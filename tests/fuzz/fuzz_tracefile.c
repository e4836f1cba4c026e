// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer target: any bytes through the trace reader and the state. */
#include <stdint.h>
#include "state.h"
#include "tracefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct devmem_state st = { 0 };
	struct dmt_info info;
	char err[256];

	dmt_read_buffer(data, len, &devmem_state_ops, &st, &info, err, sizeof(err));
	dmt_info_free(&info);
	devmem_state_free(&st);
	return 0;
}
