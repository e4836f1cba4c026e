/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The OpenSSL server context of a web configuration's tls_server_config:
 * certificate chain and key, client certificates as client_auth_type
 * says, protocol versions. Made before anything attaches, so a missing
 * or wrong file is a usage error naming the key.
 */
#ifndef DEVMEM_EXPORTER_TLS_H
#define DEVMEM_EXPORTER_TLS_H

#include <stddef.h>
#include "webconfig.h"

struct ssl_ctx_st;

/* The context, or NULL with err naming the file and the key. */
struct ssl_ctx_st *exporter_tls_ctx(const struct web_config *c, char *err, size_t errlen);

#endif
