/*
 * obol host platform: a fault-injecting SQLite VFS for testing the store's failure
 * paths (STYLE.md: failures are injected through the store, not hoped for).
 *
 * host_faultvfs_new() registers with SQLite a VFS under NAME that forwards everything
 * to the default VFS, counts writes (xWrite, xTruncate) to every file (database, WAL,
 * journal) and, once armed, fails them with SQLITE_IOERR_WRITE or SQLITE_FULL. Open a
 * platform with host_db_options.vfs = NAME to put it under the shim. The platform
 * must see HOST_ERR_IO, roll the unit of work back, and work again once disarmed.
 *
 * SQLite's VFS registry is process-wide; this object owns its registration and must
 * outlive every connection that uses it. Not thread-safe (tests are single-threaded).
 */
#ifndef OBOL_HOST_FAULTVFS_H
#define OBOL_HOST_FAULTVFS_H

#include "obol/host_error.h"

typedef struct host_faultvfs host_faultvfs;

enum { HOST_FAULT_IOERR = 1, HOST_FAULT_FULL = 2 };

/* Registers the shim as NAME (up to 63 characters, not the default VFS). Returns 0,
 * HOST_ERR_ARG, HOST_ERR_NOMEM or HOST_ERR_DB. Free it with host_faultvfs_free(). */
int host_faultvfs_new(const char *name, host_faultvfs **out);

/* Unregisters and frees F. Connections through it must be closed first. */
void host_faultvfs_free(host_faultvfs *f);

/* Arms F: the next AFTER writes succeed, then writes fail with KIND (HOST_FAULT_*),
 * every write from then on when PERSISTENT, else only the first. */
void host_faultvfs_arm(host_faultvfs *f, int kind, long after, int persistent);
void host_faultvfs_disarm(host_faultvfs *f);

/* Writes seen and writes failed since F was created. */
long host_faultvfs_writes(const host_faultvfs *f);
long host_faultvfs_faults(const host_faultvfs *f);

#endif /* OBOL_HOST_FAULTVFS_H */
