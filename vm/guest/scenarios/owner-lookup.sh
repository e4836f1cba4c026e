#!/bin/sh
# The page owner table's designs in the guest, under TCG (bench/owner-lookup.c):
#   vm/mkinitramfs.sh build/initramfs-ol.cpio.gz build/owner-lookup
#   vm/run-vm.sh "$(vm/build-kernel.sh 7.3)" build/initramfs-ol.cpio.gz owner-lookup build/vm-ol 900
# The host's own figures come from build/owner-lookup there (make bench).
owner-lookup "${ol_runs:-7}"
