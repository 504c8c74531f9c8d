/* Versions of the program and of the trace format it writes. */
#ifndef OAS_VERSION_H
#define OAS_VERSION_H

#define OASTWIN_VERSION "0.1.0"
#define OASTWIN_TRACE_SCHEMA_VERSION 1

#endif
