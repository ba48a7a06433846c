/* fuzz.c — the helpers of fuzz.h shared by every fuzz target and the corpus replay. No parser logic. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

const char *fuzz_memfile(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("lookout-fuzz", MFD_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "fuzz: memfd_create: %s\n", strerror(errno));
			abort();
		}
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0) {
		fprintf(stderr, "fuzz: ftruncate: %s\n", strerror(errno));
		abort();
	}
	size_t done = 0;
	while (done < size) {
		ssize_t w = pwrite(fd, data + done, size - done, (off_t)done);
		if (w <= 0) {
			fprintf(stderr, "fuzz: pwrite: %s\n", strerror(errno));
			abort();
		}
		done += (size_t)w;
	}
	return path;
}

int fuzz_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}
