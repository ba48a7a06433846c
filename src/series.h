#ifndef LOOKOUT_SERIES_H
#define LOOKOUT_SERIES_H
#endif
