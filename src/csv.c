/* csv.c — placeholder until the module lands. */
#include "csv.h"
