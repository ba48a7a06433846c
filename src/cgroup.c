/* cgroup.c — placeholder until the module lands. */
#include "cgroup.h"
