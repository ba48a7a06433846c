/* test_cgroup.c — the cgroup reader against hand-written trees in the kernel's formats (v1 hybrid, v2 with
 * both Docker cgroup drivers, a mount whose root is not "/"), then against this machine's own cgroups. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "tap.h"
#include "util.h"

#define V1_ID "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899"
#define V2_ID "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define SD_ID "0badc0de0badc0de0badc0de0badc0de0badc0de0badc0de0badc0de0badc0de"
#define NS_OUTER "1111111111111111111111111111111111111111111111111111111111111111"
#define NS_INNER "2222222222222222222222222222222222222222222222222222222222222222"

static char fixtures[PATH_MAX];

/* make check exports top_srcdir; a hand run from the source or build tree finds the fixtures nearby. */
static int find_fixtures(void)
{
	const char *cands[] = {getenv("top_srcdir"), ".", "..", "../.."};
	for (size_t i = 0; i < ARRAY_LEN(cands); i++) {
		struct stat st;
		if (!cands[i])
			continue;
		int n = snprintf(fixtures, sizeof fixtures, "%s/tests/fixtures/cgroup", cands[i]);
		if (n > 0 && (size_t)n < sizeof fixtures && stat(fixtures, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
	}
	return -1;
}

static const char *fixture(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", fixtures, name);
	return n > 0 && (size_t)n < len ? buf : "";
}

/* Opens the fixture tree name for pid and reads one sample; NULL (and a failed test) when either fails. */
static struct cgroup_reader *open_read(const char *name, int pid, struct sample *s)
{
	char root[PATH_MAX], err[512];
	struct cgroup_reader *r = cgroup_open(fixture(name, root, sizeof root), pid, err, sizeof err);
	if (!ok(r != NULL, "%s: cgroup_open", name)) {
		printf("#   %s\n", err);
		return NULL;
	}
	int rc = cgroup_read(r, s, err, sizeof err);
	if (!ok(rc == 0, "%s: cgroup_read", name))
		printf("#   %s\n", err);
	return r;
}

static void test_v1_hybrid(void)
{
	struct sample s;
	char want[PATH_MAX * 2], root[PATH_MAX];
	struct cgroup_reader *r = open_read("v1-cgroupfs", 4242, &s);
	if (!r)
		return;
	is_int(cgroup_version(r), 1, "v1-cgroupfs: the v1 controllers win over the empty cgroup2 at unified/");
	snprintf(want, sizeof want, "%s/sys/fs/cgroup/memory/docker/" V1_ID, fixture("v1-cgroupfs", root, sizeof root));
	is_str(cgroup_dir(r), want, "v1-cgroupfs: directory is host root + mountpoint + cgroup path");
	is_int(s.have, SAMPLE_CPU | SAMPLE_MEM | SAMPLE_MEM_LIMIT | SAMPLE_PIDS | SAMPLE_BLKIO | SAMPLE_NET |
	                   SAMPLE_OOM | SAMPLE_THROTTLE | SAMPLE_CPU_LIMIT,
	       "v1-cgroupfs: every counter read, and nothing only the API has");
	is_int(s.cpu_usage_ns, 987654321012LL, "v1: cpuacct.usage is nanoseconds");
	is_int(s.mem_usage_bytes, 52428800, "v1: memory.usage_in_bytes");
	is_int(s.mem_inactive_file_bytes, 8388608, "v1: total_inactive_file, not inactive_file");
	is_int(s.mem_limit_bytes, 67108864, "v1: memory.limit_in_bytes");
	is_int(s.pids, 7, "v1: pids.current");
	is_int(s.blk_read_bytes, 1048576 + 4096, "v1: throttle Read summed over devices");
	is_int(s.blk_write_bytes, 2097152 + 8192, "v1: throttle Write summed over devices (CFQ file ignored)");
	is_int(s.net_rx_bytes, 1000000 + 20000, "net/dev rx summed over interfaces but lo");
	is_int(s.net_tx_bytes, 300000 + 4000, "net/dev tx summed over interfaces but lo");
	is_int(s.oom_kills, 3, "v1: memory.oom_control oom_kill");
	is_int(s.throttled_periods, 250, "v1: cpu.stat nr_throttled");
	is_int(s.throttled_ns, 7500000000LL, "v1: cpu.stat throttled_time is nanoseconds");
	is_near(s.cpu_limit_cpus, 0.5, 1e-9, "v1: quota 50000 / period 100000 is half a CPU (tighter than cpuset 0-1)");
	ok(s.mono_ns > 0 && s.wall_ms > 1600000000000LL, "v1: sample carries both clocks");

	/* Reading again through the kept descriptors gives the same numbers. */
	struct sample s2;
	char err[512];
	is_int(cgroup_read(r, &s2, err, sizeof err), 0, "v1: second read");
	is_int(s2.cpu_usage_ns, s.cpu_usage_ns, "v1: second read re-reads from offset 0");
	is_int(s2.net_rx_bytes, s.net_rx_bytes, "v1: second read of net/dev from offset 0");
	ok(s2.mono_ns >= s.mono_ns, "v1: monotonic clock does not go back");
	cgroup_close(r);

	/* A trailing slash on the host root changes nothing. */
	char slashed[PATH_MAX + 1];
	snprintf(slashed, sizeof slashed, "%s/", root);
	r = cgroup_open(slashed, 4242, err, sizeof err);
	ok(r && strcmp(cgroup_dir(r), want) == 0, "v1: host root with a trailing slash");
	cgroup_close(r);
}

static void test_v2_cgroupfs(void)
{
	struct sample s;
	char want[PATH_MAX * 2], root[PATH_MAX];
	struct cgroup_reader *r = open_read("v2-cgroupfs", 5151, &s);
	if (!r)
		return;
	is_int(cgroup_version(r), 2, "v2-cgroupfs: version 2");
	snprintf(want, sizeof want, "%s/sys/fs/cgroup/docker/" V2_ID, fixture("v2-cgroupfs", root, sizeof root));
	is_str(cgroup_dir(r), want, "v2-cgroupfs: /docker/<id> under the cgroup2 mount");
	is_int(s.have, SAMPLE_CPU | SAMPLE_MEM | SAMPLE_MEM_LIMIT | SAMPLE_PIDS | SAMPLE_BLKIO | SAMPLE_NET |
	                   SAMPLE_OOM | SAMPLE_THROTTLE | SAMPLE_CPU_LIMIT,
	       "v2-cgroupfs: every counter read");
	is_int(s.cpu_usage_ns, 1234567000LL, "v2: usage_usec 1234567 is 1234567000 ns");
	is_int(s.throttled_periods, 45, "v2: nr_throttled");
	is_int(s.throttled_ns, 2500000000LL, "v2: throttled_usec in ns");
	is_int(s.mem_usage_bytes, 41943040, "v2: memory.current");
	is_int(s.mem_inactive_file_bytes, 5242880, "v2: memory.stat inactive_file");
	is_int(s.mem_limit_bytes, 134217728, "v2: memory.max");
	is_int(s.oom_kills, 1, "v2: memory.events oom_kill (not oom)");
	is_int(s.pids, 12, "v2: pids.current");
	is_int(s.blk_read_bytes, 1048576 + 4096, "v2: io.stat rbytes summed over devices");
	is_int(s.blk_write_bytes, 524288, "v2: io.stat wbytes summed over devices");
	is_int(s.net_rx_bytes, 555555, "v2: net rx");
	is_int(s.net_tx_bytes, 444444, "v2: net tx");
	is_near(s.cpu_limit_cpus, 1.5, 1e-9, "v2: cpu.max 150000 100000 is 1.5 CPUs (tighter than cpuset 0-3)");
	cgroup_close(r);
}

static void test_v2_systemd(void)
{
	struct sample s;
	char want[PATH_MAX * 2], root[PATH_MAX];
	struct cgroup_reader *r = open_read("v2-systemd", 6161, &s);
	if (!r)
		return;
	snprintf(want, sizeof want, "%s/sys/fs/cgroup/system.slice/docker-" SD_ID ".scope",
	         fixture("v2-systemd", root, sizeof root));
	is_str(cgroup_dir(r), want, "v2-systemd: /system.slice/docker-<id>.scope");
	is_int(s.have, SAMPLE_CPU | SAMPLE_MEM | SAMPLE_MEM_LIMIT | SAMPLE_PIDS | SAMPLE_NET | SAMPLE_OOM |
	                   SAMPLE_CPU_LIMIT,
	       "v2-systemd: no io.stat and no cpu controller leave BLKIO and THROTTLE clear");
	is_int(s.cpu_usage_ns, 42000, "v2-systemd: usage_usec 42");
	is_int(s.mem_limit_bytes, 0, "v2-systemd: memory.max \"max\" is unlimited (0)");
	is_int(s.mem_inactive_file_bytes, 1024000, "v2-systemd: inactive_file");
	is_int(s.oom_kills, 0, "v2-systemd: oom_kill 0");
	is_int(s.net_rx_bytes + s.net_tx_bytes, 0, "v2-systemd: only lo, so no traffic");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	is_near(s.cpu_limit_cpus, (double)ncpu, 1e-9, "v2-systemd: cpu.max \"max\" and no cpuset: the host's CPUs");
	cgroup_close(r);
}

static void test_v1_nsroot(void)
{
	struct sample s;
	char want[PATH_MAX * 2], root[PATH_MAX];
	struct cgroup_reader *r = open_read("v1-nsroot", 7171, &s);
	if (!r)
		return;
	snprintf(want, sizeof want, "%s/sys/fs/cgroup/memory/docker/" NS_INNER, fixture("v1-nsroot", root, sizeof root));
	is_str(cgroup_dir(r), want,
	       "nsroot: mount root /docker/<outer> is cut from the cgroup path (not the decoy root .../dock)");
	is_int(s.have, SAMPLE_CPU | SAMPLE_MEM | SAMPLE_MEM_LIMIT | SAMPLE_BLKIO | SAMPLE_NET | SAMPLE_THROTTLE |
	                   SAMPLE_CPU_LIMIT,
	       "nsroot: no pids hierarchy and an oom_control without oom_kill leave those bits clear");
	is_int(s.cpu_usage_ns, 5000000000LL, "nsroot: cpuacct.usage from the combined cpu,cpuacct hierarchy");
	is_int(s.mem_usage_bytes, 3000000, "nsroot: memory usage from the right directory");
	is_int(s.mem_limit_bytes, 0, "nsroot: 9223372036854771712 is unlimited (0)");
	is_int(s.blk_read_bytes, 4096, "nsroot: blkio.io_service_bytes_recursive when the throttle file is absent, "
	                               "under a mountpoint written with \\040");
	is_int(s.throttled_periods, 0, "nsroot: nr_throttled 0");
	is_near(s.cpu_limit_cpus, 4.0, 1e-9, "nsroot: quota -1, so the cpuset 0-2,5 counts: 4 CPUs");
	is_int(s.net_rx_bytes, 7000, "nsroot: net rx without lo");
	cgroup_close(r);
}

/* Writes text to dir/rel, creating the parents. */
static int put(const char *dir, const char *rel, const char *text)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof path, "%s/%s", dir, rel);
	if (n < 0 || (size_t)n >= sizeof path)
		return -1;
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int rc = fputs(text, f) < 0 ? -1 : 0;
	return fclose(f) || rc ? -1 : 0;
}

static void test_errors(void)
{
	char root[PATH_MAX], err[512];
	struct cgroup_reader *r = cgroup_open(fixture("v2-cgroupfs", root, sizeof root), 99999, err, sizeof err);
	ok(r == NULL, "errors: unknown pid fails");
	ok(strstr(err, "/proc/99999/cgroup") && strstr(err, strerror(ENOENT)),
	   "errors: message names the path and the errno text");
	printf("#   %s\n", err);

	/* Trees that cannot work, built on the fly. */
	char tmpl[] = "/tmp/test_cgroup.XXXXXX";
	char *dir = mkdtemp(tmpl);
	if (!ok(dir != NULL, "errors: temp dir"))
		return;
	const char *mi = "22 1 254:1 / / rw - ext4 /dev/vda1 rw\n";
	int setup = put(dir, "proc/1/mountinfo", mi) | put(dir, "proc/10/cgroup", "0::/docker/x\n") |
	            put(dir, "proc/11/cgroup", "0::/docker/y (deleted)\n") |
	            put(dir, "proc/12/cgroup", "0::/../sibling\n");
	ok(setup == 0, "errors: temp tree written");

	r = cgroup_open(dir, 10, err, sizeof err);
	ok(r == NULL && strstr(err, "no cgroup or cgroup2") && strstr(err, "/proc/1/mountinfo"),
	   "errors: no cgroup mount names the mount table");
	printf("#   %s\n", err);

	put(dir, "proc/1/mountinfo", "25 24 0:23 /docker/x /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
	r = cgroup_open(dir, 11, err, sizeof err);
	ok(r == NULL && strstr(err, "removed"), "errors: a \"(deleted)\" cgroup says it was removed");
	printf("#   %s\n", err);

	r = cgroup_open(dir, 12, err, sizeof err);
	ok(r == NULL && strstr(err, "--cgroupns=host"), "errors: a cgroup outside our namespace says what to do");
	printf("#   %s\n", err);

	/* The mount reaches the cgroup but its directory holds no counter files. */
	r = cgroup_open(dir, 10, err, sizeof err);
	ok(r == NULL && strstr(err, "sys/fs/cgroup/cpu.stat") && strstr(err, strerror(ENOENT)),
	   "errors: no counter files names the first missing file");
	printf("#   %s\n", err);

	/* One counter file is enough; the rest leave their bits clear. The net/dev of a process in the
	 * host's network namespace (the same ns inode as pid 1) is the host's traffic, so it is left out. */
	char nsdir[PATH_MAX], link[PATH_MAX + 8];
	put(dir, "sys/fs/cgroup/memory.current", "4096\n");
	put(dir, "proc/10/net/dev", "Inter-|\n face |\n  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
	put(dir, "proc/1/ns/net", "");
	snprintf(nsdir, sizeof nsdir, "%s/proc/10/ns", dir);
	snprintf(link, sizeof link, "%s/net", nsdir);
	ok(mkdir(nsdir, 0755) == 0 && symlink("../../1/ns/net", link) == 0, "errors: ns link written");
	r = cgroup_open(dir, 10, err, sizeof err);
	struct sample s;
	ok(r && cgroup_read(r, &s, err, sizeof err) == 0 && s.have == (SAMPLE_MEM | SAMPLE_CPU_LIMIT) &&
	       s.mem_usage_bytes == 4096,
	   "errors: memory.current alone gives memory and the host's CPUs; host network gives no net");
	cgroup_close(r);
	unlink(link);
	r = cgroup_open(dir, 10, err, sizeof err);
	ok(r && cgroup_read(r, &s, err, sizeof err) == 0 && (s.have & SAMPLE_NET) && s.net_rx_bytes == 1 &&
	       s.net_tx_bytes == 9,
	   "errors: a network namespace of its own gives net again");
	cgroup_close(r);
	cgroup_close(NULL);

	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

/* Spins for ms of wall time; the volatile sum keeps the loop from being optimised away. */
static unsigned long burn_cpu_ms(int ms)
{
	int64_t end = now_mono_ns() + (int64_t)ms * 1000000;
	volatile unsigned long x = 0;
	while (now_mono_ns() < end)
		for (int i = 0; i < 100000; i++)
			x = x + (unsigned long)i;
	return x;
}

/* Our own process through the same code path as a container's. Where our cgroup is a hierarchy's root (in
 * some sandboxes only the memory controller is per-process), the numbers are the whole machine's: they still
 * must be positive and grow. */
static void test_live(void)
{
	char err[512];
	struct cgroup_reader *r = cgroup_open(NULL, getpid(), err, sizeof err);
	if (!r) {
		ok(1, "# SKIP live: cannot open our own cgroup: %s", err);
		return;
	}
	printf("# live: cgroup v%d, %s\n", cgroup_version(r), cgroup_dir(r));
	struct sample a, b;
	int rc = cgroup_read(r, &a, err, sizeof err);
	if (!ok(rc == 0, "live: read our own cgroup"))
		printf("#   %s\n", err);
	ok((a.have & SAMPLE_CPU) && a.cpu_usage_ns > 0, "live: positive CPU usage");
	ok((a.have & SAMPLE_MEM) && a.mem_usage_bytes > 0, "live: positive memory usage");
	ok((a.have & SAMPLE_CPU_LIMIT) && a.cpu_limit_cpus > 0, "live: a CPU limit (quota, cpuset or host)");
	(void)burn_cpu_ms(100);
	rc = cgroup_read(r, &b, err, sizeof err);
	ok(rc == 0 && b.cpu_usage_ns > a.cpu_usage_ns, "live: CPU usage grows after burning 100 ms");
	printf("# live: +%.1f ms CPU over %.1f ms wall; memory %llu bytes\n",
	       (double)(b.cpu_usage_ns - a.cpu_usage_ns) / 1e6, (double)(b.mono_ns - a.mono_ns) / 1e6,
	       (unsigned long long)b.mem_usage_bytes);
	cgroup_close(r);
}

/* The real "container stopped": a child in a cgroup of its own under ours, which is then removed under an
 * open reader. Needs a writable cgroup file system (root); otherwise skipped with the reason. */
static void test_live_gone(void)
{
	char err[PATH_MAX + 512], sub[PATH_MAX], procs[PATH_MAX + 16];
	struct cgroup_reader *self = cgroup_open(NULL, getpid(), err, sizeof err);
	if (!self) {
		ok(1, "# SKIP gone: cannot open our own cgroup: %s", err);
		return;
	}
	int n = snprintf(sub, sizeof sub, "%s/lookout-test-%d", cgroup_dir(self), (int)getpid());
	cgroup_close(self);
	if (n < 0 || (size_t)n >= sizeof sub || mkdir(sub, 0755) < 0) {
		ok(1, "# SKIP gone: cannot create a cgroup under ours: %s", strerror(errno));
		return;
	}
	pid_t child = fork();
	if (child == 0) {
		for (;;)
			pause();
	}
	snprintf(procs, sizeof procs, "%s/cgroup.procs", sub);
	char pidtext[32];
	snprintf(pidtext, sizeof pidtext, "%d\n", (int)child);
	int fd = open(procs, O_WRONLY | O_CLOEXEC);
	bool moved = fd >= 0 && write(fd, pidtext, strlen(pidtext)) == (ssize_t)strlen(pidtext);
	int e = errno;
	if (fd >= 0)
		close(fd);
	struct cgroup_reader *r = moved ? cgroup_open(NULL, child, err, sizeof err) : NULL;
	if (!moved)
		snprintf(err, sizeof err, "cannot move a child into %s: %s", sub, strerror(e));
	struct sample s;
	bool before = r && cgroup_read(r, &s, err, sizeof err) == 0 && strcmp(cgroup_dir(r), sub) == 0;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	/* The cgroup can stay busy for a moment after its last task died. */
	int rm = -1;
	for (int i = 0; i < 100 && (rm = rmdir(sub)) < 0 && errno == EBUSY; i++)
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	if (!r || !before || rm < 0) {
		ok(1, "# SKIP gone: %s", !r || !before ? err : strerror(errno));
		cgroup_close(r);
		if (rm < 0)
			rmdir(sub);
		return;
	}
	ok(before, "gone: a child's own cgroup reads while it lives");
	int rc = cgroup_read(r, &s, err, sizeof err);
	ok(rc == -1 && strstr(err, "gone") && strstr(err, sub), "gone: reading a removed cgroup fails and says so");
	printf("#   %s\n", err);
	cgroup_close(r);
}

/* What is read only now and then: the OOM-kill counter (every 10 s, or at once after cgroup_recheck, as the
 * collector calls on an `oom` event) and, on v1, the throttling counters (every sample only while a CFS
 * quota is set). A copy of the v1 tree, so its files can change between reads. */
static void test_v1_sparse_reads(void)
{
	char tmpl[] = "/tmp/lookout-cgtest.XXXXXX", cmd[PATH_MAX * 3], root[PATH_MAX], err[512];
	if (!mkdtemp(tmpl)) {
		ok(0, "sparse: mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(cmd, sizeof cmd, "cp -R '%s/.' '%s'", fixture("v1-cgroupfs", root, sizeof root), tmpl);
	if (!ok(system(cmd) == 0, "sparse: copy of the v1 tree"))
		return;
	const char *mem = "sys/fs/cgroup/memory/docker/" V1_ID "/memory.oom_control";
	const char *cpu = "sys/fs/cgroup/cpu/docker/" V1_ID "/cpu.stat";
	const char *quota = "sys/fs/cgroup/cpu/docker/" V1_ID "/cpu.cfs_quota_us";
	struct cgroup_reader *r = cgroup_open(tmpl, 4242, err, sizeof err);
	struct sample s;
	if (!ok(r != NULL, "sparse: open") || !ok(cgroup_read(r, &s, err, sizeof err) == 0, "sparse: first read")) {
		cgroup_close(r);
		return;
	}
	is_int(s.oom_kills, 3, "sparse: first read has the OOM kills");
	int64_t first_ns = s.mono_ns;
	put(tmpl, mem, "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
	put(tmpl, cpu, "nr_periods 600\nnr_throttled 260\nthrottled_time 7600000000\n");
	cgroup_read(r, &s, err, sizeof err);
	/* (A machine that stalled 10 s between the reads has rightly read the file again.) */
	ok(s.oom_kills == 3 || (s.mono_ns - first_ns >= 10000000000LL && s.oom_kills == 4),
	   "sparse: within 10 s the OOM counter is the last one read (%llu)", (unsigned long long)s.oom_kills);
	ok(s.have & SAMPLE_OOM, "sparse: ... and still reported");
	is_int(s.throttled_periods, 260, "sparse: with a quota, throttling is read every sample");
	cgroup_recheck(r);
	cgroup_read(r, &s, err, sizeof err);
	is_int(s.oom_kills, 4, "sparse: after cgroup_recheck the new OOM count");

	/* The quota goes (docker update --cpu-quota -1): throttling can no longer move and is not read. */
	put(tmpl, quota, "-1\n");
	cgroup_recheck(r);
	cgroup_read(r, &s, err, sizeof err);
	put(tmpl, cpu, "nr_periods 700\nnr_throttled 999\nthrottled_time 9900000000\n");
	cgroup_read(r, &s, err, sizeof err);
	is_int(s.throttled_periods, 260, "sparse: without a quota the last throttling counters are repeated");
	ok(s.have & SAMPLE_THROTTLE, "sparse: ... so throttling shows as 0 %%, not unknown");
	put(tmpl, quota, "20000\n");
	cgroup_recheck(r);
	cgroup_read(r, &s, err, sizeof err);
	cgroup_read(r, &s, err, sizeof err);
	is_int(s.throttled_periods, 999, "sparse: a quota set again brings the counters back");
	cgroup_close(r);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpl);
}

int main(void)
{
	if (find_fixtures() < 0) {
		ok(0, "fixtures not found: set top_srcdir to the source tree");
		return tap_done();
	}
	test_v1_hybrid();
	test_v1_sparse_reads();
	test_v2_cgroupfs();
	test_v2_systemd();
	test_v1_nsroot();
	test_errors();
	test_live();
	test_live_gone();
	return tap_done();
}
