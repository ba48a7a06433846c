/* container.c — placeholder until the module lands. */
#include "container.h"
