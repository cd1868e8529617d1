/*
 * obol host platform: the fault-injecting SQLite VFS (host_faultvfs.h). A shim in
 * SQLite's own test style: every file method forwards to the real VFS's file, and
 * xWrite/xTruncate consult the armed fault first.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "obol/host_faultvfs.h"

struct host_faultvfs {
    sqlite3_vfs vfs; /* first: SQLite hands us this pointer back */
    sqlite3_vfs *real;
    char name[64];
    int kind;
    long countdown;
    int armed;
    int persistent;
    long writes;
    long faults;
};

/* A file of the shim: ours, followed by the real VFS's file structure. */
typedef struct fault_file {
    sqlite3_file base;
    host_faultvfs *owner;
    sqlite3_file *real;
} fault_file;

#define REAL(f) (((fault_file *)(f))->real)

/* Called before a write: 0 to let it through, else the SQLite code to fail it with. */
static int fault_check(host_faultvfs *v)
{
    v->writes++;
    if (!v->armed)
        return 0;
    if (v->countdown > 0) {
        v->countdown--;
        return 0;
    }
    v->faults++;
    if (!v->persistent)
        v->armed = 0;
    return v->kind == HOST_FAULT_FULL ? SQLITE_FULL : SQLITE_IOERR_WRITE;
}

static int f_close(sqlite3_file *f)
{
    int rc = REAL(f)->pMethods != NULL ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;

    f->pMethods = NULL;
    return rc;
}

static int f_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
    return REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}

static int f_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
    int rc = fault_check(((fault_file *)f)->owner);

    return rc != 0 ? rc : REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    int rc = fault_check(((fault_file *)f)->owner);

    return rc != 0 ? rc : REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int f_sync(sqlite3_file *f, int flags)
{
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int f_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int f_lock(sqlite3_file *f, int lock)
{
    return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int f_unlock(sqlite3_file *f, int lock)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int f_check_lock(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int f_control(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int f_sector(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int f_caps(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int f_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}

static int f_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int f_shm_unmap(sqlite3_file *f, int del)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    /* No memory-mapped reads through the shim: every read goes through xRead. */
    (void)f;
    (void)off;
    (void)n;
    *pp = NULL;
    return SQLITE_OK;
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    (void)f;
    (void)off;
    (void)p;
    return SQLITE_OK;
}

static const sqlite3_io_methods FAULT_METHODS = {
    3,          f_close,       f_read,       f_write,   f_truncate, f_sync, f_size,
    f_lock,     f_unlock,      f_check_lock, f_control, f_sector,   f_caps, f_shm_map,
    f_shm_lock, f_shm_barrier, f_shm_unmap,  f_fetch,   f_unfetch,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
    host_faultvfs *v = (host_faultvfs *)vfs;
    fault_file *f = (fault_file *)file;
    int rc;

    f->owner = v;
    f->real = (sqlite3_file *)(f + 1);
    memset(f->real, 0, (size_t)v->real->szOsFile);
    rc = v->real->xOpen(v->real, name, f->real, flags, out_flags);
    /* SQLite calls xClose only when pMethods is set, so leave it NULL on failure. */
    f->base.pMethods = rc == SQLITE_OK && f->real->pMethods != NULL ? &FAULT_METHODS : NULL;
    return rc;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
    host_faultvfs *v = (host_faultvfs *)vfs;

    return v->real->xDelete(v->real, name, sync);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    host_faultvfs *v = (host_faultvfs *)vfs;

    return v->real->xAccess(v->real, name, flags, out);
}

static int v_fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    host_faultvfs *v = (host_faultvfs *)vfs;

    return v->real->xFullPathname(v->real, name, n, out);
}

static void *v_dlopen(sqlite3_vfs *vfs, const char *name)
{
    host_faultvfs *v = (host_faultvfs *)vfs;

    return v->real->xDlOpen(v->real, name);
}

static void v_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
    host_faultvfs *v = (host_faultvfs *)vfs;

    v->real->xDlError(v->real, n, out);
}

static void (*v_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    host_faultvfs *v = (host_faultvfs *)vfs;

    return v->real->xDlSym(v->real, h, sym);
}

static void v_dlclose(sqlite3_vfs *vfs, void *h)
{
    host_faultvfs *v = (host_faultvfs *)vfs;

    v->real->xDlClose(v->real, h);
}

static int v_random(sqlite3_vfs *vfs, int n, char *out)
{
    host_faultvfs *v = (host_faultvfs *)vfs;

    return v->real->xRandomness(v->real, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
    host_faultvfs *v = (host_faultvfs *)vfs;

    return v->real->xSleep(v->real, us);
}

static int v_time(sqlite3_vfs *vfs, double *out)
{
    host_faultvfs *v = (host_faultvfs *)vfs;

    return v->real->xCurrentTime(v->real, out);
}

static int v_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    host_faultvfs *v = (host_faultvfs *)vfs;

    return v->real->xGetLastError != NULL ? v->real->xGetLastError(v->real, n, out) : 0;
}

static int v_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    host_faultvfs *v = (host_faultvfs *)vfs;

    return v->real->xCurrentTimeInt64(v->real, out);
}

int host_faultvfs_new(const char *name, host_faultvfs **out)
{
    host_faultvfs *v;
    sqlite3_vfs *real;

    if (out == NULL || name == NULL || strlen(name) == 0 || strlen(name) >= 64)
        return HOST_ERR_ARG;
    *out = NULL;
    if (sqlite3_initialize() != SQLITE_OK)
        return HOST_ERR_DB;
    real = sqlite3_vfs_find(NULL);
    /* The shim forwards to a version-2 VFS at least (xCurrentTimeInt64). */
    if (real == NULL || real->iVersion < 2 || strcmp(real->zName, name) == 0)
        return HOST_ERR_ARG;
    v = calloc(1, sizeof *v);
    if (v == NULL)
        return HOST_ERR_NOMEM;
    strcpy(v->name, name);
    v->real = real;
    v->vfs.iVersion = 2;
    v->vfs.szOsFile = (int)sizeof(fault_file) + real->szOsFile;
    v->vfs.mxPathname = real->mxPathname;
    v->vfs.zName = v->name;
    v->vfs.xOpen = v_open;
    v->vfs.xDelete = v_delete;
    v->vfs.xAccess = v_access;
    v->vfs.xFullPathname = v_fullpath;
    v->vfs.xDlOpen = v_dlopen;
    v->vfs.xDlError = v_dlerror;
    v->vfs.xDlSym = v_dlsym;
    v->vfs.xDlClose = v_dlclose;
    v->vfs.xRandomness = v_random;
    v->vfs.xSleep = v_sleep;
    v->vfs.xCurrentTime = v_time;
    v->vfs.xGetLastError = v_last_error;
    v->vfs.xCurrentTimeInt64 = v_time64;
    if (sqlite3_vfs_register(&v->vfs, 0) != SQLITE_OK) {
        free(v);
        return HOST_ERR_DB;
    }
    *out = v;
    return 0;
}

void host_faultvfs_free(host_faultvfs *f)
{
    if (f == NULL)
        return;
    sqlite3_vfs_unregister(&f->vfs);
    free(f);
}

void host_faultvfs_arm(host_faultvfs *f, int kind, long after, int persistent)
{
    if (f == NULL)
        return;
    f->kind = kind;
    f->countdown = after < 0 ? 0 : after;
    f->persistent = persistent;
    f->armed = 1;
}

void host_faultvfs_disarm(host_faultvfs *f)
{
    if (f != NULL)
        f->armed = 0;
}

long host_faultvfs_writes(const host_faultvfs *f)
{
    return f == NULL ? 0 : f->writes;
}

long host_faultvfs_faults(const host_faultvfs *f)
{
    return f == NULL ? 0 : f->faults;
}
