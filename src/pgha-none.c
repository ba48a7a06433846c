/* pgha-none.c — the PostgreSQL parts of issue 10 in a build without libpq (configure found no libpq-dev):
 * `report --from-pg` and LOOKOUT_NOTIFY_HA=pg are refused with a clear line; nothing else changes. */
#include "autoconfig.h"
#include "notifyha.h"
#include "reportpg.h"

#include <stdio.h>

#define NO_PQ "this lookout was built without PostgreSQL support (libpq); rebuild with libpq-dev installed"

int reportpg_read(const struct config *cfg, struct report *r, char *err, size_t errlen)
{
	(void)cfg;
	(void)r;
	snprintf(err, errlen, "report --from-pg: " NO_PQ);
	return 2;
}

int notifyha_start(const struct config *cfg, struct notifyha **out, char *err, size_t errlen)
{
	*out = NULL;
	if (cfg->notify_ha == 0)
		return 0;
	snprintf(err, errlen, "LOOKOUT_NOTIFY_HA=pg: " NO_PQ);
	return -1;
}

void notifyha_stop(struct notifyha *h) { (void)h; }

void notifyha_queued(struct notifyha *h, const char *msg_id, const struct email_item *items, size_t n)
{
	(void)h;
	(void)msg_id;
	(void)items;
	(void)n;
}

enum notifyha_verdict notifyha_gate(struct notifyha *h, const char *msg_id, int64_t created_ms, int64_t now_ms,
                                    char *why, size_t whylen)
{
	(void)h;
	(void)msg_id;
	(void)created_ms;
	(void)now_ms;
	if (why && whylen)
		why[0] = '\0';
	return NOTIFYHA_SEND;
}

void notifyha_done(struct notifyha *h, const char *msg_id, bool sent)
{
	(void)h;
	(void)msg_id;
	(void)sent;
}
