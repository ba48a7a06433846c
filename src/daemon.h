#ifndef LOOKOUT_DAEMON_H
#define LOOKOUT_DAEMON_H
#endif
