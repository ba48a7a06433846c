/* cgroup.c — reads one container's counters from its cgroup (v1, hybrid or v2) through files opened once, so a
 * sample costs a few preads and no allocation. It does not find containers, compute rates or ask the Engine. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* One open file per counter source. v1 and v2 share slots where the counter means the same thing. */
enum slot {
	S_CPU_USAGE, /* v1 cpuacct.usage; v2 cpu.stat (usage_usec and throttling) */
	S_CPU_STAT,  /* v1 cpu.stat (throttling) */
	S_CPU_QUOTA, /* v1 cpu.cfs_quota_us; v2 cpu.max */
	S_CPU_PERIOD, /* v1 cpu.cfs_period_us */
	S_CPUSET,    /* v1 cpuset.effective_cpus or cpuset.cpus; v2 cpuset.cpus.effective */
	S_MEM_USAGE, /* v1 memory.usage_in_bytes; v2 memory.current */
	S_MEM_STAT,
	S_MEM_LIMIT, /* v1 memory.limit_in_bytes; v2 memory.max */
	S_OOM,       /* v1 memory.oom_control; v2 memory.events */
	S_PIDS,
	S_IO,        /* v1 blkio.*io_service_bytes*; v2 io.stat */
	S_NET,       /* ROOT/proc/PID/net/dev */
	S_COUNT
};

/* Where each slot's file lives: the v1 controller whose hierarchy holds it ("" = unified), and the names to
 * try in order (older kernels or other I/O schedulers lack the first). */
struct file_spec {
	enum slot slot;
	const char *ctrl;
	const char *names[4];
};

static const struct file_spec v1_files[] = {
	{S_CPU_USAGE, "cpuacct", {"cpuacct.usage"}},
	{S_CPU_STAT, "cpu", {"cpu.stat"}},
	{S_CPU_QUOTA, "cpu", {"cpu.cfs_quota_us"}},
	{S_CPU_PERIOD, "cpu", {"cpu.cfs_period_us"}},
	{S_CPUSET, "cpuset", {"cpuset.effective_cpus", "cpuset.cpus"}},
	{S_MEM_USAGE, "memory", {"memory.usage_in_bytes"}},
	{S_MEM_STAT, "memory", {"memory.stat"}},
	{S_MEM_LIMIT, "memory", {"memory.limit_in_bytes"}},
	{S_OOM, "memory", {"memory.oom_control"}},
	{S_PIDS, "pids", {"pids.current"}},
	/* The throttle layer sees every bio whatever the I/O scheduler; the CFQ/BFQ files only count when that
	 * scheduler runs. Recursive first so that a container's nested cgroups count too. */
	{S_IO, "blkio", {"blkio.throttle.io_service_bytes_recursive", "blkio.io_service_bytes_recursive",
	                 "blkio.throttle.io_service_bytes", "blkio.io_service_bytes"}},
};

static const struct file_spec v2_files[] = {
	{S_CPU_USAGE, "", {"cpu.stat"}},
	{S_CPU_QUOTA, "", {"cpu.max"}},
	{S_CPUSET, "", {"cpuset.cpus.effective"}},
	{S_MEM_USAGE, "", {"memory.current"}},
	{S_MEM_STAT, "", {"memory.stat"}},
	{S_MEM_LIMIT, "", {"memory.max"}},
	{S_OOM, "", {"memory.events"}},
	{S_PIDS, "", {"pids.current"}},
	{S_IO, "", {"io.stat"}},
};

/* The v1 controllers lookout reads; index into cgroup_reader.v1dir. */
static const char *const v1_ctrls[] = {"cpu", "cpuacct", "cpuset", "memory", "pids", "blkio"};

struct cgroup_reader {
	int version;
	int fd[S_COUNT];
	char *path[S_COUNT]; /* the file behind fd, for messages */
	char *dir;           /* memory (v1) or unified (v2) directory */
	double host_cpus;

	/* Limits, re-read every LIMITS_EVERY_NS. */
	bool limits_read;
	int64_t limits_ns;
	unsigned limits_have; /* SAMPLE_CPU_LIMIT, SAMPLE_MEM_LIMIT */
	double cpu_limit_cpus;
	uint64_t mem_limit_bytes;
	bool has_quota;       /* a CFS quota is set: only then can the throttling counters move (v1) */

	/* The OOM-kill counter, re-read every OOM_EVERY_NS or on cgroup_recheck. */
	bool oom_read;
	int64_t oom_ns;
	bool have_oom;
	uint64_t oom_kills;
	/* The last throttling counters read (v1), repeated while no quota is set. */
	bool have_thr;
	uint64_t thr_periods, thr_ns;
};

/* A v1 memory limit at or above this is the kernel's "unlimited" (PAGE_COUNTER_MAX rounded to pages). */
#define V1_UNLIMITED ((uint64_t)1 << 62)

/* Writes a message for a person into err (which may be NULL); a long message is cut, which is harmless. */
__attribute__((format(printf, 3, 4))) static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- small parsers: no allocation, no locale -------------------------------------------------------------- */

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* Parses an unsigned decimal at *p (after blanks), advancing *p. false when there is none or it overflows. */
static bool take_u64(const char **p, const char *end, uint64_t *out)
{
	const char *s = skip_space(*p, end);
	uint64_t v = 0;
	const char *start = s;
	while (s < end && *s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		s++;
	}
	if (s == start)
		return false;
	*p = s;
	*out = v;
	return true;
}

/* The whole (trimmed) text must be one unsigned number. */
static bool parse_u64_text(const char *s, size_t len, uint64_t *out)
{
	const char *end = s + len;
	if (!take_u64(&s, end, out))
		return false;
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\n'))
		s++;
	return s == end;
}

/* Does the line start with key followed by a blank? Then *value points past the key. */
static bool line_key(const char *line, size_t len, const char *key, const char **value)
{
	size_t klen = strlen(key);
	if (len <= klen || memcmp(line, key, klen) != 0 || (line[klen] != ' ' && line[klen] != '\t'))
		return false;
	*value = line + klen;
	return true;
}

/* Counts the CPUs of a cpuset list such as "0-3,8,10-11". 0 for an empty or malformed list. */
static unsigned count_cpus(const char *s, size_t len)
{
	const char *end = s + len, *p = s;
	unsigned n = 0;
	while (p < end && *p != '\n') {
		uint64_t lo, hi;
		if (!take_u64(&p, end, &lo))
			return 0;
		hi = lo;
		if (p < end && *p == '-') {
			p++;
			if (!take_u64(&p, end, &hi) || hi < lo)
				return 0;
		}
		if (hi - lo >= 65536)
			return 0;
		n += (unsigned)(hi - lo + 1);
		if (p < end && *p == ',')
			p++;
		else if (p < end && *p != '\n')
			return 0;
	}
	return n;
}

/* ---- reading kept-open files -------------------------------------------------------------------------------- */

/* Reads a one-line file from offset 0. Returns its length (without the newline) or -1 with errno set;
 * a file longer than the buffer is an error (EOVERFLOW) rather than a silently cut number. */
static ssize_t read_small(int fd, char *buf, size_t size)
{
	ssize_t n;
	do
		n = pread(fd, buf, size, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n == size) {
		errno = EOVERFLOW;
		return -1;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return n;
}

typedef void line_fn(void *ctx, const char *line, size_t len);

/* seq_file fills at most its buffer (a page, 4096 bytes, or more) per read and stops before the record that
 * would overflow it. No line lookout reads comes near this many bytes, so a read shorter than a page minus
 * this is the end of the file, and the extra read that would return 0 can be skipped. */
#define SEQ_PAGE 4096
#define SEQ_MAX_RECORD 512

/* Calls fn for each line of the file behind fd, reading from offset 0 in chunks so that a file of any length
 * (net/dev of a host-network container lists every veth) is parsed on the stack. A line longer than the
 * chunk is skipped. Returns 0 or -1 with errno set. */
static int each_line(int fd, line_fn *fn, void *ctx)
{
	char buf[8192];
	size_t have = 0;
	off_t off = 0;
	bool skipping = false;

	for (;;) {
		size_t want = sizeof buf - have;
		ssize_t n = pread(fd, buf + have, want, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += n;
		bool last = n == 0 || (size_t)n < SEQ_PAGE - SEQ_MAX_RECORD;
		size_t end = have + (size_t)n, start = 0;
		for (char *nl; (nl = memchr(buf + start, '\n', end - start));) {
			size_t i = (size_t)(nl - buf);
			if (!skipping)
				fn(ctx, buf + start, i - start);
			skipping = false;
			start = i + 1;
		}
		if (last) {
			if (start < end && !skipping)
				fn(ctx, buf + start, end - start);
			return 0;
		}
		have = end - start;
		if (have == sizeof buf) {
			skipping = true;
			have = 0;
		} else if (start > 0) {
			memmove(buf, buf + start, have);
		}
	}
}

/* "key value" files (memory.stat, cpu.stat, memory.events, memory.oom_control): picks the wanted keys. */
struct kv_want {
	const char *key;
	uint64_t value;
	bool found;
};
struct kv_ctx {
	struct kv_want *want;
	size_t n;
};

static void kv_line(void *ctx, const char *line, size_t len)
{
	struct kv_ctx *c = ctx;
	for (size_t i = 0; i < c->n; i++) {
		const char *v;
		if (c->want[i].found || !line_key(line, len, c->want[i].key, &v))
			continue;
		uint64_t x;
		if (take_u64(&v, line + len, &x)) {
			c->want[i].value = x;
			c->want[i].found = true;
		}
		return;
	}
}

/* v1 blkio: "8:0 Read 4096" per device and operation, then "Total N"; v2 io.stat: "8:0 rbytes=N wbytes=N ...". */
struct io_ctx {
	uint64_t rd, wr;
	bool v2;
};

static void io_line(void *ctx, const char *line, size_t len)
{
	struct io_ctx *c = ctx;
	const char *end = line + len;
	const char *p = memchr(line, ' ', len);
	if (!p || !memchr(line, ':', (size_t)(p - line)))
		return; /* "Total N" or junk */
	p = skip_space(p, end);
	if (!c->v2) {
		uint64_t v;
		const char *q;
		if (line_key(p, (size_t)(end - p), "Read", &q) && take_u64(&q, end, &v))
			c->rd += v;
		else if (line_key(p, (size_t)(end - p), "Write", &q) && take_u64(&q, end, &v))
			c->wr += v;
		return;
	}
	while (p < end) {
		const char *tok = p;
		while (p < end && *p != ' ')
			p++;
		size_t tlen = (size_t)(p - tok);
		uint64_t v;
		const char *q;
		if (tlen > 7 && memcmp(tok, "rbytes=", 7) == 0) {
			q = tok + 7;
			if (take_u64(&q, p, &v))
				c->rd += v;
		} else if (tlen > 7 && memcmp(tok, "wbytes=", 7) == 0) {
			q = tok + 7;
			if (take_u64(&q, p, &v))
				c->wr += v;
		}
		p = skip_space(p, end);
	}
}

/* /proc/PID/net/dev: "  eth0: rx_bytes rx_packets ... (8 receive fields) tx_bytes ...". */
struct net_ctx {
	uint64_t rx, tx;
};

static void net_line(void *ctx, const char *line, size_t len)
{
	struct net_ctx *c = ctx;
	const char *end = line + len;
	const char *colon = memchr(line, ':', len);
	if (!colon)
		return; /* the two header lines */
	const char *name = skip_space(line, colon);
	if (colon - name == 2 && memcmp(name, "lo", 2) == 0)
		return;
	const char *p = colon + 1;
	uint64_t f[9];
	for (size_t i = 0; i < ARRAY_LEN(f); i++)
		if (!take_u64(&p, end, &f[i]))
			return;
	c->rx += f[0];
	c->tx += f[8];
}

/* ---- finding the cgroup ------------------------------------------------------------------------------------- */

/* Decodes mountinfo's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash) in place. */
static void unescape_octal(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

struct mount {
	const char *root;  /* the path inside the hierarchy that is mounted (field 4) */
	const char *point; /* where (field 5) */
	const char *opts;  /* super options: "rw,cpu,cpuacct" or "rw,name=systemd" */
	bool v2;
};

/* Is tok one of the comma-separated words of list? */
static bool in_list(const char *list, const char *tok)
{
	size_t n = strlen(tok);
	for (const char *p = list; *p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		if (len == n && memcmp(p, tok, n) == 0)
			return true;
		if (!c)
			break;
		p = c + 1;
	}
	return false;
}

/* Splits the mount table (modified in place) into the cgroup and cgroup2 mounts. Returns the count, or -1
 * on ENOMEM. *out is malloc'd. */
static int parse_mountinfo(char *text, struct mount **out)
{
	struct mount *m = NULL;
	size_t n = 0, cap = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[6], *s2 = NULL;
		size_t nf = 0;
		for (char *t; nf < ARRAY_LEN(f) && (t = strtok_r(nf ? NULL : line, " ", &s2));)
			f[nf++] = t;
		if (nf < 6)
			continue;
		/* Optional fields ("shared:4") run until a lone "-"; then fstype, source, super options. */
		char *t;
		while ((t = strtok_r(NULL, " ", &s2)) && strcmp(t, "-") != 0)
			;
		char *fstype = t ? strtok_r(NULL, " ", &s2) : NULL;
		char *source = fstype ? strtok_r(NULL, " ", &s2) : NULL;
		char *super = source ? strtok_r(NULL, " ", &s2) : NULL;
		if (!super)
			continue;
		bool v2 = strcmp(fstype, "cgroup2") == 0;
		if (!v2 && strcmp(fstype, "cgroup") != 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct mount *nm = realloc(m, ncap * sizeof *nm);
			if (!nm) {
				free(m);
				return -1;
			}
			m = nm;
			cap = ncap;
		}
		unescape_octal(f[3]);
		unescape_octal(f[4]);
		unescape_octal(super);
		m[n++] = (struct mount){.root = f[3], .point = f[4], .opts = super, .v2 = v2};
	}
	*out = m;
	return (int)n;
}

/* The part of cgroup path cg below mount root, or NULL when the mount does not reach cg. */
static const char *below_root(const char *root, const char *cg)
{
	if (strcmp(root, "/") == 0)
		return cg;
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (strncmp(cg, root, n) != 0 || (cg[n] != '\0' && cg[n] != '/'))
		return NULL;
	return cg + n;
}

/* Writes ROOT + mountpoint + (cg below the mount's root) into dir for the mount of the wanted kind that
 * reaches cg; when several do (bind mounts), the one with the deepest root. Returns 0, or -1 when no mount
 * fits (err set), or -2 when the path does not fit (err set). */
static int resolve_dir(const char *host_root, const struct mount *m, int nm, bool v2, const char *ctrl,
                       const char *cg, char *dir, size_t dirlen, char *err, size_t errlen)
{
	const struct mount *best = NULL;
	const char *rel = NULL;
	for (int i = 0; i < nm; i++) {
		if (m[i].v2 != v2 || (!v2 && !in_list(m[i].opts, ctrl)))
			continue;
		const char *r = below_root(m[i].root, cg);
		if (r && (!best || strlen(m[i].root) > strlen(best->root))) {
			best = &m[i];
			rel = r;
		}
	}
	if (!best) {
		/* A path starting with /.. lies outside our cgroup namespace; nothing textual can map it back. */
		errf(err, errlen, "no %s mount reaches cgroup %s%s", v2 ? "cgroup2" : ctrl, cg,
		     strncmp(cg, "/..", 3) == 0
		             ? " (it lies outside this cgroup namespace: run lookout with --cgroupns=host)"
		             : "");
		return -1;
	}
	if (strcmp(rel, "/") == 0)
		rel = "";
	size_t pl = strlen(best->point);
	const char *slash = pl > 0 && best->point[pl - 1] == '/' && rel[0] == '/' ? rel + 1 : rel;
	int w = snprintf(dir, dirlen, "%s%s%s", host_root, best->point, slash);
	if (w < 0 || (size_t)w >= dirlen) {
		errf(err, errlen, "cgroup directory path too long: %s%s%s", host_root, best->point, slash);
		return -2;
	}
	return 0;
}

/* A nul-terminated copy of the cgroup path of ctrl in the file text (which stays unmodified). */
static bool cgroup_path_of(const char *text, size_t len, const char *ctrl, char *out, size_t outlen)
{
	for (const char *line = text; line < text + len;) {
		const char *nl = memchr(line, '\n', (size_t)(text + len - line));
		const char *lend = nl ? nl : text + len;
		const char *c1 = memchr(line, ':', (size_t)(lend - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(lend - c1 - 1)) : NULL;
		if (c2) {
			bool hit;
			if (!ctrl[0]) {
				hit = c1 - line == 1 && line[0] == '0' && c2 == c1 + 1;
			} else {
				hit = false;
				for (const char *p = c1 + 1; p < c2 && !hit;) {
					const char *comma = memchr(p, ',', (size_t)(c2 - p));
					const char *wend = comma ? comma : c2;
					hit = (size_t)(wend - p) == strlen(ctrl) && memcmp(p, ctrl, (size_t)(wend - p)) == 0;
					p = wend + 1;
				}
			}
			if (hit) {
				size_t n = (size_t)(lend - c2 - 1);
				if (n >= outlen)
					return false;
				memcpy(out, c2 + 1, n);
				out[n] = '\0';
				return true;
			}
		}
		line = nl ? nl + 1 : text + len;
	}
	return false;
}

/* Opens the file of a slot, trying its names in order. Returns the fd, -1 when none opens (the first
 * failure is kept in first_errno/first_path for the message), or -2 out of memory (err set). */
static int open_slot(struct cgroup_reader *r, const struct file_spec *fs, const char *dir, char *err,
                     size_t errlen, int *first_errno, char *first_path, size_t first_len)
{
	for (size_t i = 0; i < ARRAY_LEN(fs->names) && fs->names[i]; i++) {
		char path[PATH_MAX];
		int w = snprintf(path, sizeof path, "%s/%s", dir, fs->names[i]);
		if (w < 0 || (size_t)w >= sizeof path)
			continue;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (!*first_errno) {
				*first_errno = errno;
				snprintf(first_path, first_len, "%s", path);
			}
			continue;
		}
		char *copy = strdup(path);
		if (!copy) {
			close(fd);
			errf(err, errlen, "out of memory");
			return -2;
		}
		r->fd[fs->slot] = fd;
		r->path[fs->slot] = copy;
		return fd;
	}
	return -1;
}

/* Is pid in the host's network namespace: that of init, or ours when init's is hidden from us (a
 * sandbox may refuse /proc/1/ns even to root)? */
static bool shares_host_netns(const char *root, int pid)
{
	char a[PATH_MAX], b[PATH_MAX];
	struct stat sa, sb;
	int wa = snprintf(a, sizeof a, "%s/proc/%d/ns/net", root, pid);
	int wb = snprintf(b, sizeof b, "%s/proc/1/ns/net", root);
	if (wa < 0 || (size_t)wa >= sizeof a || wb < 0 || (size_t)wb >= sizeof b || stat(a, &sa) < 0)
		return false;
	if (stat(b, &sb) < 0 && (root[0] || stat("/proc/self/ns/net", &sb) < 0))
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void cgroup_close(struct cgroup_reader *r)
{
	if (!r)
		return;
	for (int i = 0; i < S_COUNT; i++) {
		if (r->fd[i] >= 0)
			close(r->fd[i]);
		free(r->path[i]);
	}
	free(r->dir);
	free(r);
}

struct cgroup_reader *cgroup_open(const char *host_root, int pid, char *err, size_t errlen)
{
	char root[PATH_MAX], path[PATH_MAX], mipath[PATH_MAX], cgpath[PATH_MAX];
	char *v1dir[ARRAY_LEN(v1_ctrls)] = {NULL};
	if (err && errlen)
		err[0] = '\0';
	if (!host_root)
		host_root = "";
	/* A trailing slash would only double up in messages. */
	size_t rl = strlen(host_root);
	while (rl > 1 && host_root[rl - 1] == '/')
		rl--;
	if (rl == 1 && host_root[0] == '/')
		rl = 0;
	if (rl >= sizeof root) {
		errf(err, errlen, "host root too long: %s", host_root);
		return NULL;
	}
	memcpy(root, host_root, rl);
	root[rl] = '\0';
	if (pid <= 0) {
		errf(err, errlen, "invalid pid %d", pid);
		return NULL;
	}

	struct cgroup_reader *r = calloc(1, sizeof *r);
	if (!r) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	for (int i = 0; i < S_COUNT; i++)
		r->fd[i] = -1;
	char *cgtext = NULL, *mitext = NULL;
	struct mount *mounts = NULL;
	size_t cglen = 0;

	int w = snprintf(cgpath, sizeof cgpath, "%s/proc/%d/cgroup", root, pid);
	if (w < 0 || (size_t)w >= sizeof cgpath) {
		errf(err, errlen, "path too long: %s/proc/%d/cgroup", root, pid);
		goto fail;
	}
	cgtext = read_file(cgpath, &cglen);
	if (!cgtext) {
		int e = errno;
		errf(err, errlen, "cannot read %s: %s%s", cgpath, strerror(e),
		     e == ENOENT ? " (the process has exited, or host /proc is not mounted there)" : "");
		goto fail;
	}
	/* Our own mount table sees what we can open; with a host root, the host's init process sees the host. */
	w = snprintf(mipath, sizeof mipath, "%s/proc/%s/mountinfo", root, root[0] ? "1" : "self");
	if (w < 0 || (size_t)w >= sizeof mipath) {
		errf(err, errlen, "path too long: %s/proc/.../mountinfo", root);
		goto fail;
	}
	mitext = read_file(mipath, NULL);
	if (!mitext) {
		errf(err, errlen, "cannot read %s: %s", mipath, strerror(errno));
		goto fail;
	}
	int nm = parse_mountinfo(mitext, &mounts);
	if (nm < 0) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
	if (nm == 0) {
		errf(err, errlen, "no cgroup or cgroup2 file system in %s", mipath);
		goto fail;
	}

	/* v1 controllers first: on a hybrid host (cgroup2 mounted empty at /sys/fs/cgroup/unified) they hold
	 * the counters; only when neither memory nor cpuacct has a v1 hierarchy is the host pure v2. */
	char why[512] = "";
	for (size_t i = 0; i < ARRAY_LEN(v1_ctrls); i++) {
		char cg[PATH_MAX];
		if (!cgroup_path_of(cgtext, cglen, v1_ctrls[i], cg, sizeof cg))
			continue;
		int rc = resolve_dir(root, mounts, nm, false, v1_ctrls[i], cg, path, sizeof path, why, sizeof why);
		if (rc == -2) {
			errf(err, errlen, "%s", why);
			goto fail;
		}
		if (rc == 0 && !(v1dir[i] = strdup(path))) {
			errf(err, errlen, "out of memory");
			goto fail;
		}
	}
	bool v1 = v1dir[1] || v1dir[3]; /* cpuacct, memory */
	int first_errno = 0;
	char first_path[PATH_MAX] = "";

	if (v1) {
		r->version = 1;
		for (size_t i = 0; i < ARRAY_LEN(v1_files); i++) {
			const struct file_spec *fs = &v1_files[i];
			size_t c = 0;
			while (strcmp(v1_ctrls[c], fs->ctrl) != 0)
				c++;
			if (v1dir[c] && open_slot(r, fs, v1dir[c], err, errlen, &first_errno, first_path,
			                            sizeof first_path) == -2)
				goto fail;
		}
		r->dir = strdup(v1dir[3] ? v1dir[3] : v1dir[1]);
	} else {
		char cg[PATH_MAX], dir[PATH_MAX];
		if (!cgroup_path_of(cgtext, cglen, "", cg, sizeof cg)) {
			errf(err, errlen, "%s has neither a memory/cpuacct (v1) nor a \"0::\" (v2) line%s%s", cgpath,
			     why[0] ? "; " : "", why);
			goto fail;
		}
		/* The kernel marks a removed v2 cgroup in /proc/PID/cgroup. */
		size_t cl = strlen(cg);
		if (cl > 10 && strcmp(cg + cl - 10, " (deleted)") == 0) {
			errf(err, errlen, "cgroup %s of pid %d has been removed (container stopped?)", cg, pid);
			goto fail;
		}
		int rc = resolve_dir(root, mounts, nm, true, "", cg, dir, sizeof dir, why, sizeof why);
		if (rc < 0) {
			errf(err, errlen, "%s (mount table %s)", why, mipath);
			goto fail;
		}
		r->version = 2;
		for (size_t i = 0; i < ARRAY_LEN(v2_files); i++)
			if (open_slot(r, &v2_files[i], dir, err, errlen, &first_errno, first_path,
			              sizeof first_path) == -2)
				goto fail;
		r->dir = strdup(dir);
	}
	if (!r->dir) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
	if (r->fd[S_CPU_USAGE] < 0 && r->fd[S_MEM_USAGE] < 0) {
		if (first_errno)
			errf(err, errlen, "cannot open cgroup files of pid %d: %s: %s", pid, first_path,
			     strerror(first_errno));
		else
			errf(err, errlen, "no cgroup counters of pid %d found under %s", pid, r->dir);
		goto fail;
	}

	/* Network counters belong to the process's network namespace, not to its cgroup. A container on the
	 * host's network (--network host) would report the whole host's traffic, so it gets none, as with
	 * docker stats. */
	w = snprintf(path, sizeof path, "%s/proc/%d/net/dev", root, pid);
	if (w > 0 && (size_t)w < sizeof path && !shares_host_netns(root, pid)) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			r->path[S_NET] = strdup(path);
			if (!r->path[S_NET]) {
				close(fd);
				errf(err, errlen, "out of memory");
				goto fail;
			}
			r->fd[S_NET] = fd;
		}
	}

	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	r->host_cpus = ncpu > 0 ? (double)ncpu : 0;

	for (size_t i = 0; i < ARRAY_LEN(v1dir); i++)
		free(v1dir[i]);
	free(mounts);
	free(mitext);
	free(cgtext);
	return r;

fail:
	for (size_t i = 0; i < ARRAY_LEN(v1dir); i++)
		free(v1dir[i]);
	free(mounts);
	free(mitext);
	free(cgtext);
	cgroup_close(r);
	return NULL;
}

int cgroup_version(const struct cgroup_reader *r)
{
	return r->version;
}

const char *cgroup_dir(const struct cgroup_reader *r)
{
	return r->dir;
}

/* ---- cgroup_read ---------------------------------------------------------------------------------------- */

/* State of one cgroup_read: the first failure, kept for the message, and whether the cgroup was removed. */
struct read_state {
	struct cgroup_reader *r;
	bool gone;
	int err_errno;
	enum slot err_slot;
};

static void note_failure(struct read_state *st, enum slot s)
{
	int e = errno;
	/* kernfs answers ENODEV on a file whose cgroup directory was removed while it stayed open. */
	if (e == ENODEV && s != S_NET && !st->gone) {
		st->gone = true;
		st->err_errno = e;
		st->err_slot = s;
	} else if (!st->err_errno) {
		st->err_errno = e;
		st->err_slot = s;
	}
}

/* Reads the one-line file of slot s into buf; its length, or -1 when absent or failed. */
static ssize_t read_line_slot(struct read_state *st, enum slot s, char *buf, size_t size)
{
	if (st->r->fd[s] < 0)
		return -1;
	ssize_t n = read_small(st->r->fd[s], buf, size);
	if (n < 0)
		note_failure(st, s);
	return n;
}

static bool read_number(struct read_state *st, enum slot s, uint64_t *out)
{
	char buf[64];
	ssize_t n = read_line_slot(st, s, buf, sizeof buf);
	return n >= 0 && parse_u64_text(buf, (size_t)n, out);
}

static bool read_kv(struct read_state *st, enum slot s, struct kv_want *want, size_t n)
{
	if (st->r->fd[s] < 0)
		return false;
	struct kv_ctx c = {want, n};
	if (each_line(st->r->fd[s], kv_line, &c) < 0) {
		note_failure(st, s);
		return false;
	}
	return true;
}

/* The CPUs a container may use: the tighter of its CFS quota and its cpuset; the host's CPUs when neither
 * limits it. */
static void read_cpu_limit(struct read_state *st)
{
	struct cgroup_reader *r = st->r;
	char buf[1024];
	double quota_cpus = 0;
	uint64_t quota, period;
	r->has_quota = false;

	ssize_t n = read_line_slot(st, S_CPU_QUOTA, buf, sizeof buf);
	if (n >= 0 && r->version == 1) {
		/* cfs_quota_us is signed: -1 means no quota; the period is a file of its own. */
		if (buf[0] != '-' && parse_u64_text(buf, (size_t)n, &quota) && quota > 0 &&
		    read_number(st, S_CPU_PERIOD, &period) && period > 0)
			quota_cpus = (double)quota / (double)period;
		r->has_quota = quota_cpus > 0;
	} else if (n >= 0) {
		/* cpu.max: "max 100000" (no quota) or "50000 100000". */
		const char *p = buf, *end = buf + n;
		if (take_u64(&p, end, &quota) && take_u64(&p, end, &period) && quota > 0 && period > 0)
			quota_cpus = (double)quota / (double)period;
	}
	n = read_line_slot(st, S_CPUSET, buf, sizeof buf);
	unsigned cpuset = n >= 0 ? count_cpus(buf, (size_t)n) : 0;

	double lim = cpuset;
	if (quota_cpus > 0 && (lim <= 0 || quota_cpus < lim))
		lim = quota_cpus;
	if (lim <= 0)
		lim = r->host_cpus;
	r->cpu_limit_cpus = lim;
	if (lim > 0)
		r->limits_have |= SAMPLE_CPU_LIMIT;
}

static void read_mem_limit(struct read_state *st)
{
	struct cgroup_reader *r = st->r;
	char buf[64];
	uint64_t v;
	ssize_t n = read_line_slot(st, S_MEM_LIMIT, buf, sizeof buf);
	if (n < 0)
		return;
	if (r->version == 2 && strcmp(buf, "max") == 0) {
		r->mem_limit_bytes = 0;
		r->limits_have |= SAMPLE_MEM_LIMIT;
	} else if (parse_u64_text(buf, (size_t)n, &v)) {
		/* v1 says "unlimited" with a huge number (PAGE_COUNTER_MAX in bytes). */
		r->mem_limit_bytes = r->version == 1 && v >= V1_UNLIMITED ? 0 : v;
		r->limits_have |= SAMPLE_MEM_LIMIT;
	}
}

/* Limits change only with `docker update`, so they are re-read every LIMITS_EVERY_NS instead of every
 * sample: that saves a third of the reads. The OOM-kill counter moves rarely and the engine's `oom` event
 * says when (the collector then calls cgroup_recheck), so it is read every OOM_EVERY_NS; and on v1 the
 * throttling counters of cpu.stat are read only while a CFS quota is set, since without one nothing is
 * throttled. Every sample then costs the reads of the floor in tests/bench/floor.c and, on average, half a
 * read more. */
#define LIMITS_EVERY_NS (10 * (int64_t)1000000000)
#define OOM_EVERY_NS (10 * (int64_t)1000000000)

void cgroup_recheck(struct cgroup_reader *r)
{
	r->limits_read = false;
	r->oom_read = false;
}

int cgroup_read(struct cgroup_reader *r, struct sample *out, char *err, size_t errlen)
{
	struct read_state st = {.r = r};
	uint64_t v;
	memset(out, 0, sizeof *out);
	if (err && errlen)
		err[0] = '\0';

	/* CPU usage first and the clocks right after it, so that Δusage/Δtime compares like with like.
	 * On v2 cpu.stat also carries the throttling counters (only with the cpu controller enabled). */
	struct kv_want cpu[] = {{"usage_usec", 0, false}, {"nr_throttled", 0, false}, {"throttled_usec", 0, false}};
	if (r->version == 1) {
		if (read_number(&st, S_CPU_USAGE, &v)) {
			out->cpu_usage_ns = v;
			out->have |= SAMPLE_CPU;
		}
	} else if (read_kv(&st, S_CPU_USAGE, cpu, ARRAY_LEN(cpu)) && cpu[0].found) {
		out->cpu_usage_ns = cpu[0].value * 1000;
		out->have |= SAMPLE_CPU;
	}
	out->mono_ns = now_mono_ns();
	out->wall_ms = now_wall_ms();

	if (r->version == 1) {
		struct kv_want thr[] = {{"nr_throttled", 0, false}, {"throttled_time", 0, false}};
		if ((r->has_quota || !r->have_thr) && read_kv(&st, S_CPU_STAT, thr, ARRAY_LEN(thr)) && thr[0].found &&
		    thr[1].found) {
			r->thr_periods = thr[0].value;
			r->thr_ns = thr[1].value;
			r->have_thr = true;
		}
		if (r->have_thr) {
			out->throttled_periods = r->thr_periods;
			out->throttled_ns = r->thr_ns;
			out->have |= SAMPLE_THROTTLE;
		}
	} else if (cpu[1].found && cpu[2].found) {
		out->throttled_periods = cpu[1].value;
		out->throttled_ns = cpu[2].value * 1000;
		out->have |= SAMPLE_THROTTLE;
	}

	if (read_number(&st, S_MEM_USAGE, &v)) {
		out->mem_usage_bytes = v;
		out->have |= SAMPLE_MEM;
		struct kv_want inact[] = {{r->version == 1 ? "total_inactive_file" : "inactive_file", 0, false}};
		if (read_kv(&st, S_MEM_STAT, inact, 1) && inact[0].found)
			out->mem_inactive_file_bytes = inact[0].value;
	}
	/* v1 memory.oom_control has oom_kill since Linux 4.13; older kernels leave the bit clear. */
	if (!r->oom_read || out->mono_ns - r->oom_ns >= OOM_EVERY_NS) {
		struct kv_want oom[] = {{"oom_kill", 0, false}};
		r->have_oom = read_kv(&st, S_OOM, oom, 1) && oom[0].found;
		r->oom_kills = oom[0].value;
		r->oom_read = true;
		r->oom_ns = out->mono_ns;
	}
	if (r->have_oom) {
		out->oom_kills = r->oom_kills;
		out->have |= SAMPLE_OOM;
	}
	if (read_number(&st, S_PIDS, &v)) {
		out->pids = v;
		out->have |= SAMPLE_PIDS;
	}
	if (r->fd[S_IO] >= 0) {
		struct io_ctx io = {.v2 = r->version == 2};
		if (each_line(r->fd[S_IO], io_line, &io) < 0) {
			note_failure(&st, S_IO);
		} else {
			out->blk_read_bytes = io.rd;
			out->blk_write_bytes = io.wr;
			out->have |= SAMPLE_BLKIO;
		}
	}
	if (r->fd[S_NET] >= 0) {
		struct net_ctx net = {0};
		if (each_line(r->fd[S_NET], net_line, &net) < 0) {
			note_failure(&st, S_NET);
		} else {
			out->net_rx_bytes = net.rx;
			out->net_tx_bytes = net.tx;
			out->have |= SAMPLE_NET;
		}
	}
	if (!r->limits_read || out->mono_ns - r->limits_ns >= LIMITS_EVERY_NS) {
		r->limits_have = 0;
		read_cpu_limit(&st);
		read_mem_limit(&st);
		r->limits_read = true;
		r->limits_ns = out->mono_ns;
	}
	out->have |= r->limits_have;
	out->cpu_limit_cpus = r->cpu_limit_cpus;
	out->mem_limit_bytes = r->mem_limit_bytes;

	if (st.gone) {
		errf(err, errlen, "cgroup %s is gone (container stopped?): %s: %s", r->dir, r->path[st.err_slot],
		     strerror(st.err_errno));
		cgroup_recheck(r);
		r->have_thr = false;
		out->have = 0;
		return -1;
	}
	if (!(out->have & (SAMPLE_CPU | SAMPLE_MEM))) {
		if (st.err_errno)
			errf(err, errlen, "cannot read cgroup counters: %s: %s", r->path[st.err_slot],
			     strerror(st.err_errno));
		else
			errf(err, errlen, "cgroup %s has neither CPU nor memory counters", r->dir);
		return -1;
	}
	return 0;
}
