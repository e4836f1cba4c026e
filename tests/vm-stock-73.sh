#!/usr/bin/env bash
# The stock 7.3 group: tests/vm-stock.sh, which says what it runs.
exec "$(dirname "$0")/vm-stock.sh" 7.3
