/* watcher.c — placeholder until the module lands. */
#include "watcher.h"
