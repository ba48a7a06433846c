/* docker.c — placeholder until the module lands. */
#include "docker.h"
