// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The rows of the option table (options.h) and what each tool is. Add an
 * option here and to enum devmem_opt; the tool's switch then handles it.
 */
#include "options.h"

/* A row leaves out the fields it does not need: no default, not an alias. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define TOP	DEVMEM_TOOL_TOP
#define REC	DEVMEM_TOOL_REC
#define REPORT	DEVMEM_TOOL_REPORT
#define LEAK	DEVMEM_TOOL_LEAK
#define ALL	(TOP | REC | REPORT | LEAK)
#define LIVE	(TOP | REC | LEAK)	/* the tools that load BPF programs */
#define PORT_STR(p)	#p
#define PORT_TEXT(p)	PORT_STR(p)

const struct devmem_option devmem_options[] = {
	{ DEVMEM_OPT_PID, 'p', "pid", DEVMEM_ARG_COUNT, "PID", TOP,
	  "only events caused by PID, and the frees of its pages; this takes a "
	  "record per event instead of totals in the kernel" },
	{ DEVMEM_OPT_PID, 'p', "pid", DEVMEM_ARG_COUNT, "PID", REC,
	  "only events caused by PID" },
	{ DEVMEM_OPT_PGMAP, 0, "pgmap", DEVMEM_ARG_WORD, "PGMAP", TOP | REC,
	  "only this pgmap: its name (test_hmm/hmm_dmirror#0), its physical "
	  "start, or its kernel address" },
	{ DEVMEM_OPT_ATTACH, 0, "attach", DEVMEM_ARG_WORD, "MODE", LIVE,
	  "tracepoint (the devmem tracepoints of the devmemscope kernel series), "
	  "fentry or kprobe (stock kernels), or auto: the first of these that loads", "auto" },
	{ DEVMEM_OPT_RINGBUF, 0, "ringbuf", DEVMEM_ARG_BYTES, "BYTES", LIVE,
	  "ring buffer size, a power of 2 of at least 4K (K, M, G suffixes)",
	  "8M" },
	{ DEVMEM_OPT_RAW_ADDRESSES, 0, "raw-addresses", DEVMEM_ARG_NONE, NULL,
	  TOP | REPORT | LEAK,
	  "also show kernel addresses: pgmaps and their owner cookies" },
	{ DEVMEM_OPT_STALL, 0, "stall", DEVMEM_ARG_SECONDS, "SEC", TOP | REPORT | LEAK,
	  "a pgmap teardown (memunmap_pages()) that waits this long is stalled",
	  "10" },

	{ DEVMEM_OPT_BATCH, 'b', "batch", DEVMEM_ARG_NONE, NULL, TOP,
	  "plain text reports, no screen handling" },
	{ DEVMEM_OPT_JSON, 'j', "json", DEVMEM_ARG_NONE, NULL, TOP,
	  "batch mode, one JSON document per interval" },
	{ DEVMEM_OPT_JSON, 'j', "json", DEVMEM_ARG_NONE, NULL, REPORT,
	  "the report as one JSON document" },
	{ DEVMEM_OPT_JSON, 'j', "json", DEVMEM_ARG_NONE, NULL, LEAK,
	  "the report as one JSON document: verdict, exit status, leak groups "
	  "with their stacks, lost events and why there is no verdict" },
	{ DEVMEM_OPT_DELAY, 'd', "delay", DEVMEM_ARG_SECONDS, "SEC", TOP,
	  "the interval between reports", "1" },
	{ DEVMEM_OPT_ITERATIONS, 'n', "iterations", DEVMEM_ARG_COUNT, "N", TOP,
	  "stop after N intervals", "until interrupted" },
	{ DEVMEM_OPT_MAXROWS, 'r', "maxrows", DEVMEM_ARG_COUNT, "N", TOP,
	  "at most N rows per table on screen and in text (JSON has all)" },
	{ DEVMEM_OPT_SORT, 's', "sort", DEVMEM_ARG_WORD, "COLUMN", TOP,
	  "sort by this column: a pgmap one (LIVE, FILL, FAULTS, ...) or a "
	  "process one (HELD, ...)", "LIVE and HELD" },
	{ DEVMEM_OPT_LISTEN, 0, "web.listen-address", DEVMEM_ARG_WORD, "ADDR:PORT", TOP,
	  "serve Prometheus metrics at /metrics (node_exporter's flag); :PORT is "
	  "127.0.0.1, every address must be named (0.0.0.0:PORT, [::]:PORT); no "
	  "screen: add -b or -j to print reports as well" },
	{ DEVMEM_OPT_LISTEN, 0, "listen", DEVMEM_ARG_WORD, "ADDR:PORT", TOP,
	  "the old name of --web.listen-address", NULL, true },
	{ DEVMEM_OPT_WEB_CONFIG, 0, "web.config.file", DEVMEM_ARG_FILE, "FILE", TOP,
	  "TLS and basic auth for that endpoint, in Prometheus exporter-toolkit's "
	  "web configuration format" },
	{ DEVMEM_OPT_TEXTFILE, 0, "textfile", DEVMEM_ARG_FILE, "FILE", TOP,
	  "write the metrics to FILE every interval, atomically, for "
	  "node_exporter's textfile collector (name it *.prom)" },
	{ DEVMEM_OPT_METRICS_MAX_PROCS, 0, "metrics-max-procs", DEVMEM_ARG_COUNT, "N", TOP,
	  "processes with series of their own, most held pages first; the rest "
	  "add up in comm=\"other\"", "50" },
	{ DEVMEM_OPT_KEEP_EXITED, 0, "keep-exited", DEVMEM_ARG_NONE, NULL, TOP,
	  "keep the rows of exited processes that hold no pages (otherwise they "
	  "go once shown exited); at most 4096 processes are counted then" },
	{ DEVMEM_OPT_NO_WALK, 0, "no-walk", DEVMEM_ARG_NONE, NULL, TOP,
	  "do not walk the pgmaps' struct pages at start (the walk counts what "
	  "was out before devmemtop started)" },
	{ DEVMEM_OPT_WALK_FOLIOS, 0, "walk-folios", DEVMEM_ARG_COUNT, "N", TOP,
	  "folios that walk lists per pgmap", "64" },
	{ DEVMEM_OPT_STUCK_AFTER, 0, "stuck-after", DEVMEM_ARG_SECONDS, "SEC", TOP,
	  "a CPU fault on a device page that repeats without progress this long "
	  "is stuck", "1" },

	{ DEVMEM_OPT_OUTPUT, 'o', "output", DEVMEM_ARG_FILE, "FILE", REC,
	  "the trace file, created 0600; it must be new or a regular file "
	  "(truncated); one that cannot be created exits 9 before anything loads" },
	{ DEVMEM_OPT_DURATION, 0, "duration", DEVMEM_ARG_SECONDS, "SEC", REC,
	  "stop after SEC", "until interrupted, or COMMAND ends" },
	{ DEVMEM_OPT_NO_STACKS, 0, "no-stacks", DEVMEM_ARG_NONE, NULL, REC,
	  "record no allocation stacks (otherwise one per call site)" },

	{ DEVMEM_OPT_INPUT, 'i', "input", DEVMEM_ARG_FILE, "FILE", LEAK,
	  "judge a devmemrec trace instead of running a command" },
	{ DEVMEM_OPT_SETTLE, 0, "settle", DEVMEM_ARG_SECONDS, "SEC", LEAK,
	  "after COMMAND exits, wait at most SEC for its pages to come back",
	  "10" },
	{ DEVMEM_OPT_QUIET, 0, "quiet", DEVMEM_ARG_SECONDS, "SEC", LEAK,
	  "after COMMAND exits, stop waiting once no page came back for SEC and "
	  "its processes are gone",
	  "0.5" },
	{ DEVMEM_OPT_TIMEOUT, 0, "timeout", DEVMEM_ARG_SECONDS, "SEC", LEAK,
	  "stop waiting for COMMAND after SEC: stuck in a pgmap teardown, the "
	  "pages it waits for are the verdict; otherwise no verdict",
	  "no limit" },
	{ DEVMEM_OPT_ERROR_EXITCODE, 0, "error-exitcode", DEVMEM_ARG_COUNT, "N", LEAK,
	  "exit status for leaks, 1 to 255", "23" },
	{ DEVMEM_OPT_SUPPRESS, 0, "suppress", DEVMEM_ARG_FILE, "FILE", LEAK,
	  "leaks whose stack contains a line of FILE do not count" },
	{ DEVMEM_OPT_JUNIT, 0, "junit", DEVMEM_ARG_FILE, "FILE", LEAK,
	  "also write the verdict as JUnit XML" },
	{ DEVMEM_OPT_LOG_FILE, 0, "log-file", DEVMEM_ARG_FILE, "FILE", LEAK,
	  "write the report to FILE (created 0600) instead of stderr; stdout is "
	  "COMMAND's alone either way" },
	{ DEVMEM_OPT_FOLDED, 0, "folded", DEVMEM_ARG_FILE, "FILE", LEAK,
	  "also write the leaked pages' stacks, folded for flame graphs" },
	{ DEVMEM_OPT_FOLDED, 0, "folded", DEVMEM_ARG_FILE, "FILE", REPORT,
	  "also write the pages by kernel stack, folded for flame graphs; "
	  "FILE - is stdout, instead of the report" },

	{ DEVMEM_OPT_CSV, 0, "csv", DEVMEM_ARG_NONE, NULL, REPORT,
	  "the per-pgmap and per-process tables as CSV" },
	{ DEVMEM_OPT_EVENTS, 0, "events", DEVMEM_ARG_NONE, NULL, REPORT,
	  "print every record instead, one line each in time order, as perf "
	  "script does: comm pid/tid [cpu] seconds.microseconds: event: fields" },
	{ DEVMEM_OPT_STACKS, 0, "stacks", DEVMEM_ARG_NONE, NULL, REPORT,
	  "with --events, the allocation stack below each line that has one" },
	{ DEVMEM_OPT_PERFETTO, 0, "perfetto", DEVMEM_ARG_FILE, "FILE", REPORT,
	  "also write Chrome trace JSON for ui.perfetto.dev" },
	{ DEVMEM_OPT_SVG, 0, "svg", DEVMEM_ARG_FILE, "FILE", REPORT,
	  "also plot live pages per pgmap over time as SVG" },
	{ DEVMEM_OPT_LIMIT, 0, "limit", DEVMEM_ARG_COUNT, "N", REPORT,
	  "lines per listing", "20" },
	{ DEVMEM_OPT_SALVAGE, 0, "salvage", DEVMEM_ARG_NONE, NULL, REPORT,
	  "skip damaged chunks instead of refusing the file, name the skipped "
	  "byte ranges on stderr and report the rest" },

	{ DEVMEM_OPT_HELP, 'h', "help", DEVMEM_ARG_NONE, NULL, ALL,
	  "print this help and exit" },
	{ DEVMEM_OPT_VERSION, 'V', "version", DEVMEM_ARG_NONE, NULL, ALL,
	  "print the release and the trace formats it reads and writes, and exit" },
	{ DEVMEM_OPT_VERBOSE, 'v', "verbose", DEVMEM_ARG_NONE, NULL, LIVE,
	  "say which attach modes were tried and why each failed, with libbpf's "
	  "warnings; twice (-vv) adds libbpf's debug messages, the verifier's log "
	  "included" },
};

const unsigned int devmem_nr_options = sizeof(devmem_options) / sizeof(devmem_options[0]);

const struct devmem_tool_doc devmem_tool_docs[] = {
	{ TOP, "devmemtop",
	  "live view of device memory: pgmaps, pages, migrations, faults",
	  { "[options] [interval [count]]" },
	  "Live view of device memory (ZONE_DEVICE private and coherent pages):\n"
	  "pgmaps with their live pages and migrations, the processes behind them,\n"
	  "teardowns that wait and faults that spin. Or a Prometheus exporter.",
	  "Keys: 1 pgmaps view, 2 processes view, < > sort column, p pause,\n"
	  "      + - interval, f filter by pid, g filter by pgmap, q quit.",
	  { { "devmemtop", "full screen, 1 s refresh" },
	    { "devmemtop -b 5 3", "three text reports, 5 s apart" },
	    { "devmemtop -j -p 1234", "JSON for what process 1234 does" },
	    { "devmemtop --attach=kprobe", "on a kernel without the devmem tracepoints" },
	    { "devmemtop --web.listen-address :" PORT_TEXT(DEVMEM_EXPORTER_PORT) " --web.config.file web.yml",
	      "a Prometheus exporter on loopback, with TLS and basic auth" } } },
	{ REC, "devmemrec",
	  "record what device memory does to a trace file",
	  { "-o FILE [options] [-- COMMAND [ARGS...]]" },
	  "Record device memory events to FILE until interrupted, for --duration,\n"
	  "or while COMMAND runs. If a write fails (disk full), the file is cut\n"
	  "back to its last whole chunk, recording stops and devmemrec exits 9;\n"
	  "COMMAND runs on, unrecorded. devmemreport and devmemleak -i read FILE.",
	  NULL,
	  { { "devmemrec -o run.dmt -- ./gpu-job --size 4G", "record one job" },
	    { "devmemrec -o idle.dmt --duration 60", "a minute of the whole machine" },
	    { "devmemrec -o gpu0.dmt --pgmap test_hmm/hmm_dmirror#0 -- ./gpu-job",
	      "one pgmap's events" } } },
	{ REPORT, "devmemreport",
	  "report on a devmemrec trace file",
	  { "[options] FILE" },
	  "Summary, per-pgmap and per-process tables of a devmemrec trace, the\n"
	  "long-term migration and CoW listings, a timeline and what was still\n"
	  "out at the end. A teardown (memunmap_pages()) that had not ended when\n"
	  "the recording did is shown with the task that waits and the pages it\n"
	  "waits for. It loads nothing into the kernel and needs no privileges.",
	  NULL,
	  { { "devmemreport run.dmt", "the text report" },
	    { "devmemreport --json run.dmt | jq .pgmaps", "the pgmaps, as JSON" },
	    { "devmemreport --folded - run.dmt | flamegraph.pl >pages.svg",
	      "pages by stack, as a flame graph" },
	    { "devmemreport --events --stacks run.dmt", "every record, as perf script prints" } } },
	{ LEAK, "devmemleak",
	  "fail a command that leaks device pages or pgmap references",
	  { "[options] -- COMMAND [ARGS...]", "[options] -i FILE" },
	  "Report every device page handed out and never freed, and every pgmap\n"
	  "reference taken and never put, by COMMAND and its descendants (or in a\n"
	  "devmemrec trace), grouped by allocation stack with pid, comm, count and\n"
	  "age. Pages other processes hold are shown apart and never fail the run.\n"
	  "The report goes to stderr (or --log-file): stdout is COMMAND's alone.",
	  NULL,
	  { { "devmemleak --junit leaks.xml -- ./gpu-tests --quick", "a CI gate" },
	    { "devmemleak --json --log-file leaks.json -- ./gpu-tests >results.json",
	      "the verdict as JSON, apart from the tests' own output" },
	    { "devmemleak --timeout 60 -- rmmod my_gpu_driver",
	      "name the pages a hung teardown waits for" } } },
};

const unsigned int devmem_nr_tool_docs = sizeof(devmem_tool_docs) / sizeof(devmem_tool_docs[0]);
