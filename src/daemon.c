/* daemon.c — placeholder until the module lands. */
#include "daemon.h"
