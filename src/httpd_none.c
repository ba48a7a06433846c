/* httpd_none.c — stands in for httpd.c when lookout is configured --without-httpd: the daemon then runs
 * without the HTTP server and says so once, unless LOOKOUT_LISTEN is off. */
#include "autoconfig.h"
#include "httpd.h"

#include <stdio.h>
#include <strings.h>

int httpd_start(const struct config *cfg, struct collector *c, const struct collector_opts *copts,
                struct httpd **out, char *err, size_t errlen)
{
	(void)c;
	(void)copts;
	*out = NULL;
	err[0] = '\0';
	if (!cfg->listen || !*cfg->listen || strcasecmp(cfg->listen, "off") == 0)
		return 0;
	snprintf(err, errlen, "this lookout was built without the HTTP server (libmicrohttpd); set LOOKOUT_LISTEN=off "
	                      "to silence this");
	return 1;
}

void httpd_stop(struct httpd *h) { (void)h; }
