/* series.c — placeholder until the module lands. */
#include "series.h"
