/* follow.h — follows a growing log file as `tail -F` does: whole lines only, from a remembered position
 * (device, inode, offset), across rotation (rename + new file: the old one is read to its end first, even
 * when the rotation happened while nobody was following) and truncation. inotify on the directory wakes
 * the caller; a poll every CHECK_INTERVAL covers what inotify misses. It reads; it never interprets. */
#ifndef LOOKOUT_FOLLOW_H
#define LOOKOUT_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

struct follow_pos {
	uint64_t dev, ino;
	int64_t offset; /* just after the last line handed out */
};

struct follower;

/* Follows path (which may not exist yet). With pos (from a state file), resumes there: the rest of the
 * file with that inode (found under the path or a rotated name beside it) comes first. Without, starts at
 * the current end of the file (earlier lines were someone else's). NULL with a message on ENOMEM. */
struct follower *follower_new(const char *path, const struct follow_pos *pos, char *err, size_t errlen);
void follower_free(struct follower *f); /* NULL is fine */

/* Hands every new whole line (without its "\n") to cb, in order; cb returns 0 to go on, anything else to
 * stop: follower_read then returns at once and the next call starts with the line after. After cb returns,
 * follower_pos covers that line. A line longer than 1 MiB is skipped whole (never handed out, not even its
 * tail). Returns the number of lines handed out, or -1 with a message in err (a read error; the position
 * stays valid). */
int follower_read(struct follower *f, int (*cb)(const char *line, size_t len, void *arg), void *arg, char *err,
                  size_t errlen);

/* Position after the last line handed out. */
void follower_pos(const struct follower *f, struct follow_pos *out);

/* A descriptor that becomes readable when the directory changes (inotify), or -1 without inotify; then
 * follower_drain clears it and tells whether the change may concern the followed file (1) or not (0). */
int follower_fd(const struct follower *f);
int follower_drain(struct follower *f);

#endif
