# devmemscope: make device memory observable.
#
#   make run      build the patched kernel, boot it, run the device-memory
#                 workloads under the devmem tracepoints and show what happened
#   make check    every test (unit, kpatches, VM); ends "N passed, N failed"
#   make bench    overhead ratios, measured side by side in one run
#
# Kernel builds are cached outside the repo (DEVMEMSCOPE_CACHE, default
# ~/.cache/devmemscope), keyed by a hash of patches, config and build script.

CC	?= cc
BUILD	:= build
CFLAGS	:= -O2 -g -Wall -Wextra -Werror -MMD -MP
export DEVMEMSCOPE_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/devmemscope

WL		:= $(BUILD)/devmem-wl
HMM_TESTS	:= $(BUILD)/hmm-tests
INITRAMFS	:= $(BUILD)/initramfs.cpio.gz
GUEST_FILES	:= vm/guest/init $(wildcard vm/guest/scenarios/*)

.PHONY: all deps kernel kernel-vanilla run check bench kpatches-check clean

all: $(WL)

deps:
	@scripts/install-deps.sh

$(BUILD):
	@mkdir -p $@

$(WL): workloads/devmem-wl.c | $(BUILD)
	$(CC) $(CFLAGS) -static -o $@ $<

$(HMM_TESTS): vm/build-hmm-tests.sh | $(BUILD)
	CC=$(CC) vm/build-hmm-tests.sh $@

$(INITRAMFS): vm/mkinitramfs.sh $(GUEST_FILES) $(WL) $(HMM_TESTS)
	vm/mkinitramfs.sh $@ $(WL) $(HMM_TESTS)

# The build script is quick when its cache key hits, so always ask it.
kernel: | $(BUILD)
	vm/build-kernel.sh >$(BUILD)/kernel.dir
kernel-vanilla: | $(BUILD)
	vm/build-kernel.sh --vanilla >$(BUILD)/kernel-vanilla.dir

run: deps
	$(MAKE) kernel $(INITRAMFS)
	vm/run-vm.sh "$$(cat $(BUILD)/kernel.dir)" $(INITRAMFS) demo $(BUILD)/vm-demo; \
	rc=$$?; cat $(BUILD)/vm-demo/data.log; exit $$rc

check: deps
	tests/run-all.sh

bench: deps
	bench/run.sh

kpatches-check: deps
	tests/kpatches-check.sh

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/*.d)
