/* report.c — `lookout report` (being written). */
#include "autoconfig.h"
#include "report.h"

int report_run(const struct config *cfg)
{
	(void)cfg;
	fprintf(stderr, "lookout: report is not written yet\n");
	return 1;
}
