#ifndef LOOKOUT_CSV_H
#define LOOKOUT_CSV_H
#endif
