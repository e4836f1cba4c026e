// SPDX-License-Identifier: GPL-2.0
/*
 * devmem-wl: device-memory workloads for the VM bench. Each one drives the
 * kernel's test_hmm driver (and gup_test) and prints on one line exactly
 * what it did, as key=value pairs, so a test can hold a trace against it.
 *
 * Exit status: 0 the workload did what it set out to, 1 it ran but the
 * kernel did something else (the line says what), 2 usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dmirror.h"
#include "hmm_uapi.h"

/* (a) device private: migrate, let the CPU fault the pages back, unmap. */
static int wl_private(int dev, size_t n)
{
	int fd = dmirror_open(dev);
	char *buf = buf_map(n);
	uint64_t migrated = dmirror_migrate(fd, HMM_DMIRROR_MIGRATE_TO_DEV, buf, n);
	size_t on_dev = pages_on_device(fd, buf, n), intact, left;

	midway();
	intact = buf_intact(buf, n);	/* each read faults a page back */
	left = pages_on_device(fd, buf, n);

	munmap(buf, n * page_size);
	close(fd);
	printf("wl=private pid=%d dev=%d npages=%zu migrated=%llu on_device=%zu faulted_back=%zu left_on_device=%zu intact=%zu\n",
	       getpid(), dev, n, (unsigned long long)migrated, on_dev,
	       on_dev - left, left, intact);
	return migrated == n && on_dev == n && left == 0 && intact == n ?
	       0 : EXIT_MISMATCH;
}

/*
 * Migrate n pages to device private memory, say where they are, then read
 * them back from the CPU page by page. A page that cannot leave the device
 * (test_hmm's leak_every: an extra reference) is faulted on forever: the
 * read never completes, and the task spins in and out of the fault until
 * it is killed (SIGKILL: the fault returns to user space each time). The
 * line comes first, so a test knows the buffer while the task spins.
 */
static int wl_spin(int dev, size_t n)
{
	int fd = dmirror_open(dev);
	char *buf = buf_map(n);
	uint64_t migrated = dmirror_migrate(fd, HMM_DMIRROR_MIGRATE_TO_DEV, buf, n);
	size_t on_dev = pages_on_device(fd, buf, n), intact, left;

	printf("wl=spin pid=%d dev=%d npages=%zu migrated=%llu on_device=%zu buf=%#lx\n",
	       getpid(), dev, n, (unsigned long long)migrated, on_dev, (unsigned long)buf);
	fflush(stdout);
	midway();
	intact = buf_intact(buf, n);	/* each read faults a page back, or spins */
	left = pages_on_device(fd, buf, n);
	munmap(buf, n * page_size);
	close(fd);
	printf("wl=spin pid=%d faulted_back=%zu left_on_device=%zu intact=%zu\n", getpid(),
	       on_dev - left, left, intact);
	return migrated == n && on_dev == n && left == 0 && intact == n ? 0 : EXIT_MISMATCH;
}

/* Device coherent pages read in place by the CPU, then unmapped. */
static int wl_coherent(int dev, size_t n)
{
	int fd = dmirror_open(dev);
	char *buf = buf_map(n);
	uint64_t migrated = dmirror_migrate(fd, HMM_DMIRROR_MIGRATE_TO_DEV, buf, n);
	size_t on_dev = pages_on_device(fd, buf, n), intact;

	midway();
	intact = buf_intact(buf, n);	/* coherent memory: no fault, no move */
	munmap(buf, n * page_size);
	close(fd);
	printf("wl=coherent pid=%d dev=%d npages=%zu migrated=%llu on_device=%zu intact=%zu\n",
	       getpid(), dev, n, (unsigned long long)migrated, on_dev, intact);
	return migrated == n && on_dev == n && intact == n ? 0 : EXIT_MISMATCH;
}

/* (b) device coherent, then a long-term pin, which must move it out. */
static int wl_longterm(int dev, size_t n)
{
	int fd = dmirror_open(dev), gup_fd;
	char *buf = buf_map(n);
	uint64_t migrated = dmirror_migrate(fd, HMM_DMIRROR_MIGRATE_TO_DEV, buf, n);
	size_t on_dev = pages_on_device(fd, buf, n), left, intact;
	struct gup_test gup = {
		.addr = (uintptr_t)buf,
		.size = n * page_size,
		.nr_pages_per_call = n,
		.gup_flags = GUP_FOLL_WRITE,
	};

	gup_fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	if (gup_fd < 0)
		die("/sys/kernel/debug/gup_test");
	if (ioctl(gup_fd, PIN_LONGTERM_BENCHMARK, &gup))
		die("PIN_LONGTERM_BENCHMARK");
	close(gup_fd);
	left = pages_on_device(fd, buf, n);
	intact = buf_intact(buf, n);
	munmap(buf, n * page_size);
	close(fd);
	printf("wl=longterm pid=%d dev=%d npages=%zu migrated=%llu on_device=%zu pinned=%zu moved_to_system=%zu left_on_device=%zu intact=%zu\n",
	       getpid(), dev, n, (unsigned long long)migrated, on_dev, n,
	       on_dev - left, left, intact);
	return migrated == n && on_dev == n && left == 0 && intact == n ?
	       0 : EXIT_MISMATCH;
}

/* (c) device coherent in a private mapping, fork, the parent writes. */
static int wl_cow(int dev, size_t n)
{
	int fd = dmirror_open(dev), to_child[2], to_parent[2], status;
	char *buf = buf_map(n);
	uint64_t migrated = dmirror_migrate(fd, HMM_DMIRROR_MIGRATE_TO_DEV, buf, n);
	size_t on_dev = pages_on_device(fd, buf, n), left, child_on_dev = 0, i;
	pid_t child;
	char go;

	if (pipe(to_child) || pipe(to_parent))
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		/* Wait for the parent's writes, then look at our own copy. */
		int cfd;

		if (read(to_child[0], &go, 1) != 1)
			_exit(EXIT_SETUP);
		cfd = dmirror_open(dev);
		child_on_dev = pages_on_device(cfd, buf, n);
		if (write(to_parent[1], &child_on_dev, sizeof(child_on_dev)) !=
		    sizeof(child_on_dev))
			_exit(EXIT_SETUP);
		_exit(0);
	}
	for (i = 0; i < n; i++)		/* one CoW fault per page */
		((volatile uint64_t *)(buf + i * page_size))[1] = pattern(i, 1);
	left = pages_on_device(fd, buf, n);
	if (write(to_child[1], "g", 1) != 1 ||
	    read(to_parent[0], &child_on_dev, sizeof(child_on_dev)) !=
	    sizeof(child_on_dev))
		die("pipe to child");
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("child");
	munmap(buf, n * page_size);
	close(fd);
	printf("wl=cow pid=%d child=%d dev=%d npages=%zu migrated=%llu on_device=%zu written=%zu cow_replaced=%zu left_on_device=%zu child_on_device=%zu\n",
	       getpid(), child, dev, n, (unsigned long long)migrated, on_dev,
	       n, on_dev - left, left, child_on_dev);
	return migrated == n && on_dev == n && left == 0 && child_on_dev == n ?
	       0 : EXIT_MISMATCH;
}

/* (d) migrate, then release the device's memory: its chunks are torn down. */
static int wl_release(int dev, size_t n)
{
	int fd = dmirror_open(dev);
	char *buf = buf_map(n);
	uint64_t migrated = dmirror_migrate(fd, HMM_DMIRROR_MIGRATE_TO_DEV, buf, n);
	size_t on_dev = pages_on_device(fd, buf, n), left, intact;

	dmirror_migrate(fd, HMM_DMIRROR_RELEASE, buf, n);
	left = pages_on_device(fd, buf, n);
	intact = buf_intact(buf, n);
	munmap(buf, n * page_size);
	close(fd);
	printf("wl=release pid=%d dev=%d npages=%zu migrated=%llu on_device=%zu evicted=%zu left_on_device=%zu intact=%zu\n",
	       getpid(), dev, n, (unsigned long long)migrated, on_dev,
	       on_dev - left, left, intact);
	return migrated == n && on_dev == n && left == 0 && intact == n ?
	       0 : EXIT_MISMATCH;
}

/*
 * Months of a driver making and dropping device memory, compressed: each
 * cycle migrates n pages to the device, which makes a new chunk (a new
 * pgmap, memremap_pages()) the first time after a release, then releases
 * the device's memory (memunmap_pages(): the pgmap is destroyed, its
 * pages evicted to system memory). One line at the end, with the totals.
 * DEVMEM_WL_MIN_MS: go on past the cycles asked for until this long has
 * passed, so that a fast machine still runs as long as a check needs; the
 * line counts the cycles run.
 */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int wl_cycles(int dev, size_t n, size_t cycles)
{
	const char *env = getenv("DEVMEM_WL_MIN_MS");
	uint64_t until = now_ns() + (env ? strtoull(env, NULL, 10) : 0) * 1000000ull;
	int fd = dmirror_open(dev);
	char *buf = buf_map(n);
	uint64_t migrated = 0;
	size_t c, on_dev = 0, left = 0, bad = 0;

	for (c = 0; c < cycles || now_ns() < until; c++) {
		size_t here, after;

		/* a page busy in an LRU batch is skipped: retried, as a driver would */
		migrated += migrate_all(fd, HMM_DMIRROR_MIGRATE_TO_DEV, buf, n);
		here = pages_on_device(fd, buf, n);
		dmirror_migrate(fd, HMM_DMIRROR_RELEASE, buf, n);
		after = pages_on_device(fd, buf, n);
		on_dev += here;
		left += after;
		bad += here != n || after;
	}
	munmap(buf, n * page_size);
	close(fd);
	printf("wl=cycles pid=%d dev=%d npages=%zu cycles=%zu migrated=%llu on_device=%zu evicted=%zu left_on_device=%zu bad_cycles=%zu\n",
	       getpid(), dev, n, c, (unsigned long long)migrated, on_dev, on_dev - left,
	       left, bad);
	return migrated == n * c && !bad ? 0 : EXIT_MISMATCH;
}

/* Migrate-heavy loop: n pages to device private memory and back, rounds times. */
static int wl_bench(int dev, size_t n, size_t rounds)
{
	int fd = dmirror_open(dev);
	char *buf = buf_map(n);
	uint64_t moved = 0, t0 = now_ns(), t1;
	size_t r;

	for (r = 0; r < rounds; r++) {
		moved += dmirror_migrate(fd, HMM_DMIRROR_MIGRATE_TO_DEV, buf, n);
		moved += dmirror_migrate(fd, HMM_DMIRROR_MIGRATE_TO_SYS, buf, n);
	}
	t1 = now_ns();
	munmap(buf, n * page_size);
	close(fd);
	printf("wl=bench pid=%d dev=%d npages=%zu rounds=%zu pages_moved=%llu elapsed_ns=%llu\n",
	       getpid(), dev, n, rounds, (unsigned long long)moved,
	       (unsigned long long)(t1 - t0));
	return moved == 2 * n * rounds ? 0 : EXIT_MISMATCH;
}

/*
 * Many CPUs at once: ntasks processes, task i on device i % 2, each
 * migrating its own n pages to device private memory and back rounds
 * times, then once more to the device and faulted back by the CPU.
 * Processes, not threads of one process: test_hmm mirrors a whole mm per
 * open file, so threads of one mm see each other's invalidations in their
 * snapshots, and the workload could no longer say exactly what it moved.
 */
struct task_job {
	int dev;
	pid_t pid;
	uint64_t to_device, to_system, faulted;
	size_t intact;
};

static void task_run(struct task_job *j, size_t n, size_t rounds, pthread_barrier_t *start,
		     pthread_barrier_t *done)
{
	int fd = dmirror_open(j->dev);
	char *buf = buf_map(n);
	size_t r, left;

	pthread_barrier_wait(start);	/* every task in the kernel together */
	for (r = 0; r < rounds; r++) {
		j->to_device += migrate_all(fd, HMM_DMIRROR_MIGRATE_TO_DEV, buf, n);
		j->to_system += migrate_all(fd, HMM_DMIRROR_MIGRATE_TO_SYS, buf, n);
	}
	j->to_device += migrate_all(fd, HMM_DMIRROR_MIGRATE_TO_DEV, buf, n);
	left = pages_on_device(fd, buf, n);
	j->intact = buf_intact(buf, n);	/* faults every page back */
	j->faulted = left - pages_on_device(fd, buf, n);
	/*
	 * test_hmm's release of a device file evicts every page of the device
	 * (dmirror_fops_release), the other tasks' too: a task closing while
	 * another still migrates would move that task's pages back behind its
	 * back, and the kernel's counts could no longer be the workload's.
	 */
	pthread_barrier_wait(done);
	munmap(buf, n * page_size);
	close(fd);
}

static int wl_parallel(size_t n, size_t rounds, size_t ntasks)
{
	struct shared {
		pthread_barrier_t start, done;
		struct task_job jobs[];
	} *sh = mmap(NULL, sizeof(*sh) + ntasks * sizeof(sh->jobs[0]), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t to_dev = 0, to_sys = 0, faulted = 0;
	pthread_barrierattr_t attr;
	size_t i, intact = 0;
	int status, ok = 1;

	if (sh == MAP_FAILED || pthread_barrierattr_init(&attr) ||
	    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) ||
	    pthread_barrier_init(&sh->start, &attr, ntasks) ||
	    pthread_barrier_init(&sh->done, &attr, ntasks))
		die("parallel");
	for (i = 0; i < ntasks; i++) {
		pid_t pid;

		sh->jobs[i].dev = i % 2;
		pid = fork();	/* the child must not write 0 over the parent's pid */
		if (pid < 0)
			die("fork");
		if (!pid) {
			task_run(&sh->jobs[i], n, rounds, &sh->start, &sh->done);
			_exit(0);
		}
		sh->jobs[i].pid = pid;
	}
	printf("wl=parallel pid=%d npages=%zu rounds=%zu tasks=%zu cpus=%ld pids=",
	       getpid(), n, rounds, ntasks, sysconf(_SC_NPROCESSORS_ONLN));
	/*
	 * A task that fails never reaches the barriers: the others would wait
	 * for it for good. Kill them, so a failure is a failure, not a hang.
	 */
	for (i = 0; i < ntasks; i++) {
		pid_t pid = waitpid(-1, &status, 0);
		size_t k;

		if (pid > 0 && WIFEXITED(status) && !WEXITSTATUS(status))
			continue;
		ok = 0;
		for (k = 0; k < ntasks; k++)
			kill(sh->jobs[k].pid, SIGKILL);
	}
	for (i = 0; i < ntasks; i++) {
		to_dev += sh->jobs[i].to_device;
		to_sys += sh->jobs[i].to_system;
		faulted += sh->jobs[i].faulted;
		intact += sh->jobs[i].intact;
		printf("%s%d", i ? "," : "", (int)sh->jobs[i].pid);
	}
	printf(" to_device=%llu to_system=%llu faulted=%llu intact=%zu\n",
	       (unsigned long long)to_dev, (unsigned long long)to_sys,
	       (unsigned long long)faulted, intact);
	return ok && to_dev == ntasks * n * (rounds + 1) && to_sys == ntasks * n * rounds &&
	       faulted == ntasks * n && intact == ntasks * n ? 0 : EXIT_MISMATCH;
}

/*
 * GPU scale: n pages live in device private memory at once, moved there
 * in batches (test_hmm copies what it moved to a bounce buffer of the
 * batch's size), held through DEVMEM_WL_MIDWAY, then unmapped: the
 * device pages are freed without coming back.
 */
static int wl_hold(int dev, size_t n)
{
	const size_t batch = 4096;
	int fd = dmirror_open(dev);
	char *buf = mmap(NULL, n * page_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *mirror = malloc(batch * page_size);
	uint64_t migrated = 0;
	size_t i, on_dev = 0;

	if (buf == MAP_FAILED || !mirror)
		die("mmap");
	for (i = 0; i < n; i++)		/* touch: migration skips empty pages */
		buf[i * page_size] = (char)i | 1;
	for (i = 0; i < n; i += batch) {
		size_t k = n - i < batch ? n - i : batch;

		migrated += dmirror_cmd(fd, HMM_DMIRROR_MIGRATE_TO_DEV, buf + i * page_size,
					mirror, k);
	}
	for (i = 0; i < n; i += batch) {
		size_t k = n - i < batch ? n - i : batch;

		on_dev += pages_on_device(fd, buf + i * page_size, k);
	}
	printf("held pid=%d dev=%d npages=%zu migrated=%llu on_device=%zu\n",
	       getpid(), dev, n, (unsigned long long)migrated, on_dev);
	midway();
	munmap(buf, n * page_size);
	free(mirror);
	close(fd);
	printf("wl=hold pid=%d dev=%d npages=%zu migrated=%llu on_device=%zu\n",
	       getpid(), dev, n, (unsigned long long)migrated, on_dev);
	return migrated == n && on_dev == n ? 0 : EXIT_MISMATCH;
}

/*
 * A driver-like late free: npages to the device, then a child that keeps
 * the mapping (fork shares the device pages) and the device fd for
 * DEVMEM_WL_LINGER_MS (default 1500) after this process has exited (timed
 * from its reparenting), then
 * unmaps them. The pages are freed by the child, after the parent is gone.
 */
static int wl_linger(int dev, size_t n)
{
	const char *env = getenv("DEVMEM_WL_LINGER_MS");
	long ms = env ? atol(env) : 1500;
	int fd = dmirror_open(dev);
	char *buf = buf_map(n);
	uint64_t migrated = dmirror_migrate(fd, HMM_DMIRROR_MIGRATE_TO_DEV, buf, n);
	size_t on_dev = pages_on_device(fd, buf, n);
	pid_t child, parent = getpid();

	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		/* The linger starts once the parent is gone (we are reparented). */
		while (getppid() == parent)
			usleep(10000);
		/* No test_hmm command here: the mirror belongs to the parent's mm. */
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		munmap(buf, n * page_size);
		close(fd);
		printf("lingered pid=%d ms=%ld\n", getpid(), ms);
		_exit(0);
	}
	printf("wl=linger pid=%d child=%d dev=%d npages=%zu migrated=%llu on_device=%zu linger_ms=%ld\n",
	       getpid(), child, dev, n, (unsigned long long)migrated, on_dev, ms);
	return migrated == n && on_dev == n ? 0 : EXIT_MISMATCH;
}

/*
 * Transparent huge pages: nthp 2 MiB-aligned THPs (MADV_HUGEPAGE), to the
 * device and faulted back. Since Linux 6.19 test_hmm migrates them whole
 * (MIGRATE_VMA_SELECT_COMPOUND) into large device private folios; before,
 * as 512 pages each. Either way every count is in pages. dev 2 or 3 makes
 * it device coherent memory instead.
 */
static int wl_thp(int dev, size_t nthp)
{
	const size_t huge = 2ul << 20, n = nthp * (huge / page_size);
	int fd = dmirror_open(dev);
	char *raw = mmap(NULL, nthp * huge + huge, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *buf;
	uint64_t migrated;
	size_t on_dev, intact, left, i, w, words = page_size / sizeof(uint64_t);

	if (raw == MAP_FAILED)
		die("mmap");
	buf = (char *)(((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1));
	if (madvise(buf, nthp * huge, MADV_HUGEPAGE))
		die("madvise(MADV_HUGEPAGE)");
	for (i = 0; i < n; i++)
		for (w = 0; w < words; w++)
			((uint64_t *)(buf + i * page_size))[w] = pattern(i, w);
	migrated = migrate_all(fd, HMM_DMIRROR_MIGRATE_TO_DEV, buf, n);
	on_dev = pages_on_device(fd, buf, n);
	midway();
	intact = buf_intact(buf, n);	/* private: faults them back */
	if (dev >= 2)	/* coherent memory is read in place: bring it back */
		migrate_all(fd, HMM_DMIRROR_MIGRATE_TO_SYS, buf, n);
	left = pages_on_device(fd, buf, n);
	munmap(raw, nthp * huge + huge);
	close(fd);
	printf("wl=thp pid=%d dev=%d nthp=%zu npages=%zu migrated=%llu on_device=%zu back=%zu intact=%zu\n",
	       getpid(), dev, nthp, n, (unsigned long long)migrated, on_dev, on_dev - left,
	       intact);
	return migrated == n && on_dev == n && left == 0 && intact == n ? 0 : EXIT_MISMATCH;
}

static const struct workload {
	const char *name;
	int default_dev;
	const char *what;
	int (*run)(int dev, size_t npages);
} workloads[] = {
	{ "private",  0, "migrate to device private memory, fault back, unmap", wl_private },
	{ "longterm", 2, "migrate to device coherent memory, pin long term",    wl_longterm },
	{ "cow",      2, "device coherent private mapping, fork, write (CoW)",  wl_cow },
	{ "release",  1, "migrate, then release the device's memory chunks",    wl_release },
	{ "coherent", 2, "migrate to device coherent memory, read in place, unmap", wl_coherent },
	{ "hold",     0, "migrate in batches, hold all at once, unmap",         wl_hold },
	{ "thp",      0, "NPAGES is a number of 2 MiB THPs: to the device, fault back", wl_thp },
	{ "spin",     0, "to the device, print the buffer, read back (spins on a page that cannot leave)", wl_spin },
	{ "linger",   0, "to the device, exit; a child keeps them 1.5 s (DEVMEM_WL_LINGER_MS)", wl_linger },
};

static size_t parse_count(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || !v || v > (1ul << 20)) {
		fprintf(stderr, "devmem-wl: bad count '%s'\n", s);
		exit(EXIT_SETUP);
	}
	return v;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: devmem-wl WORKLOAD NPAGES [DEV]\n"
		   "       devmem-wl bench NPAGES ROUNDS [DEV]\n"
		   "       devmem-wl parallel NPAGES ROUNDS NTASKS\n"
		   "       devmem-wl cycles NPAGES CYCLES [DEV]\n\nworkloads:\n");
	for (i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
		fprintf(f, "  %-9s %s (default DEV %d)\n", workloads[i].name,
			workloads[i].what, workloads[i].default_dev);
	fprintf(f, "  %-9s %s (default DEV 0)\n", "bench",
		"migrate NPAGES to device private memory and back, ROUNDS times");
	fprintf(f, "  %-9s %s (default DEV 1)\n", "cycles",
		"CYCLES times (more until DEVMEM_WL_MIN_MS passed): NPAGES to the device\n"
		"            (a new pgmap), then release its memory");
	fprintf(f, "  %-9s %s\n", "parallel",
		"NTASKS processes on devices 0 and 1 at once: ROUNDS round trips\n"
		"            of NPAGES each, then to the device and faulted back");
	fprintf(f, "\nexample: devmem-wl private 64\n");
}

int main(int argc, char **argv)
{
	size_t i;

	page_size = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "parallel"))
		return wl_parallel(parse_count(argv[2]), parse_count(argv[3]),
				   parse_count(argv[4]));
	if (argc >= 4 && !strcmp(argv[1], "cycles"))
		return wl_cycles(argc > 4 ? atoi(argv[4]) : 1,
				 parse_count(argv[2]), parse_count(argv[3]));
	if (argc >= 4 && !strcmp(argv[1], "bench"))
		return wl_bench(argc > 4 ? atoi(argv[4]) : 0,
				parse_count(argv[2]), parse_count(argv[3]));
	for (i = 0; argc >= 3 && i < sizeof(workloads) / sizeof(workloads[0]); i++)
		if (!strcmp(argv[1], workloads[i].name))
			return workloads[i].run(argc > 3 ? atoi(argv[3]) :
						workloads[i].default_dev,
						parse_count(argv[2]));
	usage(stderr);
	return EXIT_SETUP;
}
