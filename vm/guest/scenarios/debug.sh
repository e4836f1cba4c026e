#!/bin/sh
DEVMEM_DEBUG=1 devmemtop -j -d 0.5 -n 1 --attach=tracepoint 2>&1 | tail -40
DEVMEM_DEBUG=1 devmemtop -j -d 0.5 -n 1 --attach=fentry 2>&1 | tail -20
