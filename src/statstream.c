/* statstream.c — placeholder until the module lands. */
#include "statstream.h"
