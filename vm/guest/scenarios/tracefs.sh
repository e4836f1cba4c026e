#!/bin/sh
# Each bench workload under tracefs alone; the host checks the counts.
. /scenarios/lib.sh
run_traced private devmem-wl private 64 0
run_traced longterm devmem-wl longterm 32 2
run_traced cow devmem-wl cow 16 2
run_traced release-private devmem-wl release 8 1
run_traced release-coherent devmem-wl release 8 3
exit 0
