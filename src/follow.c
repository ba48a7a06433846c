/* follow.c — tail -F for the alert log: whole lines from an (inode, offset) position, across rename-and-
 * create rotation and truncation, woken by inotify on the directory. It hands out lines; what they mean
 * is the notifier's business. */
#include "autoconfig.h"
#include "follow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_INOTIFY_INIT1
#include <sys/inotify.h>
#endif

#include "util.h"

#define MAX_LINE (1024 * 1024) /* a longer "line" is not the alert log's: skipped */
#define ROTATED_GRACE_MS 30000 /* keep reading a rotated file this long: its writer may not have reopened yet */

struct src {
	int fd;
	struct follow_pos pos;
	struct buf acc; /* bytes after pos.offset not yet ending in "\n" */
	bool drained;   /* read to its end at least once since it became the old file */
	bool skipping;  /* inside a line longer than MAX_LINE: dropped up to and with its "\n" */
	int64_t close_ms;
};

struct follower {
	char *path, *dir, *base;
	struct src cur, old;
	bool at_end_first; /* the first open starts at the end (no saved position) */
	int ino_fd;
};

static void src_init(struct src *s)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	buf_init(&s->acc);
}

static void src_close(struct src *s)
{
	if (s->fd >= 0)
		close(s->fd);
	buf_free(&s->acc);
	src_init(s);
}

/* Opens path into s at offset; fills dev/ino. 0 or -1 (errno). */
static int src_open(struct src *s, const char *path, int64_t offset, bool at_end)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st)) {
		close(fd);
		return -1;
	}
	src_close(s);
	s->fd = fd;
	s->pos.dev = (uint64_t)st.st_dev;
	s->pos.ino = (uint64_t)st.st_ino;
	s->pos.offset = at_end ? (int64_t)st.st_size : offset > st.st_size ? 0 : offset;
	return 0;
}

/* Reads what is new in s, handing out whole lines. 0 at the end of the file, 1 when cb asked to stop (the
 * position is just after that line), -1 with err. */
static int src_read(struct src *s, int (*cb)(const char *, size_t, void *), void *arg, int *lines, char *err,
                    size_t errlen)
{
	if (s->fd < 0)
		return 0;
	struct stat st;
	if (fstat(s->fd, &st) == 0 && st.st_size < s->pos.offset) {
		/* Truncated in place (copytruncate): start again at the top. */
		s->pos.offset = 0;
		buf_reset(&s->acc);
		s->skipping = false;
	}
	char chunk[65536];
	for (;;) {
		/* Lines already held first (a callback may have stopped the last call with some left), then more. */
		size_t start = 0;
		bool stop = false;
		while (!stop && s->acc.len) {
			char *nl = memchr(s->acc.data + start, '\n', s->acc.len - start);
			if (!nl)
				break;
			size_t len = (size_t)(nl - (s->acc.data + start));
			if (s->skipping) {
				s->skipping = false; /* the end of an over-long line: dropped with it */
			} else {
				stop = cb(s->acc.data + start, len, arg) != 0;
				(*lines)++;
			}
			start += len + 1;
			s->pos.offset += (int64_t)len + 1;
		}
		if (start) {
			memmove(s->acc.data, s->acc.data + start, s->acc.len - start);
			s->acc.len -= start;
			s->acc.data[s->acc.len] = '\0';
		}
		if (stop)
			return 1;
		if (s->acc.len > MAX_LINE || (s->skipping && s->acc.len)) {
			/* Not a line of ours: skip it whole, up to and with the next "\n" (a later read finds it). */
			s->pos.offset += (int64_t)s->acc.len;
			buf_reset(&s->acc);
			s->skipping = true;
		}
		ssize_t r = pread(s->fd, chunk, sizeof chunk, (off_t)(s->pos.offset + (int64_t)s->acc.len));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot read the alert log: %s", strerror(errno));
			return -1;
		}
		if (r == 0)
			return 0;
		if (buf_append(&s->acc, chunk, (size_t)r)) {
			snprintf(err, errlen, "out of memory reading the alert log");
			return -1;
		}
	}
}

/* The rotated file beside path with this device and inode, or NULL. malloc'd. */
static char *find_rotated(const struct follower *f, uint64_t dev, uint64_t ino)
{
	DIR *d = opendir(f->dir);
	if (!d)
		return NULL;
	char *found = NULL;
	size_t bl = strlen(f->base);
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		if (strncmp(e->d_name, f->base, bl) != 0)
			continue;
		char p[PATH_MAX];
		int n = snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
		struct stat st;
		if (n > 0 && (size_t)n < sizeof p && stat(p, &st) == 0 && (uint64_t)st.st_ino == ino &&
		    (uint64_t)st.st_dev == dev)
			found = strdup(p);
	}
	closedir(d);
	return found;
}

struct follower *follower_new(const char *path, const struct follow_pos *pos, char *err, size_t errlen)
{
	struct follower *f = calloc(1, sizeof *f);
	if (!f || !(f->path = strdup(path)) || !(f->dir = strdup(path))) {
		if (f)
			free(f->path);
		free(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	src_init(&f->cur);
	src_init(&f->old);
	f->ino_fd = -1;
	char *slash = strrchr(f->dir, '/');
	if (slash) {
		*slash = '\0';
		f->base = slash + 1;
		if (slash == f->dir) {
			/* "/file": the directory is "/" */
			f->base = strdup(slash + 1);
			strcpy(f->dir, "/");
		} else {
			f->base = strdup(f->base);
		}
	} else {
		f->base = strdup(f->dir);
		strcpy(f->dir, ".");
	}
	if (!f->base) {
		follower_free(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct stat st;
	bool exists = stat(path, &st) == 0;
	if (!pos) {
		f->at_end_first = true;
		if (exists)
			src_open(&f->cur, path, 0, true);
		f->at_end_first = false;
	} else if (exists && (uint64_t)st.st_ino == pos->ino && (uint64_t)st.st_dev == pos->dev) {
		src_open(&f->cur, path, pos->offset, false);
	} else {
		/* Rotated while nobody followed: finish the old file first, then the new one from its top. */
		char *old = find_rotated(f, pos->dev, pos->ino);
		if (old) {
			if (src_open(&f->old, old, pos->offset, false) == 0)
				f->old.close_ms = 1; /* as soon as it is drained */
			free(old);
		}
		if (exists)
			src_open(&f->cur, path, 0, false);
	}
#ifdef HAVE_INOTIFY_INIT1
	f->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (f->ino_fd >= 0 && inotify_add_watch(f->ino_fd, f->dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
	                                                                   IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB) < 0) {
		close(f->ino_fd);
		f->ino_fd = -1;
	}
#endif
	return f;
}

void follower_free(struct follower *f)
{
	if (!f)
		return;
	src_close(&f->cur);
	src_close(&f->old);
	if (f->ino_fd >= 0)
		close(f->ino_fd);
	free(f->path);
	free(f->dir);
	free(f->base);
	free(f);
}

int follower_read(struct follower *f, int (*cb)(const char *, size_t, void *), void *arg, char *err, size_t errlen)
{
	int lines = 0;
	int rc;
	if (f->old.fd >= 0) {
		if ((rc = src_read(&f->old, cb, arg, &lines, err, errlen)))
			return rc < 0 ? -1 : lines;
		f->old.drained = true;
		if (now_wall_ms() >= f->old.close_ms)
			src_close(&f->old);
	}
	if (f->cur.fd < 0 && src_open(&f->cur, f->path, 0, false) && errno != ENOENT) {
		snprintf(err, errlen, "cannot open the alert log %s: %s", f->path, strerror(errno));
		return -1;
	}
	if ((rc = src_read(&f->cur, cb, arg, &lines, err, errlen)))
		return rc < 0 ? -1 : lines;
	struct stat st;
	if (f->cur.fd >= 0 && stat(f->path, &st) == 0 &&
	    ((uint64_t)st.st_ino != f->cur.pos.ino || (uint64_t)st.st_dev != f->cur.pos.dev)) {
		/* Rotated: what we hold is the old file, read to its end just above; a new file has the name. */
		src_close(&f->old);
		f->old = f->cur;
		f->old.drained = true;
		f->old.close_ms = now_wall_ms() + ROTATED_GRACE_MS;
		src_init(&f->cur);
		if (src_open(&f->cur, f->path, 0, false) == 0 && (rc = src_read(&f->cur, cb, arg, &lines, err, errlen)))
			return rc < 0 ? -1 : lines;
	}
	return lines;
}

void follower_pos(const struct follower *f, struct follow_pos *out)
{
	if (f->old.fd >= 0 && !f->old.drained)
		*out = f->old.pos;
	else if (f->cur.fd >= 0)
		*out = f->cur.pos;
	else
		*out = f->old.pos;
}

int follower_fd(const struct follower *f) { return f->ino_fd; }

int follower_drain(struct follower *f)
{
#ifdef HAVE_INOTIFY_INIT1
	if (f->ino_fd < 0)
		return 1;
	char evbuf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	int relevant = 0;
	size_t bl = strlen(f->base);
	for (;;) {
		ssize_t r = read(f->ino_fd, evbuf, sizeof evbuf);
		if (r <= 0)
			break;
		for (char *p = evbuf; p < evbuf + r;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if (ev->len == 0 || strncmp(ev->name, f->base, bl) == 0 || (ev->mask & IN_Q_OVERFLOW))
				relevant = 1;
			p += sizeof *ev + ev->len;
		}
	}
	return relevant;
#else
	return 1;
#endif
}
