# devmemscope: make device memory observable.
#
#   make run      build the patched 7.3 kernel, boot it, run the device-memory
#                 workloads under the devmem tracepoints and show what happened
#   make check    every test (unit, kpatches, VM); ends "N passed, N failed"
#   make bench    overhead ratios, measured side by side in one run
#
# Kernel builds are cached outside the repo (DEVMEMSCOPE_CACHE, default
# ~/.cache/devmemscope), keyed by a hash of patches, config and build script.

CC	?= cc
BUILD	?= build
CFLAGS	:= -O2 -g -Wall -Wextra -Werror -MMD -MP
export DEVMEMSCOPE_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/devmemscope

CLANG	?= clang
BPFTOOL	?= bpftool
# The layers (docs/architecture.md), each with the include path it may use:
# the pure library (model, replay, trace format), the host readers, the BPF
# session (the only code that sees the skeleton), and the tools.
LIB_INC	:= -Iinclude -Itools/lib -Itools/lib/trace
HOST_INC := $(LIB_INC) -Itools/host
SESSION_INC := $(HOST_INC) -Itools/session -I$(BUILD)
INCLUDES := $(SESSION_INC)
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror -Iinclude -Ibpf -MMD -MP
# Tools link statically so they copy straight into the VM's initramfs.
STATIC_LIBS := -l:libbpf.a -l:libelf.a -l:libz.a -l:libzstd.a
REPORT_LIBS := -l:libz.a -lm
CURSES_LIBS := -l:libncursesw.a -l:libtinfo.a
# devmemtop's exporter: web-config YAML, bcrypt (libxcrypt), TLS.
EXPORTER_LIBS := -l:libyaml.a -l:libcrypt.a -l:libssl.a -l:libcrypto.a
# The same, shared, for the sanitized unit tests and host-only helpers.
EXPORTER_DYN_LIBS := -lyaml -lcrypt -lssl -lcrypto

LIB_SRCS	:= $(wildcard tools/lib/*.c tools/lib/trace/*.c)
HOST_SRCS	:= $(wildcard tools/host/*.c)
SESSION_SRCS	:= $(wildcard tools/session/*.c)
LIB_OBJS	:= $(patsubst tools/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
HOST_OBJS	:= $(patsubst tools/%.c,$(BUILD)/obj/%.o,$(HOST_SRCS))
SESSION_OBJS	:= $(patsubst tools/%.c,$(BUILD)/obj/%.o,$(SESSION_SRCS))
TOP_OBJS	:= $(patsubst tools/%.c,$(BUILD)/obj/%.o,$(wildcard tools/devmemtop/*.c tools/devmemtop/exporter/*.c))
REC_OBJS	:= $(patsubst tools/%.c,$(BUILD)/obj/%.o,$(wildcard tools/devmemrec/*.c))
REPORT_OBJS	:= $(patsubst tools/%.c,$(BUILD)/obj/%.o,$(wildcard tools/devmemreport/*.c))
LEAK_OBJS	:= $(patsubst tools/%.c,$(BUILD)/obj/%.o,$(wildcard tools/devmemleak/*.c))
DEVMEMTOP	:= $(BUILD)/devmemtop
DEVMEMREC	:= $(BUILD)/devmemrec
DEVMEMREPORT	:= $(BUILD)/devmemreport
DEVMEMLEAK	:= $(BUILD)/devmemleak
TOOLS		:= $(DEVMEMTOP) $(DEVMEMREC) $(DEVMEMREPORT) $(DEVMEMLEAK)
# devmemcore: a drgn program (tools/devmemcore) and the C library it names
# things and exits through, in $(BUILD)/core; $(BUILD)/devmemcore runs it.
DEVMEMCORE	:= $(BUILD)/devmemcore
CORE_DIR	:= $(BUILD)/core
CORE_PY		:= $(wildcard tools/devmemcore/*.py)

WL		:= $(BUILD)/devmem-wl
BPF_EMPTY	:= $(BUILD)/bpf-empty
HMM_TESTS	:= $(BUILD)/hmm-tests
INITRAMFS	:= $(BUILD)/initramfs.cpio.gz
GUEST_FILES	:= vm/guest/init $(wildcard vm/guest/scenarios/*)

.PHONY: all deps kernel kernel-vanilla run check bench kpatches-check clean man install uninstall

all: $(WL) $(TOOLS) $(DEVMEMCORE)

deps:
	@scripts/install-deps.sh

$(BUILD):
	@mkdir -p $@

# One static binary from every file of workloads/ (its headers listed: a .d
# of several sources keeps only the last one's).
$(WL): $(wildcard workloads/*.c workloads/*.h) | $(BUILD)
	$(CC) $(CFLAGS) -static -pthread -o $@ $(filter %.c,$^)

# BPF: clang -> bpftool gen object -> skeleton; every user object needs it.
$(BUILD)/devmem.bpf.o: bpf/devmem.bpf.c | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -MF $(BUILD)/devmem.bpf.d -MT $@ -c $< -o $(@:.o=.tmp.o)
	$(BPFTOOL) gen object $@ $(@:.o=.tmp.o)

$(BUILD)/devmem.skel.h: $(BUILD)/devmem.bpf.o
	$(BPFTOOL) gen skeleton $< name devmem_bpf > $@

# The struct page walk (docs/pagewalk.md): its own object and skeleton.
$(BUILD)/pagewalk.bpf.o: bpf/pagewalk.bpf.c | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -MF $(BUILD)/pagewalk.bpf.d -MT $@ -c $< -o $(@:.o=.tmp.o)
	$(BPFTOOL) gen object $@ $(@:.o=.tmp.o)

$(BUILD)/pagewalk.skel.h: $(BUILD)/pagewalk.bpf.o
	$(BPFTOOL) gen skeleton $< name pagewalk_bpf > $@

# The release, from VERSION: only tools/lib/version.c reads it.
$(BUILD)/release.h: VERSION | $(BUILD)
	printf '#define DEVMEM_RELEASE "%s"\n' "$$(cat VERSION)" >$@
$(BUILD)/obj/lib/version.o: $(BUILD)/release.h

$(BUILD)/obj/lib/%.o: tools/lib/%.c | $(BUILD)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LIB_INC) -c $< -o $@
$(BUILD)/obj/lib/version.o: CFLAGS += -I$(BUILD)

$(BUILD)/obj/host/%.o: tools/host/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(HOST_INC) -c $< -o $@

$(BUILD)/obj/session/%.o: tools/session/%.c $(BUILD)/devmem.skel.h $(BUILD)/pagewalk.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SESSION_INC) -c $< -o $@

# devmemreport reads files only: no session layer, so no libbpf, clang or
# bpftool (tests/layers.sh holds it to that).
$(BUILD)/obj/devmemreport/%.o: tools/devmemreport/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(HOST_INC) -Itools/devmemreport -c $< -o $@

$(BUILD)/obj/%.o: tools/%.c $(BUILD)/devmem.skel.h $(BUILD)/pagewalk.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SESSION_INC) -Itools/$(firstword $(subst /, ,$*)) -Itools/devmemtop/exporter -c $< -o $@

$(DEVMEMTOP): $(TOP_OBJS) $(SESSION_OBJS) $(HOST_OBJS) $(LIB_OBJS)
	$(CC) -static -o $@ $^ $(STATIC_LIBS) $(CURSES_LIBS) $(EXPORTER_LIBS) -lm

$(DEVMEMREC): $(REC_OBJS) $(SESSION_OBJS) $(HOST_OBJS) $(LIB_OBJS)
	$(CC) -static -o $@ $^ $(STATIC_LIBS) -lm

$(DEVMEMREPORT): $(REPORT_OBJS) $(HOST_OBJS) $(LIB_OBJS)
	$(CC) -static -o $@ $^ $(REPORT_LIBS)

$(DEVMEMLEAK): $(LEAK_OBJS) $(SESSION_OBJS) $(HOST_OBJS) $(LIB_OBJS)
	$(CC) -static -o $@ $^ $(STATIC_LIBS) -lm

$(CORE_DIR)/libdevmemcore.so: $(LIB_SRCS) $(BUILD)/release.h
	@mkdir -p $(CORE_DIR)
	$(CC) -O2 -g -Wall -Wextra -Werror -fPIC -shared $(LIB_INC) -I$(BUILD) -o $@ $(LIB_SRCS) -lz -lm

$(DEVMEMCORE): $(CORE_PY) $(CORE_DIR)/libdevmemcore.so
	cp -p $(CORE_PY) $(CORE_DIR)/
	ln -sf core/devmemcore.py $@

# Unit tests of tools/lib, under AddressSanitizer and UBSan: the library
# compiled once into $(BUILD)/san, each test program linked to it.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
UNIT_LIB_SRCS := tools/lib/replay.c tools/lib/state.c tools/lib/u64map.c tools/lib/json.c tools/lib/leaks.c \
		 tools/lib/exit_codes.c tools/lib/pgmap_names.c tools/lib/output.c tools/lib/lost.c \
		 tools/lib/counters.c \
		 tools/devmemtop/exporter/metrics.c tools/devmemtop/exporter/expo.c \
		 tools/devmemtop/exporter/httpd.c tools/devmemtop/exporter/webconfig.c \
		 tools/devmemtop/exporter/basicauth.c tools/devmemtop/exporter/tls.c \
		 tools/devmemtop/procs.c tools/devmemtop/pgmaps.c tools/host/ksyms.c \
		 tools/lib/teardown.c tools/host/ktasks.c \
		 tools/lib/stuck.c tools/lib/late_start.c tools/host/readfile.c \
		 tools/host/clock.c tools/host/command.c tools/host/procfs.c \
		 tools/host/iomem.c tools/host/pgmap_host.c tools/host/debugfs.c \
		 tools/lib/pgmaps_text.c tools/lib/options.c tools/lib/options_table.c
UNIT_INC := $(HOST_INC) -Itools/devmemtop -Itools/devmemtop/exporter
TRACE_SRCS := $(wildcard tools/lib/trace/*.c)
san_objs = $(patsubst tools/%.c,$(BUILD)/san/%.o,$(1))
UNIT_LIB_OBJS := $(call san_objs,$(UNIT_LIB_SRCS))
TRACE_SAN_OBJS := $(call san_objs,$(TRACE_SRCS))

$(BUILD)/san/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(UNIT_INC) -c $< -o $@

# Each program from its own test_NAME.c; tools/lib's by subject (their
# lines say "lib:"), then procs, teardown, stuck and the host readers.
LIB_TESTS := state json flat names leaks pagekeys metrics httpd options webconfig
UNIT_TESTS := $(addprefix $(BUILD)/test_,$(LIB_TESTS) procs pgmaps teardown stuck host)
$(UNIT_TESTS): $(BUILD)/test_%: tests/unit/test_%.c $(UNIT_LIB_OBJS) | $(BUILD)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(UNIT_INC) -MF $@.d -o $@ $< $(UNIT_LIB_OBJS) $(EXPORTER_DYN_LIBS) -lm

# The trace file's: the round trip and checksums, the writer, the reader
# (their lines say "tracefile:").
TRACE_TESTS := $(addprefix $(BUILD)/test_,tracefile trace_write trace_read)
$(TRACE_TESTS): $(BUILD)/test_%: tests/unit/test_%.c $(UNIT_LIB_OBJS) $(TRACE_SAN_OBJS) | $(BUILD)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(UNIT_INC) -MF $@.d -o $@ $< $(UNIT_LIB_OBJS) $(TRACE_SAN_OBJS) $(EXPORTER_DYN_LIBS) -lz -lm

$(BUILD)/test_folded: tests/unit/test_folded.c $(UNIT_LIB_OBJS) $(BUILD)/san/lib/folded.o | $(BUILD)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(UNIT_INC) -MF $@.d -o $@ $< $(UNIT_LIB_OBJS) $(BUILD)/san/lib/folded.o $(EXPORTER_DYN_LIBS) -lm

$(BUILD)/test_pagewalk: tests/unit/test_pagewalk.c tools/lib/pagewalk_model.c tools/lib/json.c | $(BUILD)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(UNIT_INC) -MF $@.d -o $@ $< tools/lib/pagewalk_model.c tools/lib/json.c

# The attach modes' tables (tools/session/modes.c) against the skeleton; nothing is loaded.
$(BUILD)/test_modes: tests/unit/test_modes.c tools/session/modes.c $(BUILD)/devmem.skel.h | $(BUILD)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(SESSION_INC) -MF $@.d -o $@ $< $(STATIC_LIBS)

# The walk itself on the host's own kernel (root, BPF): tests/unit.sh.
$(BUILD)/pagewalk-host: tests/unit/pagewalk_host.c $(BUILD)/obj/session/pagewalk.o \
		$(HOST_OBJS) $(LIB_OBJS)
	$(CC) $(CFLAGS) $(SESSION_INC) -static -o $@ $^ $(STATIC_LIBS)

# The trace reader under libFuzzer (clang), run for a bounded time by the tests.
$(BUILD)/fuzz_tracefile: tests/fuzz/fuzz_tracefile.c $(UNIT_LIB_SRCS) $(TRACE_SRCS) \
		tools/devmemreport/events.c | $(BUILD)
	$(CLANG) -g -O1 -DDMT_FUZZING -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(UNIT_INC) -Itools/devmemreport -o $@ $< $(UNIT_LIB_SRCS) $(TRACE_SRCS) \
		tools/devmemreport/events.c $(EXPORTER_DYN_LIBS) -lz -lm

$(BUILD)/gen-trace: bench/gen-trace.c bench/trace-stream.c $(UNIT_LIB_SRCS) $(TRACE_SRCS) | $(BUILD)
	$(CC) $(CFLAGS) $(UNIT_INC) -o $@ $(filter %.c,$^) $(EXPORTER_DYN_LIBS) -lz -lm

# devmemrec's user side per record, stage by stage, on the host (bench/rec-cost.c).
$(BUILD)/rec-cost: bench/rec-cost.c bench/trace-stream.c $(UNIT_LIB_SRCS) $(TRACE_SRCS) | $(BUILD)
	$(CC) $(CFLAGS) -static $(UNIT_INC) -o $@ $(filter %.c,$^) $(EXPORTER_LIBS) $(REPORT_LIBS)

# A small trace of every record type, for devmemreport --events (tests/unit.sh).
$(BUILD)/events-trace: tests/unit/events_trace.c $(UNIT_LIB_SRCS) $(TRACE_SRCS) | $(BUILD)
	$(CC) $(CFLAGS) $(UNIT_INC) -o $@ $< $(UNIT_LIB_SRCS) $(TRACE_SRCS) $(EXPORTER_DYN_LIBS) -lz -lm

# A trace's metrics exposition, without a kernel (tests/add-counter.sh).
$(BUILD)/trace-metrics: tests/add-counter/trace-metrics.c $(UNIT_LIB_SRCS) $(TRACE_SRCS) | $(BUILD)
	$(CC) $(CFLAGS) $(UNIT_INC) -o $@ $< $(UNIT_LIB_SRCS) $(TRACE_SRCS) $(EXPORTER_DYN_LIBS) -lz -lm

# The bench's empty-program baseline (bench/empty.bpf.c).
$(BUILD)/empty.bpf.o: bench/empty.bpf.c | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -MF $(BUILD)/empty.bpf.d -MT $@ -c $< -o $(@:.o=.tmp.o)
	$(BPFTOOL) gen object $@ $(@:.o=.tmp.o)
$(BUILD)/empty.skel.h: $(BUILD)/empty.bpf.o
	$(BPFTOOL) gen skeleton $< name empty_bpf > $@
$(BPF_EMPTY): bench/bpf-empty.c $(BUILD)/empty.skel.h
	$(CC) $(CFLAGS) $(INCLUDES) -static -o $@ $< $(STATIC_LIBS) -lm

# Page owner lookups by design, on the host (bench/owner-lookup.c).
$(BUILD)/owner-lookup.bpf.o: bench/owner-lookup.bpf.c | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -Ibench -MF $(BUILD)/owner-lookup.bpf.d -MT $@ -c $< -o $(@:.o=.tmp.o)
	$(BPFTOOL) gen object $@ $(@:.o=.tmp.o)
$(BUILD)/owner-lookup.skel.h: $(BUILD)/owner-lookup.bpf.o
	$(BPFTOOL) gen skeleton $< name owner_lookup_bpf > $@
$(BUILD)/owner-lookup: bench/owner-lookup.c $(BUILD)/owner-lookup.skel.h
	$(CC) $(CFLAGS) $(INCLUDES) -Ibench -static -o $@ $< $(STATIC_LIBS) -lm

$(HMM_TESTS): vm/build-hmm-tests.sh | $(BUILD)
	CC=$(CC) vm/build-hmm-tests.sh $@

$(INITRAMFS): vm/mkinitramfs.sh $(GUEST_FILES) $(WL) $(HMM_TESTS) $(TOOLS) $(BPF_EMPTY)
	vm/mkinitramfs.sh $@ $(WL) $(HMM_TESTS) $(TOOLS) $(BPF_EMPTY)

# The build script is quick when its cache key hits, so always ask it.
kernel: | $(BUILD)
	vm/build-kernel.sh >$(BUILD)/kernel.dir.tmp && mv $(BUILD)/kernel.dir.tmp $(BUILD)/kernel.dir
kernel-vanilla: | $(BUILD)
	vm/build-kernel.sh --vanilla >$(BUILD)/kernel-vanilla.dir.tmp && \
		mv $(BUILD)/kernel-vanilla.dir.tmp $(BUILD)/kernel-vanilla.dir

# The main job runs on Linux 7.3 with the kpatches/ series.
run: deps
	$(MAKE) all
	vm/build-kernel.sh 7.3 >$(BUILD)/kernel73.dir.tmp && mv $(BUILD)/kernel73.dir.tmp $(BUILD)/kernel73.dir
	vm/mkinitramfs.sh $(BUILD)/initramfs-run.cpio.gz $(WL) $(TOOLS)
	vm/run-vm.sh "$$(cat $(BUILD)/kernel73.dir)" $(BUILD)/initramfs-run.cpio.gz demo $(BUILD)/vm-demo; \
	rc=$$?; cat $(BUILD)/vm-demo/data.log; exit $$rc

check: deps
	tests/run-all.sh

bench: deps
	bench/run.sh

# make install [PREFIX=/usr/local] [DESTDIR=]: the tools in sbin, their man
# pages in section 8 (scripts/mkman.sh: the tools' own option and exit-code
# tables, through build/devmem-man, around docs/man/TOOL.md), the metrics
# in section 7 (scripts/mkman-metrics.sh), and deploy/ with docs/deploy.md
# in share/devmemscope (the unit's paths made PREFIX's).
PREFIX	?= /usr/local
SBINDIR	:= $(PREFIX)/sbin
MAN8DIR	:= $(PREFIX)/share/man/man8
MAN7DIR	:= $(PREFIX)/share/man/man7
SHAREDIR := $(PREFIX)/share/devmemscope
# devmemcore's modules and library (sbin/devmemcore finds them at ../lib/devmemscope)
CORELIBDIR := $(PREFIX)/lib/devmemscope
DEPLOY	:= devmemtop.env web-config.yml prometheus/devmemscope-rules.yml \
	   prometheus/devmemscope-rules.test.yml prometheus/prometheus-scrape.yml \
	   grafana/devmemscope.json
MANS	:= $(patsubst %,$(BUILD)/man/%.8,devmemtop devmemrec devmemreport devmemleak)
MAN7	:= $(BUILD)/man/devmemscope-metrics.7
DEVMEM_MAN := $(BUILD)/devmem-man

$(DEVMEM_MAN): tools/doc/devmem-man.c tools/lib/options.c tools/lib/options_table.c \
		tools/lib/exit_codes.c | $(BUILD)
	$(CC) $(CFLAGS) $(LIB_INC) -o $@ $(filter %.c,$^) -lm

$(BUILD)/man/%.8: docs/man/%.md $(DEVMEM_MAN) scripts/mkman.sh VERSION
	@mkdir -p $(@D)
	scripts/mkman.sh $* $@ $(DEVMEM_MAN)

$(MAN7): scripts/mkman-metrics.sh $(BUILD)/gen-trace $(BUILD)/trace-metrics VERSION
	@mkdir -p $(@D)
	scripts/mkman-metrics.sh $@ $(BUILD)/gen-trace $(BUILD)/trace-metrics

# devmemcore's, from its argparse parser and the C exit-code table.
CORE_MAN := $(BUILD)/man/devmemcore.8
$(CORE_MAN): docs/man/devmemcore.md scripts/mkman-core.py $(DEVMEMCORE) VERSION
	@mkdir -p $(@D)
	scripts/mkman-core.py $(CORE_DIR) $< "$$(cat VERSION)" \
		"$$(git log -1 --format=%cs -- $< 2>/dev/null || date -u -r $< +%F)" >$@.md
	go-md2man -in $@.md -out $@
	rm -f $@.md

man: $(MANS) $(MAN7) $(CORE_MAN)

install: $(TOOLS) $(MANS) $(MAN7) $(DEVMEMCORE) $(CORE_MAN)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MAN8DIR) $(DESTDIR)$(MAN7DIR) $(DESTDIR)$(CORELIBDIR)
	install -m 0755 $(TOOLS) $(DESTDIR)$(SBINDIR)/
	install -m 0755 tools/devmemcore/devmemcore.py $(DESTDIR)$(SBINDIR)/devmemcore
	install -m 0644 $(filter-out %/devmemcore.py,$(CORE_PY)) $(CORE_DIR)/libdevmemcore.so \
		$(DESTDIR)$(CORELIBDIR)/
	install -m 0644 $(MANS) $(CORE_MAN) $(DESTDIR)$(MAN8DIR)/
	install -m 0644 $(MAN7) $(DESTDIR)$(MAN7DIR)/
	install -d $(DESTDIR)$(SHAREDIR)/prometheus $(DESTDIR)$(SHAREDIR)/grafana
	for f in $(DEPLOY); do install -m 0644 deploy/$$f $(DESTDIR)$(SHAREDIR)/$$f || exit; done
	install -m 0644 docs/deploy.md $(DESTDIR)$(SHAREDIR)/
	sed -e 's|/usr/sbin/devmemtop|$(SBINDIR)/devmemtop|' \
	    -e 's|/usr/share/devmemscope/|$(SHAREDIR)/|' deploy/devmemtop.service \
	    >$(DESTDIR)$(SHAREDIR)/devmemtop.service
	chmod 0644 $(DESTDIR)$(SHAREDIR)/devmemtop.service

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(TOOLS)) devmemcore) \
	      $(addprefix $(DESTDIR)$(MAN8DIR)/,$(notdir $(MANS) $(CORE_MAN))) \
	      $(DESTDIR)$(MAN7DIR)/$(notdir $(MAN7)) \
	      $(addprefix $(DESTDIR)$(SHAREDIR)/,$(DEPLOY) devmemtop.service deploy.md)
	rm -f $(addprefix $(DESTDIR)$(CORELIBDIR)/,$(filter-out devmemcore.py,$(notdir $(CORE_PY))) \
	      libdevmemcore.so)
	rmdir $(DESTDIR)$(SHAREDIR)/prometheus $(DESTDIR)$(SHAREDIR)/grafana \
	      $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(CORELIBDIR) 2>/dev/null || true

kpatches-check: deps
	@TEST_GROUPS="kpatches kpatches-6.12 kpatches-build" tests/run-all.sh

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/*.d $(BUILD)/obj/*/*.d $(BUILD)/obj/*/*/*.d \
	$(BUILD)/san/*/*.d $(BUILD)/san/*/*/*.d)
