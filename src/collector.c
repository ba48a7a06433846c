/* collector.c — placeholder until the module lands. */
#include "collector.h"
