#!/usr/bin/env bash
# The stock 6.1 group: tests/vm-stock.sh, which says what it runs.
exec "$(dirname "$0")/vm-stock.sh" 6.1
