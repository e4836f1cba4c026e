// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "attach.h"
#include "fault_hooks.h"
#include "devmem_maps.h"
#include "devmem.skel.h"
#include "ksyms.h"

#define HOOK_CHECK_NS (100 * 1000000ull)

struct fault_hook {
	uint64_t addr;
	struct bpf_link *entry, *ret;
	char name[64];
	int err;		/* the attach failed: -errno, not tried again */
};

struct devmem_fault_hooks {
	struct fault_hook h[DEVMEM_MAX_FAULT_HOOKS];
	size_t n, hooked;
	uint64_t checked_ns;
};

bool devmem_fault_hooks_possible(void)
{
	return !access("/sys/bus/event_source/devices/kprobe/type", R_OK) ||
	       !access("/sys/kernel/tracing/kprobe_events", W_OK) ||
	       !access("/sys/kernel/debug/tracing/kprobe_events", W_OK);
}

int devmem_fault_hooks_init(struct devmem_session *s)
{
	s->fault_hooks = calloc(1, sizeof(*s->fault_hooks));
	return s->fault_hooks ? 0 : -ENOMEM;
}

/* The callback's name: a function starts at its symbol. */
static void hook_name(const struct ksyms *k, uint64_t addr, char *buf, size_t len)
{
	char sym[160];
	size_t n;

	ksyms_name(k, addr, sym, sizeof(sym));
	n = strlen(sym);
	if (n > 2 && !strcmp(sym + n - 2, "+0"))
		sym[n - 2] = 0;
	else
		sym[0] = 0;	/* not a function's start: attach by address */
	snprintf(buf, len, "%s", sym);
}

/*
 * The return probe first: a fault the entry probe saw must be finished by
 * it (fault_fallback.bpf.h); one it did not see is migrate_vma_setup()'s.
 */
static int hook_attach(struct devmem_session *s, struct fault_hook *h)
{
	LIBBPF_OPTS(bpf_kprobe_opts, o);
	const char *fn = h->name[0] ? h->name : NULL;

	/* By name when it has one; else by address (the kprobe PMU takes that). */
	o.offset = fn ? 0 : h->addr;
	o.retprobe = true;
	h->ret = bpf_program__attach_kprobe_opts(s->skel->progs.krp_fault_hook, fn, &o);
	if (!h->ret)
		return -errno;
	o.retprobe = false;
	h->entry = bpf_program__attach_kprobe_opts(s->skel->progs.kp_fault_hook, fn, &o);
	if (!h->entry) {
		int e = -errno;

		bpf_link__destroy(h->ret);
		h->ret = NULL;
		return e;
	}
	return 0;
}

size_t devmem_fault_hooks_update(struct devmem_session *s, bool force)
{
	struct devmem_fault_hooks *fh = s->fault_hooks;
	struct ksyms k = { 0 };
	bool loaded = false;
	uint64_t now = host_now_ns();
	__u64 key, next, *prev = NULL;
	int fd;

	if (!fh || !s->skel)
		return 0;
	if (!force && now - fh->checked_ns < HOOK_CHECK_NS)
		return fh->hooked;
	fh->checked_ns = now;
	fd = bpf_map__fd(s->skel->maps.fault_hooks);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct fault_hook *h = NULL;
		size_t i;

		key = next;
		prev = &key;
		for (i = 0; i < fh->n; i++)
			if (fh->h[i].addr == key)
				h = &fh->h[i];
		if (h || fh->n >= DEVMEM_MAX_FAULT_HOOKS)
			continue;
		h = &fh->h[fh->n++];
		h->addr = key;
		if (!loaded)
			loaded = !ksyms_load(&k);
		if (loaded)
			hook_name(&k, key, h->name, sizeof(h->name));
		h->err = hook_attach(s, h);
		fh->hooked += !h->err;
	}
	if (loaded)
		ksyms_free(&k);
	return fh->hooked;
}

uint64_t devmem_fault_hooks_missed(const struct devmem_session *s)
{
	const struct devmem_fault_hooks *fh = s->fault_hooks;
	uint64_t n = 0;
	size_t i;

	for (i = 0; fh && i < fh->n; i++)
		if (fh->h[i].ret)
			n += devmem_kprobe_link_missed(bpf_link__fd(fh->h[i].ret));
	return n;
}

const char *devmem_fault_hooks_names(const struct devmem_session *s, char *buf, size_t len)
{
	const struct devmem_fault_hooks *fh = s->fault_hooks;
	size_t i, used = 0;

	buf[0] = 0;
	for (i = 0; fh && i < fh->n && used < len; i++) {
		int w;

		if (fh->h[i].err)
			continue;
		w = fh->h[i].name[0] ?
		    snprintf(buf + used, len - used, "%s%s", used ? ", " : "", fh->h[i].name) :
		    snprintf(buf + used, len - used, "%s%#llx", used ? ", " : "",
			     (unsigned long long)fh->h[i].addr);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

void devmem_fault_hooks_free(struct devmem_session *s)
{
	struct devmem_fault_hooks *fh = s->fault_hooks;
	size_t i;

	for (i = 0; fh && i < fh->n; i++) {
		bpf_link__destroy(fh->h[i].entry);	/* no entry without its return */
		bpf_link__destroy(fh->h[i].ret);
	}
	free(fh);
	s->fault_hooks = NULL;
}
