/*
 * obol Python binding: obol.Host, read-only queries of a host platform database
 * (hostsim's SQLite file, docs/host-platform.md):
 *
 *   with obol.Host("platform.db") as host:
 *       host.settlement(day=20261123)        # per operator and day
 *       host.blacklist(); host.blacklist_version; host.is_blacklisted(serial)
 *       host.transactions(serial=..., limit=100)
 *       host.exceptions(reason=...)
 *
 * hostsim's API reads through its own read-write connection and offers no listing of
 * transactions or stored settlement rows, so this opens the file read-only with
 * SQLite (SQLITE_OPEN_READONLY: nothing here can write) and queries the documented
 * schema (hostsim/src/host_schema.c, version 1). The file is checked as host_db_open()
 * checks it — application id "OBOL", schema version — and SQLite's result codes are
 * translated into the HOST_ERR_* classes the same way (HostIoError, HostCorruptError,
 * HostBusyError, HostSchemaError, HostDbError). Serials are the unsigned 64-bit values
 * (the schema stores a serial with its top bit set as a negative number).
 */
#include <sqlite3.h>
#include <string.h>

#include "obol_py.h"

#include "obol/host_db.h"
#include "obol/host_error.h"

typedef struct host_object {
    PyObject ob_base; /* PyObject_HEAD */
    sqlite3 *db;
    PyObject *path;
} host_object;

/* SQLite's result code -> HOST_ERR_*, as host_db.c translates it. */
static int host_code(int rc)
{
    switch (rc & 0xFF) {
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        return HOST_ERR_IO;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return HOST_ERR_CORRUPT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return HOST_ERR_BUSY;
    case SQLITE_NOMEM:
        return HOST_ERR_NOMEM;
    default:
        return HOST_ERR_DB;
    }
}

static PyObject *db_error(host_object *self, int rc, const char *what)
{
    obol_state *st = obol_state_of_type(Py_TYPE(self));
    const char *m = self->db != NULL ? sqlite3_errmsg(self->db) : sqlite3_errstr(rc);
    return obol_raisef(st, OBOL_FAM_HOST, host_code(rc), "%s: %s (SQLite %d)", what, m, rc);
}

static int check_open(host_object *self)
{
    if (self->db == NULL) {
        PyErr_SetString(PyExc_ValueError, "the host database is closed");
        return -1;
    }
    return 0;
}

/* One integer from a single-value query. */
static int query_int(host_object *self, const char *sql, int64_t *out)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(self->db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_OK) {
        db_error(self, rc, sql);
        return -1;
    }
    return 0;
}

static PyObject *host_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"db_path", NULL};
    PyObject *path_bytes = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&:Host", kwlist, PyUnicode_FSConverter,
                                     &path_bytes))
        return NULL;
    obol_state *st = obol_state_of_type(type);
    host_object *self = st != NULL ? (host_object *)type->tp_alloc(type, 0) : NULL;
    if (self == NULL)
        goto fail;
    const char *path = PyBytes_AS_STRING(path_bytes);
    if ((self->path = PyUnicode_DecodeFSDefault(path)) == NULL)
        goto fail;
    PyThreadState *ts = PyEval_SaveThread();
    int rc = sqlite3_open_v2(path, &self->db, SQLITE_OPEN_READONLY, NULL);
    PyEval_RestoreThread(ts);
    if (rc != SQLITE_OK) {
        obol_raisef(st, OBOL_FAM_HOST, host_code(rc), "%s: cannot open the platform database: %s",
                    path, self->db ? sqlite3_errmsg(self->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_busy_timeout(self->db, 5000);
    sqlite3_extended_result_codes(self->db, 1);
    /* What host_db_open() checks: an obol platform database of a known version. */
    int64_t app = 0, version = 0, tables = 0;
    if (query_int(self, "PRAGMA application_id", &app) != 0 ||
        query_int(self, "PRAGMA user_version", &version) != 0 ||
        query_int(self, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", &tables) != 0)
        goto fail;
    if (app != HOST_DB_APPLICATION_ID) {
        obol_raisef(st, OBOL_FAM_HOST, HOST_ERR_CORRUPT,
                    "%s: not an obol platform database (application id %lld%s)", path,
                    (long long)app, tables == 0 ? ", no tables" : "");
        goto fail;
    }
    if (version > HOST_DB_SCHEMA_VERSION || version < 1) {
        obol_raisef(st, OBOL_FAM_HOST, HOST_ERR_SCHEMA,
                    "%s: schema version %lld, this obol reads version %d", path, (long long)version,
                    HOST_DB_SCHEMA_VERSION);
        goto fail;
    }
    Py_DECREF(path_bytes);
    return (PyObject *)self;
fail:
    Py_XDECREF(path_bytes);
    Py_XDECREF(self);
    return NULL;
}

static void host_close_(host_object *self)
{
    if (self->db != NULL) {
        sqlite3_close_v2(self->db);
        self->db = NULL;
    }
}

static void host_dealloc(host_object *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    host_close_(self);
    Py_XDECREF(self->path);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* A column as Python: integers (serials unsigned when UNSIGNED), text, bytes, None. */
static PyObject *column(sqlite3_stmt *s, int i, int is_unsigned)
{
    switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER: {
        sqlite3_int64 v = sqlite3_column_int64(s, i);
        return is_unsigned ? PyLong_FromUnsignedLongLong((uint64_t)v) : PyLong_FromLongLong(v);
    }
    case SQLITE_FLOAT:
        return PyFloat_FromDouble(sqlite3_column_double(s, i));
    case SQLITE_TEXT:
        return PyUnicode_DecodeUTF8((const char *)sqlite3_column_text(s, i),
                                    sqlite3_column_bytes(s, i), "replace");
    case SQLITE_BLOB:
        return PyBytes_FromStringAndSize(sqlite3_column_blob(s, i), sqlite3_column_bytes(s, i));
    default:
        return Py_NewRef(Py_None);
    }
}

/* Columns whose integers are unsigned 64-bit identifiers. */
static int unsigned_column(const char *name)
{
    return strcmp(name, "serial") == 0 || strcmp(name, "terminal") == 0;
}

/* Binds the optional filters (NULL-able int64s), runs SQL and returns one dict per row. */
static PyObject *rows(host_object *self, const char *sql, int nbind, const int64_t *const *bind)
{
    if (check_open(self) != 0)
        return NULL;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(self->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return db_error(self, rc, "query");
    for (int i = 0; i < nbind; i++) {
        if (bind[i] != NULL)
            sqlite3_bind_int64(s, i + 1, *bind[i]);
        else
            sqlite3_bind_null(s, i + 1);
    }
    PyObject *out = PyList_New(0);
    int ncol = sqlite3_column_count(s);
    while (out != NULL && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        PyObject *d = PyDict_New();
        for (int i = 0; d != NULL && i < ncol; i++) {
            const char *name = sqlite3_column_name(s, i);
            PyObject *v = column(s, i, unsigned_column(name));
            if (v == NULL || PyDict_SetItemString(d, name, v) != 0)
                Py_CLEAR(d);
            Py_XDECREF(v);
        }
        if (d == NULL || PyList_Append(out, d) != 0)
            Py_CLEAR(out);
        Py_XDECREF(d);
    }
    if (out != NULL && rc != SQLITE_DONE) {
        Py_CLEAR(out);
        db_error(self, rc, "query");
    }
    sqlite3_finalize(s);
    return out;
}

/* An optional int64 keyword: NULL when None or absent. */
static int opt_int(PyObject *o, const char *what, int64_t *v, const int64_t **p)
{
    *p = NULL;
    if (o == NULL || o == Py_None)
        return 0;
    if (!PyLong_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int or None, not %.80s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    /* Serials and terminal ids are unsigned 64-bit; the schema keeps their bits. */
    unsigned long long u = PyLong_AsUnsignedLongLong(o);
    if (u == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        long long s = PyLong_AsLongLong(o);
        if (s == -1 && PyErr_Occurred())
            return -1;
        *v = s;
    } else {
        *v = (int64_t)u;
    }
    *p = v;
    return 0;
}

static PyObject *host_settlement(host_object *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"day", "operator", "stored", NULL};
    PyObject *day_o = NULL, *op_o = NULL;
    int stored = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OO$p:settlement", kwlist, &day_o, &op_o,
                                     &stored))
        return NULL;
    int64_t day, op;
    const int64_t *b[2];
    if (opt_int(day_o, "day", &day, &b[0]) != 0 || opt_int(op_o, "operator", &op, &b[1]) != 0)
        return NULL;
    if (stored)
        return rows(self,
                    "SELECT operator, day, purchases, purchase_amount, loads, load_amount, "
                    "computed FROM settlement WHERE (?1 IS NULL OR day = ?1) AND "
                    "(?2 IS NULL OR operator = ?2) ORDER BY day, operator",
                    2, b);
    /* host_settle_run()'s sums (hostsim/src/host_report.c), computed without storing:
     * kind 0 is a purchase (offline counter), kind 1 a load (online counter). */
    return rows(self,
                "SELECT operator, day, sum(kind = 0) AS purchases, "
                "sum(CASE WHEN kind = 0 THEN amount ELSE 0 END) AS purchase_amount, "
                "sum(kind = 1) AS loads, sum(CASE WHEN kind = 1 THEN amount ELSE 0 END) "
                "AS load_amount FROM txn WHERE (?1 IS NULL OR day = ?1) AND "
                "(?2 IS NULL OR operator = ?2) GROUP BY day, operator ORDER BY day, operator",
                2, b);
}

static PyObject *host_blacklist(host_object *self, PyObject *unused)
{
    (void)unused;
    return rows(self, "SELECT serial, reason, version FROM blacklist ORDER BY serial", 0, NULL);
}

static PyObject *host_is_blacklisted(host_object *self, PyObject *arg)
{
    int64_t serial;
    const int64_t *b[1];
    if (opt_int(arg, "serial", &serial, &b[0]) != 0)
        return NULL;
    if (b[0] == NULL)
        return PyErr_Format(PyExc_TypeError, "is_blacklisted() takes a card serial (an int)");
    PyObject *r = rows(self, "SELECT reason FROM blacklist WHERE serial = ?1", 1, b);
    if (r == NULL)
        return NULL;
    int listed = PyList_GET_SIZE(r) > 0;
    Py_DECREF(r);
    return PyBool_FromLong(listed);
}

static PyObject *host_get_blacklist_version(host_object *self, void *closure)
{
    (void)closure;
    int64_t v = 0;
    if (check_open(self) != 0 ||
        query_int(self, "SELECT coalesce(max(version), 0) FROM blacklist_change", &v) != 0)
        return NULL;
    return PyLong_FromLongLong(v);
}

static PyObject *host_transactions(host_object *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"serial", "terminal", "day", "limit", NULL};
    PyObject *serial_o = NULL, *term_o = NULL, *day_o = NULL, *limit_o = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OOOO:transactions", kwlist, &serial_o, &term_o,
                                     &day_o, &limit_o))
        return NULL;
    int64_t serial, term, day, limit;
    const int64_t *b[4];
    if (opt_int(serial_o, "serial", &serial, &b[0]) != 0 ||
        opt_int(term_o, "terminal", &term, &b[1]) != 0 || opt_int(day_o, "day", &day, &b[2]) != 0 ||
        opt_int(limit_o, "limit", &limit, &b[3]) != 0)
        return NULL;
    if (b[3] != NULL && limit < 0)
        return PyErr_Format(PyExc_ValueError, "limit must be >= 0");
    return rows(self,
                "SELECT id, batch, serial, kind, counter, type, card_type, amount, terminal, ttn, "
                "day, time, balance_before, balance_after, tac, key_version, alg, entry_station, "
                "exit_station, operator FROM txn "
                "WHERE (?1 IS NULL OR serial = ?1) AND (?2 IS NULL OR terminal = ?2) "
                "AND (?3 IS NULL OR day = ?3) ORDER BY id LIMIT coalesce(?4, -1)",
                4, b);
}

static PyObject *host_exceptions(host_object *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"reason", "severity", "limit", NULL};
    PyObject *reason_o = NULL, *sev_o = NULL, *limit_o = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OOO:exceptions", kwlist, &reason_o, &sev_o,
                                     &limit_o))
        return NULL;
    int64_t reason, sev, limit;
    const int64_t *b[3];
    if (opt_int(reason_o, "reason", &reason, &b[0]) != 0 ||
        opt_int(sev_o, "severity", &sev, &b[1]) != 0 ||
        opt_int(limit_o, "limit", &limit, &b[2]) != 0)
        return NULL;
    return rows(self,
                "SELECT id, at, source, severity, reason, terminal, batch_seq, batch, rec_index, "
                "serial, counter, detail FROM exception "
                "WHERE (?1 IS NULL OR reason = ?1) AND (?2 IS NULL OR severity = ?2) "
                "ORDER BY id LIMIT coalesce(?3, -1)",
                3, b);
}

static PyObject *host_close(host_object *self, PyObject *unused)
{
    (void)unused;
    host_close_(self);
    Py_RETURN_NONE;
}

static PyObject *host_enter(host_object *self, PyObject *unused)
{
    (void)unused;
    if (check_open(self) != 0)
        return NULL;
    return Py_NewRef(self);
}

static PyObject *host_exit(host_object *self, PyObject *args)
{
    (void)args;
    host_close_(self);
    Py_RETURN_FALSE;
}

static PyObject *host_get_path(host_object *self, void *closure)
{
    (void)closure;
    return Py_NewRef(self->path);
}

static PyObject *host_repr(host_object *self)
{
    return PyUnicode_FromFormat("<obol.Host %R%s>", self->path, self->db ? "" : " closed");
}

static PyMethodDef host_methods[] = {
    {"settlement", (PyCFunction)(void (*)(void))host_settlement, METH_VARARGS | METH_KEYWORDS,
     "settlement(day=None, operator=None, *, stored=False) -> list[dict]\n\nPer operator "
     "and day (YYYYMMDD): purchases, purchase_amount, loads, load_amount (fen), summed from "
     "the accepted transactions as a settlement run sums them; stored=True: the rows the "
     "last settlement run stored (with 'computed')."},
    {"blacklist", (PyCFunction)host_blacklist, METH_NOARGS,
     "blacklist() -> list[dict]\n\nThe current blacklist: serial, reason, version."},
    {"is_blacklisted", (PyCFunction)host_is_blacklisted, METH_O, "is_blacklisted(serial) -> bool"},
    {"transactions", (PyCFunction)(void (*)(void))host_transactions, METH_VARARGS | METH_KEYWORDS,
     "transactions(serial=None, terminal=None, day=None, limit=None) -> list[dict]\n\n"
     "Accepted transactions in the order received, every column of the txn table."},
    {"exceptions", (PyCFunction)(void (*)(void))host_exceptions, METH_VARARGS | METH_KEYWORDS,
     "exceptions(reason=None, severity=None, limit=None) -> list[dict]\n\nEverything the "
     "platform refused or flagged."},
    {"close", (PyCFunction)host_close, METH_NOARGS, "close()"},
    {"__enter__", (PyCFunction)host_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)host_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef host_getset[] = {
    {"blacklist_version", (getter)host_get_blacklist_version, NULL,
     "The current blacklist version (0 before any change).", NULL},
    {"path", (getter)host_get_path, NULL, "The database file.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot host_slots[] = {
    {Py_tp_new, host_new},
    {Py_tp_dealloc, host_dealloc},
    {Py_tp_repr, host_repr},
    {Py_tp_methods, host_methods},
    {Py_tp_getset, host_getset},
    {Py_tp_doc, "Host(db_path)\n\nA host platform database opened read-only: settlement, "
                "blacklist, transactions, exceptions. Raises HostError subclasses."},
    {0, NULL},
};

PyType_Spec obol_host_spec = {
    .name = "obol.Host",
    .basicsize = sizeof(host_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = host_slots,
};
