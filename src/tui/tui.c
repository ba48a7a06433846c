/* tui.c — the UI loop (tmux's shape): wait on the terminal and a wake-up pipe, take input and new snapshots,
 * mark what is dirty, redraw at one point. A feeder thread turns collector_wait into pipe bytes so the loop
 * sleeps in poll() and an idle dashboard sends nothing. The UI thread does no I/O besides the terminal and the
 * pipe. */
#include "autoconfig.h"
#include "tui/tui.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "tui/hostmeter.h"
#include "tui/logs.h"
#include "tui/text.h"
#include "tui/theme.h"
#include "tui/view.h"

/* ---- signals: handlers only set a flag and poke the pipe ---------------------------------------------- */
static volatile sig_atomic_t quit_signal;
static int wake_w = -1;
static struct termios saved_tio;
static bool have_tio;
static char restore_seq[256]; /* what endwin would send, precomputed for the crash handler */
static size_t restore_len;

static void on_quit(int sig)
{
	int e = errno;
	quit_signal = sig;
	if (wake_w >= 0) {
		char one = 'q';
		ssize_t w = write(wake_w, &one, 1);
		(void)w;
	}
	errno = e;
}

/* A crash must not leave the terminal raw, invisible-cursored and in the alternate screen: only async-signal-
 * safe calls here (write, tcsetattr, raise). */
static void on_crash(int sig)
{
	if (restore_len) {
		ssize_t w = write(STDOUT_FILENO, restore_seq, restore_len);
		(void)w;
	}
	if (have_tio)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void add_cap(const char *name)
{
	char *s = tigetstr((char *)name);
	if (!s || s == (char *)-1)
		return;
	size_t n = strlen(s);
	/* Padding specs ($<5>) are harmless to a terminal emulator; keep the bytes as they are. */
	if (restore_len + n < sizeof restore_seq) {
		memcpy(restore_seq + restore_len, s, n);
		restore_len += n;
	}
}

/* The signals only the UI thread takes: resize and the quit signals. */
static void ui_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGWINCH);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

void tui_block_signals(void)
{
	sigset_t set;
	ui_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_quit;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	int crash[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT, SIGTRAP, SIGSYS, SIGXCPU, SIGXFSZ};
	for (size_t i = 0; i < ARRAY_LEN(crash); i++)
		sigaction(crash[i], &sa, NULL);
	/* The UI thread takes the signals the other threads block. */
	sigset_t set;
	ui_signals(&set);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* ---- the feeder: collector_wait on its own thread, newest snapshot in a slot ---------------------------- */
struct feeder {
	pthread_t thread;
	pthread_mutex_t lock;
	const struct tui_source *src;
	struct snapshot *pending; /* newest not yet taken by the UI */
	bool stop;
	int wake_fd;
	/* the source's reachability (--connect), as last seen on the feeder thread */
	bool down;
	char why[512];
	int64_t down_since_ms;
	bool link_changed;        /* not yet taken by the UI */
};

/* Feeder thread: the source's reachability now; the UI is woken when it changed. */
static void feeder_link(struct feeder *f)
{
	if (!f->src->reachable)
		return;
	char why[512] = "";
	int64_t since = 0;
	bool up = f->src->reachable(f->src->ctx, why, sizeof why, &since);
	pthread_mutex_lock(&f->lock);
	bool changed = f->down == up || (!up && strcmp(f->why, why) != 0);
	if (changed) {
		if (f->down == up)
			log_info("screen: the daemon is %s%s%s", up ? "reachable again" : "unreachable", up ? "" : ": ",
			         up ? "" : why);
		f->down = !up;
		snprintf(f->why, sizeof f->why, "%s", up ? "" : why);
		f->down_since_ms = since;
		f->link_changed = true;
	}
	pthread_mutex_unlock(&f->lock);
	if (changed) {
		char one = 'l';
		ssize_t w = write(f->wake_fd, &one, 1);
		(void)w;
	}
}

/* One log line when a container goes down or comes back, stamped with the snapshot that first carries it to
 * the screen: the program's own record of when the screen changed (tests and people compare it with the kill
 * time). Written here, on the feeder thread, so the UI thread does no file I/O. */
static void log_transitions(const struct snapshot *old, const struct snapshot *s)
{
	for (size_t i = 0; old && i < s->n; i++) {
		const struct snap_container *c = &s->c[i];
		for (size_t j = 0; j < old->n; j++) {
			if (strcmp(old->c[j].si->info.id, c->si->info.id) != 0)
				continue;
			bool was = view_status(&old->c[j]) == CS_STOPPED, is = view_status(c) == CS_STOPPED;
			if (was != is) {
				char since[32], shown[32];
				fmt_iso8601_ms(c->state_since_ms, since, sizeof since);
				fmt_iso8601_ms(s->wall_ms, shown, sizeof shown);
				struct buf name;
				buf_init(&name);
				buf_term_safe(&name, view_name(c), 128);
				log_info("screen: %s is %s (state since %s, shown from snapshot %s)", name.data ? name.data : "",
				         is ? "down" : "up", since, shown);
				buf_free(&name);
			}
			break;
		}
	}
}

static void *feeder_main(void *arg)
{
	struct feeder *f = arg;
	uint64_t seq = 0;
	struct snapshot *prev = NULL;
	for (;;) {
		pthread_mutex_lock(&f->lock);
		bool stop = f->stop;
		pthread_mutex_unlock(&f->lock);
		if (stop)
			break;
		struct snapshot *s = f->src->wait(f->src->ctx, seq, 250);
		feeder_link(f);
		if (!s)
			continue;
		seq = s->seq;
		log_transitions(prev, s);
		snapshot_unref(prev);
		prev = snapshot_ref(s);
		pthread_mutex_lock(&f->lock);
		struct snapshot *old = f->pending;
		f->pending = s;
		pthread_mutex_unlock(&f->lock);
		snapshot_unref(old);
		char one = 's';
		ssize_t w = write(f->wake_fd, &one, 1);
		(void)w; /* a full pipe means the UI has wake-ups queued already */
	}
	snapshot_unref(prev);
	return NULL;
}

static struct snapshot *feeder_take(struct feeder *f)
{
	pthread_mutex_lock(&f->lock);
	struct snapshot *s = f->pending;
	f->pending = NULL;
	pthread_mutex_unlock(&f->lock);
	return s;
}

/* ---- state changes -------------------------------------------------------------------------------------- */
struct ui {
	struct view v;
	struct logs *logs;
	struct hostmeter *host;
	char *logs_text;
	bool quit;
	bool dirty;
};

static void rebuild(struct ui *u)
{
	if (table_build(&u->v))
		log_error("out of memory building the table");
	table_select_id(&u->v);
}

static void take_snapshot(struct ui *u, struct snapshot *s)
{
	snapshot_unref(u->v.snap);
	u->v.snap = s;
	if (!s->engine_up && !u->v.engine_down_since_ms)
		u->v.engine_down_since_ms = s->wall_ms;
	else if (s->engine_up)
		u->v.engine_down_since_ms = 0;
	if (u->host)
		u->v.host.have = hostmeter_get(u->host, &u->v.host.cpu_pct, &u->v.host.mem_used_bytes,
		                               &u->v.host.mem_total_bytes);
	rebuild(u);
	u->dirty = true;
}

static void geometry(struct ui *u)
{
	getmaxyx(stdscr, u->v.rows_n, u->v.cols_n);
	table_layout(&u->v);
	u->dirty = true;
}

static void move_sel(struct ui *u, long delta)
{
	struct view *v = &u->v;
	if (!v->nrows)
		return;
	long s = (long)v->sel + delta;
	if (s < 0)
		s = 0;
	if (s >= (long)v->nrows)
		s = (long)v->nrows - 1;
	if (v->detail && v->rows[s].kind == ROW_HOST) {
		/* j/k in the detail view go from container to container across hosts, not onto a host's row. */
		long d = delta < 0 ? -1 : 1, t = s + d;
		while (t >= 0 && t < (long)v->nrows && v->rows[t].kind != ROW_CONTAINER)
			t += d;
		if (t < 0 || t >= (long)v->nrows)
			return;
		s = t;
	}
	v->sel = (size_t)s;
	table_remember(v);
}

static void open_logs(struct ui *u)
{
	const struct snap_container *c = view_selected(&u->v);
	if (!c)
		return;
	if (!u->logs && u->v.remote) {
		/* Log lines come from the engine, which a viewer attached to a daemon does not talk to. */
		snprintf(u->v.logs_for, sizeof u->v.logs_for, "%s", "this container");
		free(u->logs_text);
		u->logs_text = NULL;
		u->v.logs_text = NULL;
		snprintf(u->v.logs_error, sizeof u->v.logs_error, "%s",
		         "log lines are not available with --connect: they come from the engine, which only the daemon "
		         "talks to (docker logs on its host shows them)");
		u->v.logs_loading = false;
		u->v.logs = true;
		return;
	}
	if (!u->logs)
		return;
	struct buf name;
	buf_init(&name);
	buf_term_safe(&name, view_name(c), 100);
	snprintf(u->v.logs_for, sizeof u->v.logs_for, "%s", name.data ? name.data : "");
	buf_free(&name);
	free(u->logs_text);
	u->logs_text = NULL;
	u->v.logs_text = NULL;
	u->v.logs_error[0] = '\0';
	u->v.logs_loading = true;
	u->v.logs = true;
	/* With several engines, the container's own engine; with one, the configured one (it may be a context). */
	const char *engine = view_multi(&u->v) ? u->v.snap->engines[view_engine_of(u->v.snap, c)].endpoint : NULL;
	logs_request(u->logs, engine, c->si->info.id);
}

static void handle_mouse(struct ui *u)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return;
	struct view *v = &u->v;
	if (ev.bstate & (BUTTON4_PRESSED)) {
		move_sel(u, -3);
	} else if (ev.bstate & (BUTTON5_PRESSED)) {
		move_sel(u, 3);
	} else if (ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED)) {
		if (v->detail || v->help || v->logs)
			return;
		if (ev.y >= v->table_y && ev.y < v->table_y + v->table_h) {
			size_t r = v->top + (size_t)(ev.y - v->table_y);
			if (r < v->nrows) {
				v->sel = r;
				table_remember(v);
				if (ev.bstate & BUTTON1_DOUBLE_CLICKED)
					v->detail = true;
			}
		}
	}
}

static void handle_filter_key(struct ui *u, int ch)
{
	struct view *v = &u->v;
	size_t n = strlen(v->filter);
	if (ch == 27) {
		v->filter[0] = '\0';
		v->filter_editing = false;
	} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		v->filter_editing = false;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		/* Remove one whole UTF-8 character. */
		while (n > 0 && ((unsigned char)v->filter[n - 1] & 0xC0) == 0x80)
			n--;
		if (n > 0)
			n--;
		v->filter[n] = '\0';
	} else if (ch >= 0x20 && ch < 0x100 && ch != 0x7F && n + 1 < sizeof v->filter) {
		v->filter[n] = (char)ch;
		v->filter[n + 1] = '\0';
	} else {
		return;
	}
	rebuild(u);
}

static void handle_key(struct ui *u, int ch)
{
	struct view *v = &u->v;
	u->dirty = true;
	if (ch == KEY_RESIZE) {
		/* resizeterm asked for a full clear (\e[2J); a repaint without it does not flash. Ctrl-L still clears. */
		clearok(curscr, FALSE);
		/* But the terminal may have moved lines (tmux drops top lines when it shrinks): make curses believe
		 * every cell differs, so each line is rewritten in full. A cell is never drawn blinking. */
		wbkgdset(curscr, ' ' | A_BLINK);
		werase(curscr);
		wbkgdset(curscr, ' ');
		geometry(u);
		return;
	}
	if (ch == 12) { /* Ctrl-L */
		clearok(curscr, TRUE);
		return;
	}
	if (ch == KEY_MOUSE) {
		handle_mouse(u);
		return;
	}
	if (v->filter_editing) {
		handle_filter_key(u, ch);
		return;
	}
	if (v->help || v->logs) {
		/* Overlays close on any key; q still quits. */
		if (ch == 'q')
			u->quit = true;
		v->help = v->logs = false;
		return;
	}
	int page = v->table_h > 1 ? v->table_h - 1 : 1;
	switch (ch) {
	case 'q':
		u->quit = true;
		break;
	case KEY_UP:
	case 'k':
		move_sel(u, -1);
		break;
	case KEY_DOWN:
	case 'j':
		move_sel(u, 1);
		break;
	case KEY_PPAGE:
		move_sel(u, -page);
		break;
	case KEY_NPAGE:
	case ' ':
		move_sel(u, page);
		break;
	case KEY_HOME:
		move_sel(u, -(long)v->nrows);
		break;
	case KEY_END:
		move_sel(u, (long)v->nrows);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (view_selected(v))
			v->detail = true;
		break;
	case 27: /* Esc */
	case KEY_BACKSPACE:
	case KEY_LEFT:
		v->detail = false;
		break;
	case 's':
		v->sort = (enum sort_key)((v->sort + 1) % SORT_COUNT);
		if (!v->col.net && (v->sort == SORT_NET || v->sort == SORT_BLOCK || v->sort == SORT_PIDS))
			v->sort = SORT_NAME; /* columns not on screen are not offered */
		v->sort_reverse = false;
		rebuild(u);
		break;
	case 'S':
		v->sort_reverse = !v->sort_reverse;
		rebuild(u);
		break;
	case '/':
		v->filter_editing = true;
		v->detail = false;
		break;
	case 'w':
		v->window_idx = (v->window_idx + 1) % (int)ARRAY_LEN(view_windows_s);
		break;
	case 'p':
		v->paused = !v->paused;
		break;
	case 'a':
		v->show_all = !v->show_all;
		rebuild(u);
		break;
	case 'g':
		v->group = !v->group;
		rebuild(u);
		break;
	case 'l':
		open_logs(u);
		break;
	case 'H':
		/* Several engines: one host's containers, the next one's, ..., every host again. */
		if (!view_multi(v)) {
			u->dirty = false;
			break;
		}
		view_next_host(v);
		v->detail = false;
		rebuild(u);
		break;
	case '?':
	case 'h':
	case KEY_F(1):
		v->help = true;
		break;
	default:
		u->dirty = false;
		break;
	}
}

/* ---- drawing: the one redraw point ---------------------------------------------------------------------- */
static void draw_footer(struct view *v)
{
	int y = v->rows_n - 1;
	struct buf b, fit;
	buf_init(&b);
	buf_init(&fit);
	if (v->filter_editing) {
		buf_printf(&b, "filter: %s_  (Enter keeps, Esc clears)", v->filter);
	} else {
		char win[8];
		int ws = view_windows_s[v->window_idx];
		snprintf(win, sizeof win, ws >= 3600 ? "%dh" : "%dm", ws >= 3600 ? ws / 3600 : ws / 60);
		if (v->detail)
			buf_printf(&b, " Esc back  j/k next  w window %s  l logs  p %s  ? help  q quit", win,
			           v->paused ? "resume" : "pause");
		else
		{
			char host[300] = "";
			if (view_multi(v)) /* several engines: the host filter, early enough to fit 80 columns */
				snprintf(host, sizeof host, "  H host:%s", v->host_filter[0] ? v->host_filter : "all");
			buf_printf(&b, " ? help%s  / filter%s%s  s sort:%s%s  w %s  g group  a %s  p %s  l logs  q quit", host,
			           v->filter[0] ? ":" : "", v->filter, table_sort_name(v->sort),
			           v->sort_reverse ? "(rev)" : "", win, v->show_all ? "running" : "all",
			           v->paused ? "resume" : "pause");
		}
	}
	/* The bottom-right cell would scroll some terminals: leave it out. */
	text_fit(&fit, b.data ? b.data : "", v->cols_n - 1, true, v->g);
	view_put(y, 0, theme_attr(ROLE_BAR), fit.data);
	buf_free(&b);
	buf_free(&fit);
}

static void draw(struct ui *u)
{
	struct view *v = &u->v;
	erase(); /* the virtual screen only: curses sends just the differences */
	if (v->too_small) {
		char msg[128];
		snprintf(msg, sizeof msg, "terminal too small (%dx%d): lookout needs at least 60x12", v->cols_n, v->rows_n);
		struct buf b;
		buf_init(&b);
		text_fit(&b, msg, v->cols_n - 1, false, v->g);
		view_put(v->rows_n / 2, 0, theme_attr(ROLE_WARN), b.data);
		buf_free(&b);
		refresh();
		return;
	}
	v->logs_text = u->logs_text;
	header_draw(v, 0);
	int body_y = 2, body_h = v->rows_n - 3;
	if (v->detail) {
		detail_draw(v, body_y, body_h);
	} else {
		int ah = v->rows_n >= 50 ? 10 : v->rows_n >= 30 ? 6 : 4;
		table_draw(v, body_y, body_h - ah);
		alerts_draw(v, body_y + body_h - ah, ah, NULL);
	}
	draw_footer(v);
	if (v->help)
		help_draw(v);
	if (v->logs)
		logs_draw(v);
	refresh();
}

static struct snapshot *collector_source_wait(void *ctx, uint64_t after_seq, int timeout_ms)
{
	return collector_wait(ctx, after_seq, timeout_ms);
}

int tui_run(struct collector *c, const struct tui_opts *o, char *err, size_t errlen)
{
	struct tui_source src = {.wait = collector_source_wait, .ctx = c};
	return tui_run_source(&src, o, err, errlen);
}

int tui_run_source(const struct tui_source *src, const struct tui_opts *o, char *err, size_t errlen)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK)) {
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	wake_w = pfd[1];
	struct ui u;
	memset(&u, 0, sizeof u);
	struct view *v = &u.v;
	v->g = glyphs_pick(o->ascii);
	v->interval_s = o->interval_s;
	v->gauge_warn = o->gauge_warn;
	v->gauge_crit = o->gauge_crit;
	v->resp_threshold_ms = o->resp_threshold_ms;
	v->show_all = o->show_all;
	v->window_idx = 1; /* 5 minutes */
	v->sort = SORT_NAME;
	v->remote = src->remote;

	char e2[512];
	/* Attached to a daemon, this machine's meters would be the wrong host's: the header shows the daemon's. */
	u.host = src->remote ? NULL : hostmeter_new(o->host_root, o->interval_s, e2, sizeof e2);
	if (!u.host && !src->remote)
		log_warn("%s; the header shows no host meters", e2);
	u.logs = src->remote ? NULL : logs_new(o->docker_host, pfd[1], e2, sizeof e2);
	if (!u.logs && !src->remote)
		log_warn("%s; the l key is off", e2);
	struct feeder f;
	memset(&f, 0, sizeof f);
	f.src = src;
	f.wake_fd = pfd[1];
	pthread_mutex_init(&f.lock, NULL);
	int prc = pthread_create(&f.thread, NULL, feeder_main, &f);
	if (prc) {
		snprintf(err, errlen, "cannot start the screen's feeder thread: %s", strerror(prc));
		logs_free(u.logs);
		hostmeter_free(u.host);
		close(pfd[0]);
		close(pfd[1]);
		wake_w = -1;
		return -1;
	}

	have_tio = tcgetattr(STDIN_FILENO, &saved_tio) == 0;
	install_signals();
	if (!initscr()) {
		snprintf(err, errlen, "cannot set up the terminal (TERM=%s)", getenv("TERM") ? getenv("TERM") : "");
		return -1;
	}
	restore_len = 0;
	add_cap("sgr0");
	add_cap("cnorm");
	add_cap("rmkx");
	add_cap("rmcup");
	static const char mouse_off[] = "\033[?1006l\033[?1000l\033[?1002l";
	if (restore_len + sizeof mouse_off - 1 < sizeof restore_seq) {
		memcpy(restore_seq + restore_len, mouse_off, sizeof mouse_off - 1);
		restore_len += sizeof mouse_off - 1;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	leaveok(stdscr, TRUE);
	timeout(0);
	theme_init(o->color);
	mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	geometry(&u);
	draw(&u);

	while (!u.quit && !quit_signal) {
		struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = pfd[0], .events = POLLIN}};
		int n = poll(p, 2, -1);
		if (n < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN) {
			char drain[256];
			while (read(pfd[0], drain, sizeof drain) > 0)
				;
		}
		if (quit_signal)
			break;
		if (u.logs && v->logs_loading) {
			char *text = NULL;
			if (logs_take(u.logs, &text, v->logs_error, sizeof v->logs_error)) {
				free(u.logs_text);
				u.logs_text = text;
				v->logs_loading = false;
				u.dirty = true;
			}
		}
		int ch;
		/* After a signal interrupted poll, getch reports KEY_RESIZE for a SIGWINCH. */
		while ((ch = getch()) != ERR) {
			handle_key(&u, ch);
			if (u.quit)
				break;
		}
		pthread_mutex_lock(&f.lock);
		if (f.link_changed) {
			f.link_changed = false;
			v->remote_down = f.down;
			snprintf(v->remote_error, sizeof v->remote_error, "%s", f.why);
			v->remote_down_since_ms = f.down_since_ms;
			u.dirty = true;
		}
		pthread_mutex_unlock(&f.lock);
		/* Keys first: 'p' may just have resumed, and then the newest snapshot is wanted at once. */
		if (!v->paused) {
			struct snapshot *s = feeder_take(&f);
			if (s)
				take_snapshot(&u, s);
		}
		if (u.dirty && !u.quit) {
			draw(&u);
			u.dirty = false;
		}
	}
	if (quit_signal)
		log_info("stopping the dashboard (signal %d)", (int)quit_signal);
	mousemask(0, NULL);
	endwin();

	pthread_mutex_lock(&f.lock);
	f.stop = true;
	pthread_mutex_unlock(&f.lock);
	if (src->stop)
		src->stop(src->ctx);
	pthread_join(f.thread, NULL);
	snapshot_unref(f.pending);
	pthread_mutex_destroy(&f.lock);
	logs_free(u.logs);
	hostmeter_free(u.host);
	wake_w = -1;
	close(pfd[0]);
	close(pfd[1]);
	snapshot_unref(v->snap);
	free(v->rows);
	free(u.logs_text);
	return 0;
}
