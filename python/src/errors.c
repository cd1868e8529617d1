/*
 * obol Python binding: the exception hierarchy, generated from the libraries' error
 * tables (STYLE.md, principle 14).
 *
 *   obol.Error                      code, name (e.g. "COS_ERR_NOT_POWERED")
 *     CardError       COS_ERR_*     CardNotPoweredError, CardPowerLostError, ...
 *     HostError       HOST_ERR_*    HostMacError, HostIoError, ...
 *     ScenarioError   SCN_ERR_*     ScenarioSchemaError, ...; file and line
 *     SimulationError SIM_ERR_*     SimulationInvalError, ...
 *     ReportError     RPT_ERR_*     ReportIoError, ...
 *     ReplayError                   a replay that could not be made
 *       TraceError    TRACE_ERR_*   TraceSyntaxError, ...; file and line
 *
 * The per-code classes come from obol_errtab.h, which python/gen_errors.py writes from
 * the enums of cos_err.h, sim.h, scenario.h, trace.h and rpt.h at build time, and from
 * hostsim's X-macro HOST_ERRNO_MAP: a code added to a C header is a Python class at the
 * next build. Class names are the family's and the code's name in CamelCase
 * (COS_ERR_NOT_POWERED: CardNotPoweredError); each class's docstring is the header's
 * comment for its code.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "obol_errtab.h"
#include "obol_py.h"

#include "obol/cos_err.h"
#include "obol/host_error.h"
#include "obol/rpt.h"
#include "obol/scenario.h"
#include "obol/sim.h"
#include "obol/trace.h"

typedef struct errdef {
    int code;
    const char *name, *doc;
} errdef;

#define ERRDEF(code, name, doc)   {code, name, doc},
#define HOSTDEF(name, value, msg) {value, #name, msg},

static const errdef cos_errs[] = {OBOL_ERRTAB_COS(ERRDEF){0, NULL, NULL}};
static const errdef host_errs[] = {HOST_ERRNO_MAP(HOSTDEF){0, NULL, NULL}};
static const errdef scn_errs[] = {OBOL_ERRTAB_SCN(ERRDEF){0, NULL, NULL}};
static const errdef sim_errs[] = {OBOL_ERRTAB_SIM(ERRDEF){0, NULL, NULL}};
static const errdef trace_errs[] = {OBOL_ERRTAB_TRACE(ERRDEF){0, NULL, NULL}};
static const errdef rpt_errs[] = {OBOL_ERRTAB_RPT(ERRDEF){0, NULL, NULL}};

/* The families in obol_family order. PARENT -1: obol.Error. */
static const struct family_def {
    const char *cls;     /* the base class's name */
    const char *prefix;  /* class name prefix for the codes */
    const char *cprefix; /* the C names' prefix, for the name attribute */
    const errdef *codes;
    int located; /* messages start with FILE:LINE: */
    int parent;
    const char *doc;
} families[OBOL_FAM_COUNT] = {
    {"CardError", "Card", "COS_ERR_", cos_errs, 0, -1,
     "The card OS reported an internal fault (COS_ERR_*; protocol errors are status "
     "words in the response, not exceptions)."},
    {"HostError", "Host", "HOST_ERR_", host_errs, 0, -1,
     "The host platform failed (HOST_ERR_*): the database cannot be read, is not an obol "
     "platform database, or is of a newer schema."},
    {"ScenarioError", "Scenario", "SCN_ERR_", scn_errs, 1, -1,
     "A scenario file could not be loaded (SCN_ERR_*); file and line say where."},
    {"SimulationError", "Simulation", "SIM_ERR_", sim_errs, 0, -1,
     "The simulation could not run or an action on the world failed (SIM_ERR_*)."},
    {"TraceError", "Trace", "TRACE_ERR_", trace_errs, 1, OBOL_FAM_REPLAY,
     "An APDU trace could not be read (TRACE_ERR_*); file and line say where."},
    {"ReportError", "Report", "RPT_ERR_", rpt_errs, 0, -1,
     "A report or the requirement catalogue could not be read or written (RPT_ERR_*)."},
    {"ReplayError", NULL, NULL, NULL, 0, -1,
     "A replay could not be made: the trace cannot be read (TraceError) or a target "
     "failed outside the comparison."},
};

/* "NOT_POWERED" -> "NotPowered" into OUT. */
static void camel(const char *name, char *out, size_t cap)
{
    size_t n = 0;
    int up = 1;
    for (const char *p = name; *p && n + 1 < cap; p++) {
        if (*p == '_') {
            up = 1;
            continue;
        }
        out[n++] = up ? *p : (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        up = 0;
    }
    out[n] = '\0';
}

static int add_class(PyObject *m, const char *name, const char *doc, PyObject *base,
                     PyObject **slot)
{
    char qual[128];
    snprintf(qual, sizeof(qual), "obol.%s", name);
    PyObject *cls = PyErr_NewExceptionWithDoc(qual, doc, base, NULL);
    if (cls == NULL)
        return -1;
    *slot = cls;
    return PyModule_AddObjectRef(m, name, cls);
}

int obol_errors_init(PyObject *m, obol_state *st)
{
    if (add_class(m, "Error",
                  "Base of obol's exceptions: a library call failed. 'code' is the C error "
                  "code and 'name' its C name (e.g. COS_ERR_NOT_POWERED).",
                  PyExc_Exception, &st->error) != 0)
        return -1;
    /* Parents first: ReplayError is made before TraceError. */
    static const int order[OBOL_FAM_COUNT] = {OBOL_FAM_CARD,  OBOL_FAM_HOST,   OBOL_FAM_SCN,
                                              OBOL_FAM_SIM,   OBOL_FAM_REPLAY, OBOL_FAM_TRACE,
                                              OBOL_FAM_REPORT};
    for (int i = 0; i < OBOL_FAM_COUNT; i++) {
        int f = order[i];
        const struct family_def *fd = &families[f];
        PyObject *base = fd->parent >= 0 ? st->family[fd->parent] : st->error;
        if (add_class(m, fd->cls, fd->doc, base, &st->family[f]) != 0)
            return -1;
        for (const errdef *e = fd->codes; e != NULL && e->name != NULL; e++) {
            if (-e->code <= 0 || -e->code >= OBOL_CODES_MAX)
                continue; /* the binding has no room for it: the family's class is used */
            char cname[64], name[96];
            camel(e->name, cname, sizeof(cname));
            snprintf(name, sizeof(name), "%s%sError", fd->prefix, cname);
            if (add_class(m, name, e->doc, st->family[f], &st->code[f][-e->code]) != 0)
                return -1;
        }
    }
    return 0;
}

int obol_errors_traverse(obol_state *st, visitproc visit, void *arg)
{
    Py_VISIT(st->error);
    for (int f = 0; f < OBOL_FAM_COUNT; f++) {
        Py_VISIT(st->family[f]);
        for (int c = 0; c < OBOL_CODES_MAX; c++)
            Py_VISIT(st->code[f][c]);
    }
    return 0;
}

void obol_errors_clear(obol_state *st)
{
    Py_CLEAR(st->error);
    for (int f = 0; f < OBOL_FAM_COUNT; f++) {
        Py_CLEAR(st->family[f]);
        for (int c = 0; c < OBOL_CODES_MAX; c++)
            Py_CLEAR(st->code[f][c]);
    }
}

const char *obol_strerror(obol_family family, int code)
{
    switch (family) {
    case OBOL_FAM_CARD:
        return cos_strerror(code);
    case OBOL_FAM_HOST:
        return host_strerror(code);
    case OBOL_FAM_SCN:
        return scn_strerror(code);
    case OBOL_FAM_SIM:
        return sim_strerror(code);
    case OBOL_FAM_TRACE:
        return trace_strerror(code);
    case OBOL_FAM_REPORT:
        return rpt_strerror(code);
    default:
        return "replay failed";
    }
}

static const errdef *find(obol_family family, int code)
{
    for (const errdef *e = families[family].codes; e != NULL && e->name != NULL; e++)
        if (e->code == code)
            return e;
    return NULL;
}

/* Splits "FILE:LINE: text" into FILE and LINE; 0 when MSG has no such prefix. */
static int located(const char *msg, char *file, size_t cap, long *line)
{
    for (const char *p = strchr(msg, ':'); p != NULL; p = strchr(p + 1, ':')) {
        const char *q = p + 1;
        if (*q < '0' || *q > '9')
            continue;
        long v = 0;
        while (*q >= '0' && *q <= '9' && v < 100000000)
            v = v * 10 + (*q++ - '0');
        if (*q != ':')
            continue;
        size_t n = (size_t)(p - msg) < cap - 1 ? (size_t)(p - msg) : cap - 1;
        memcpy(file, msg, n);
        file[n] = '\0';
        *line = v;
        return 1;
    }
    return 0;
}

static int set_attr(PyObject *exc, const char *name, PyObject *v)
{
    if (v == NULL)
        return -1;
    int rc = PyObject_SetAttrString(exc, name, v);
    Py_DECREF(v);
    return rc;
}

PyObject *obol_raise(obol_state *st, obol_family family, int code, const char *msg)
{
    if (st == NULL) /* no module state: the caller's lookup set the error already */
        return NULL;
    const errdef *e = find(family, code);
    PyObject *cls = st->family[family];
    if (e != NULL && -code > 0 && -code < OBOL_CODES_MAX && st->code[family][-code] != NULL)
        cls = st->code[family][-code];
    if (msg == NULL || msg[0] == '\0')
        msg = obol_strerror(family, code);
    /* Messages carry paths and file content: any bytes, decoded leniently. */
    PyObject *text = PyUnicode_DecodeUTF8(msg, (Py_ssize_t)strlen(msg), "replace");
    PyObject *exc = text != NULL ? PyObject_CallOneArg(cls, text) : NULL;
    Py_XDECREF(text);
    if (exc == NULL)
        return NULL;
    char cname[96];
    if (e != NULL)
        snprintf(cname, sizeof(cname), "%s%s", families[family].cprefix, e->name);
    int ok =
        set_attr(exc, "code", PyLong_FromLong(code)) == 0 &&
        set_attr(exc, "name", e != NULL ? PyUnicode_FromString(cname) : Py_NewRef(Py_None)) == 0;
    if (ok && families[family].located) {
        char file[1024];
        long line = 0;
        int has = located(msg, file, sizeof(file), &line);
        ok = set_attr(exc, "file", has ? PyUnicode_DecodeFSDefault(file) : Py_NewRef(Py_None)) ==
                 0 &&
             set_attr(exc, "line", has ? PyLong_FromLong(line) : Py_NewRef(Py_None)) == 0;
    }
    if (ok)
        PyErr_SetObject(cls, exc);
    Py_DECREF(exc);
    return NULL;
}

PyObject *obol_raisef(obol_state *st, obol_family family, int code, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return obol_raise(st, family, code, msg);
}
