/* pgsink-none.c — the PostgreSQL sink of a build without libpq (configure --without-postgresql, or libpq-dev
 * missing): no database can be configured, and saying so is the whole job. */
#include "autoconfig.h"
#include "pgsink.h"

#include <stdio.h>

int pgsink_start(const struct config *cfg, struct collector *c, struct pgsink **out, char *err, size_t errlen)
{
	(void)c;
	*out = NULL;
	if ((cfg->pg_url && *cfg->pg_url) || (cfg->pg_url_file && *cfg->pg_url_file)) {
		snprintf(err, errlen, "this lookout was built without PostgreSQL support (libpq): unset LOOKOUT_PG_URL "
		                      "(--pg) and LOOKOUT_PG_URL_FILE, or rebuild with libpq-dev installed");
		return -1;
	}
	return 0;
}

void pgsink_stop(struct pgsink *p)
{
	(void)p;
}
