// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Full-screen mode: drawing and keys only; data comes from struct top. */
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "devmemtop.h"

static void draw_row(int y, const struct column *cols, size_t n, const void *row, int width)
{
	char buf[64];
	size_t i;
	int x = 0;

	for (i = 0; i < n && x < width; i++) {
		column_fmt(&cols[i], buf, sizeof(buf), row);
		mvprintw(y, x, i ? " %*s" : "%-*s", cols[i].width, buf);
		x += cols[i].width + (i ? 1 : 0);
	}
}

static void draw_header(int y, const struct column *cols, size_t n, size_t sorted)
{
	size_t i;
	int x = 0;

	attron(A_REVERSE);
	mvhline(y, 0, ' ', COLS);
	for (i = 0; i < n; i++) {
		if (i == sorted)
			attron(A_BOLD | A_UNDERLINE);
		mvprintw(y, x, i ? " %*s" : "%-*s", cols[i].width, cols[i].name);
		if (i == sorted)
			attroff(A_BOLD | A_UNDERLINE);
		x += cols[i].width + (i ? 1 : 0);
	}
	attroff(A_REVERSE);
}

static void draw(struct top *t, const char *prompt)
{
	char pgmap[24];
	int64_t live = 0;
	size_t i, n;
	int y = 3;

	erase();
	for (i = 0; i < t->st.nr_pgmaps; i++)
		if (!t->st.pgmaps[i].destroyed)
			live += devmem_pgmap_live(&t->st.pgmaps[i]);
	mvprintw(0, 0, "devmemtop  kernel %s  mode %s  interval %.1fs%s", t->kernel,
		 devmem_mode_name(t->sess.mode), t->interval_s, t->paused ? "  [PAUSED]" : "");
	mvprintw(1, 0, "pgmaps %zu  live device pages %lld (%.1f MiB)  events %llu (%.1f/s)  lost %llu",
		 t->st.nr_pgmaps, (long long)live, live * 4096.0 / (1 << 20),
		 (unsigned long long)t->st.events, t->st.event_rate,
		 (unsigned long long)total_drops(t));
	if (!t->filter_name[0])
		snprintf(pgmap, sizeof(pgmap), "%#llx", (unsigned long long)t->filter_pgmap);
	mvprintw(2, 0, "view: %s  sort: %s  filter: pid %u pgmap %s%s%s",
		 t->view == VIEW_PGMAPS ? "[1]pgmaps  2 processes" : "1 pgmaps  [2]processes",
		 t->view == VIEW_PGMAPS ? pgmap_columns[t->sort_col[VIEW_PGMAPS]].name :
					  proc_columns[t->sort_col[VIEW_PROCS]].name,
		 t->filter_pid, t->filter_name[0] ? t->filter_name : pgmap,
		 t->sess.unavailable[0] ? "  not seen: " : "", t->sess.unavailable);
	/* Stuck faults first: they are what someone has to act on. */
	for (i = 0; i < t->spins.n && t->spins.v[i].state == DEVMEM_SPIN_STUCK && y < LINES - 3; i++) {
		char line[256];

		attron(A_BOLD | A_REVERSE);
		mvprintw(y++, 0, "%.*s", COLS, devmem_stuck_text(&t->spins.v[i], &t->st, line,
								  sizeof(line)));
		attroff(A_BOLD | A_REVERSE);
	}
	if (t->view == VIEW_PGMAPS) {
		const struct devmem_pgmap_row **rows;

		draw_header(y++, pgmap_columns, pgmap_columns_shown(), t->sort_col[VIEW_PGMAPS]);
		n = sorted_pgmaps(t, &rows);
		for (i = 0; i < n && y < LINES - 1 && (!t->max_rows || i < t->max_rows); i++, y++) {
			draw_row(y, pgmap_columns, pgmap_columns_shown(), rows[i], COLS);
			if (pgmap_mismatch(t, rows[i]))
				printw(" !live");
			else if (rows[i]->live_pending)
				printw(" ~live");
		}
		free(rows);
	} else {
		const struct devmem_proc_row **rows;

		draw_header(y++, proc_columns, nr_proc_columns, t->sort_col[VIEW_PROCS]);
		n = sorted_procs(t, &rows);
		for (i = 0; i < n && y < LINES - 1 && (!t->max_rows || i < t->max_rows); i++, y++) {
			if (rows[i]->exited)
				attron(A_DIM);
			draw_row(y, proc_columns, nr_proc_columns, rows[i], COLS);
			if (rows[i]->exited) {
				printw(" exited");
				attroff(A_DIM);
			}
		}
		free(rows);
	}
	/* Teardowns that wait: what for, and who holds it (docs/teardown.md). */
	for (i = 0; i < t->nr_td && y < LINES - 2; i++) {
		const struct teardown_report *r = &t->td[i];
		char label[3 * DEVMEM_NAME_LEN], st[64];

		if (i == 0)
			y++;
		if (r->stalled)
			attron(A_BOLD);
		pgmap_short_name(&t->st.pgmaps[t->td_row[i]], label, sizeof(label));
		mvprintw(y++, 0, "teardown %s: %s, %lld pages out; task %u (%s)%s", label,
			 teardown_state(r, st, sizeof(st)), (long long)r->outstanding,
			 r->task.pid, r->task_known ? r->task.comm : "?",
			 r->nr_holders ? "; held by:" : "");
		for (n = 0; n < r->nr_holders && n < 3; n++)
			printw(" %u (%s%s) %llu", r->holders[n].pid, r->holders[n].comm,
			       r->holders[n].exited > 0 ? ", exited" : "",
			       (unsigned long long)r->holders[n].pages);
		if (r->stalled)
			attroff(A_BOLD);
	}
	mvprintw(LINES - 1, 0, "%s", prompt ? prompt :
		 "1/2 view  </> sort  p pause  +/- interval  f pid  g pgmap  q quit");
	refresh();
}

/* Read a number at the bottom line; 0 clears the filter. */
static uint64_t ask(struct top *t, const char *what)
{
	char buf[32] = "";

	draw(t, what);
	echo();
	nocbreak();
	timeout(-1);
	mvgetnstr(LINES - 1, (int)strlen(what), buf, sizeof(buf) - 1);
	noecho();
	cbreak();
	return strtoull(buf, NULL, 0);
}

int ui_run(struct top *t, int (*poll)(struct top *t, int timeout_ms), int iterations)
{
	uint64_t next = host_now_ns() + (uint64_t)(t->interval_s * 1e9);
	int done = 0, rc = 0;

	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	draw(t, NULL);
	while (!devmem_stop) {
		size_t *col = &t->sort_col[t->view];
		size_t ncols = t->view == VIEW_PGMAPS ? pgmap_columns_shown() : nr_proc_columns;
		int ch;

		if (poll(t, 50) < 0) {
			rc = 1;
			break;
		}
		if (host_now_ns() >= next) {
			next = host_now_ns() + (uint64_t)(t->interval_s * 1e9);
			devmemtop_collect(t);
			if (!t->paused)
				draw(t, NULL);
			if (iterations && ++done >= iterations)
				break;
		}
		timeout(50);
		ch = getch();
		switch (ch) {
		case ERR: continue;
		case 'q': case 'Q': devmem_stop = 1; continue;
		case '1': t->view = VIEW_PGMAPS; break;
		case '2': t->view = VIEW_PROCS; break;
		case '\t': t->view = t->view == VIEW_PGMAPS ? VIEW_PROCS : VIEW_PGMAPS; break;
		case '<': case KEY_LEFT: *col = *col ? *col - 1 : ncols - 1; break;
		case '>': case KEY_RIGHT: *col = (*col + 1) % ncols; break;
		case 'p': case ' ': t->paused = !t->paused; break;
		case '+': t->interval_s *= 2; break;
		case '-': if (t->interval_s > 0.2) t->interval_s /= 2; break;
		case 'f': t->filter_pid = (uint32_t)ask(t, "filter by pid (0: none): "); break;
		case 'g':
			t->filter_name[0] = 0;
			t->filter_pgmap = ask(t, "filter by pgmap start (0: none): ");
			break;
		case KEY_RESIZE: break;
		default: continue;
		}
		draw(t, NULL);
	}
	endwin();
	return rc;
}
