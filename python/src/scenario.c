/*
 * obol Python binding: obol.Scenario, a scenario file loaded and checked (scenario.h),
 * and its run on the world (sim_world.h):
 *
 *   sc = obol.Scenario("scenarios/replay_attack.xml")   # or a library name
 *   result = sc.run(seed=7, report_dir="out", setup=None)
 *
 * run() plays the scenario with the GIL released (other Python threads keep running;
 * hooks and actions take it back, world.c), evaluates the checks against the
 * requirement catalogue, writes the JUnit, HTML and JSON reports when asked, and
 * returns an obol.Result. A file that does not load raises obol.ScenarioError with
 * file and line; a world that cannot be built raises obol.SimulationError (its
 * 'result' attribute holds the report's view of the failed run).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "obol_py.h"

#include "obol/rpt.h"
#include "obol/scenario.h"
#include "obol/sim_world.h"

typedef struct scenario_object {
    PyObject ob_base; /* PyObject_HEAD */
    scenario sc;
    int loaded;
} scenario_object;

/* A bare name (no '/', no ".xml") that is not a file: NAME.xml of the library. */
static void resolve(const char *arg, char *out, size_t cap)
{
    struct stat sb;
    size_t n = strlen(arg);
    if (stat(arg, &sb) != 0 && strchr(arg, '/') == NULL &&
        (n < 4 || strcmp(arg + n - 4, ".xml") != 0))
        snprintf(out, cap, "%s/%s.xml", scn_schema_dir(), arg);
    else
        snprintf(out, cap, "%s", arg);
}

static PyObject *scenario_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"path", NULL};
    PyObject *path_bytes = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&:Scenario", kwlist, PyUnicode_FSConverter,
                                     &path_bytes))
        return NULL;
    obol_state *st = obol_state_of_type(type);
    scenario_object *self = NULL;
    if (st == NULL)
        goto out;
    if (PyBytes_GET_SIZE(path_bytes) == 0 || PyBytes_GET_SIZE(path_bytes) >= SCN_PATH_MAX) {
        PyErr_Format(PyExc_ValueError, "the scenario path must be 1 .. %d bytes", SCN_PATH_MAX - 1);
        goto out;
    }
    char path[SCN_PATH_MAX + 64], err[1600];
    resolve(PyBytes_AS_STRING(path_bytes), path, sizeof(path));
    if ((self = (scenario_object *)type->tp_alloc(type, 0)) == NULL)
        goto out;
    PyThreadState *ts = PyEval_SaveThread();
    int rc = scn_load(&self->sc, path, err, sizeof(err));
    PyEval_RestoreThread(ts);
    if (rc != 0) {
        obol_raise(st, OBOL_FAM_SCN, rc, err);
        Py_CLEAR(self);
        goto out;
    }
    self->loaded = 1;
out:
    Py_XDECREF(path_bytes);
    return (PyObject *)self;
}

static void scenario_dealloc(scenario_object *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    if (self->loaded)
        scn_free(&self->sc);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* Creates DIR and its missing parents. */
static int make_dirs(const char *dir)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s", dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    return mkdir(p, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes the three reports into DIR; fills REPORTS (kind -> path). 0 or -1 with an
 * exception set. */
static int write_reports(obol_state *st, const rpt_report *rep, const char *dir, PyObject *reports)
{
    static const struct {
        const char *kind, *file;
        int (*write)(const rpt_report *, const char *, char *, size_t);
    } kinds[] = {{"junit", "junit.xml", rpt_write_junit},
                 {"html", "index.html", rpt_write_html},
                 {"json", "report.json", rpt_write_json}};
    if (make_dirs(dir) != 0) {
        PyErr_Format(PyExc_OSError, "cannot create the report directory '%s': %s", dir,
                     strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        char path[1200], err[1400];
        snprintf(path, sizeof(path), "%s/%s", dir, kinds[i].file);
        PyThreadState *ts = PyEval_SaveThread();
        int rc = kinds[i].write(rep, path, err, sizeof(err));
        PyEval_RestoreThread(ts);
        if (rc != 0) {
            obol_raise(st, OBOL_FAM_REPORT, rc, err);
            return -1;
        }
        PyObject *p = PyUnicode_DecodeFSDefault(path);
        if (p == NULL || PyDict_SetItemString(reports, kinds[i].kind, p) != 0) {
            Py_XDECREF(p);
            return -1;
        }
        Py_DECREF(p);
    }
    return 0;
}

static PyObject *scenario_run(scenario_object *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"seed", "report_dir", "setup", "host_db", NULL};
    PyObject *seed_o = Py_None, *dir_o = Py_None, *setup = Py_None, *db_o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OOOO:run", kwlist, &seed_o, &dir_o, &setup,
                                     &db_o))
        return NULL;
    obol_state *st = obol_state_of_type(Py_TYPE(self));
    if (st == NULL)
        return NULL;
    sim_world_opts opts = {0};
    if (seed_o != Py_None) {
        unsigned long long v = PyLong_Check(seed_o) ? PyLong_AsUnsignedLongLong(seed_o) : 0;
        if (!PyLong_Check(seed_o) || (v == (unsigned long long)-1 && PyErr_Occurred())) {
            PyErr_Clear();
            return PyErr_Format(PyExc_ValueError, "seed must be an int 0 .. 2**64-1, not %R",
                                seed_o);
        }
        opts.seed = v;
        opts.has_seed = 1;
    }
    if (setup != Py_None && !PyCallable_Check(setup))
        return PyErr_Format(PyExc_TypeError,
                            "setup must be callable (it gets the World), not "
                            "%.80s",
                            Py_TYPE(setup)->tp_name);
    PyObject *dir_bytes = NULL, *db_bytes = NULL;
    if (dir_o != Py_None && !PyUnicode_FSConverter(dir_o, &dir_bytes))
        return NULL;
    if (db_o != Py_None) {
        if (!PyUnicode_FSConverter(db_o, &db_bytes)) {
            Py_XDECREF(dir_bytes);
            return NULL;
        }
        /* A fresh platform: the database file and its WAL companions go first. */
        static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
            char p[1100];
            snprintf(p, sizeof(p), "%s%s", PyBytes_AS_STRING(db_bytes), suffix[i]);
            if (remove(p) != 0 && errno != ENOENT) {
                PyErr_SetFromErrnoWithFilename(PyExc_OSError, p);
                Py_XDECREF(dir_bytes);
                Py_DECREF(db_bytes);
                return NULL;
            }
        }
        opts.host_db = PyBytes_AS_STRING(db_bytes);
    }

    PyObject *out = NULL, *reports = NULL, *metrics = NULL;
    rpt_report *rep = NULL;
    rpt_catalog cat = {0};
    obol_run *run = NULL;
    char err[1600];
    PyThreadState *ts = PyEval_SaveThread();
    int rc = rpt_catalog_load(&cat, rpt_catalog_default_path(), err, sizeof(err));
    PyEval_RestoreThread(ts);
    if (rc != 0) {
        obol_raise(st, OBOL_FAM_REPORT, rc, err);
        goto out;
    }
    if ((rep = rpt_report_new("obol conformance report")) == NULL) {
        PyErr_NoMemory();
        goto out;
    }
    if ((reports = PyDict_New()) == NULL || (run = obol_run_new(st, setup)) == NULL)
        goto out;
    obol_run_opts(run, &opts);

    /* The world only reads the scenario (runs in several threads may share it); the
     * object stays alive through this call. */
    Py_INCREF(self);
    double t0 = wall();
    obol_run_release(run);
    rc = sim_world_run(&self->sc, &opts, &cat, rep, err, sizeof(err));
    obol_run_acquire(run);
    double t1 = wall();
    Py_DECREF(self);

    if (obol_run_finish(run) != 0)
        goto out; /* a Python callback raised: that exception */
    if (dir_bytes != NULL && rep->n > 0 &&
        write_reports(st, rep, PyBytes_AS_STRING(dir_bytes), reports) != 0)
        goto out;
    if (rep->n == 0) {
        obol_raise(st, OBOL_FAM_SIM, rc != 0 ? rc : SIM_ERR_NOMEM, err);
        goto out;
    }
    metrics = obol_run_metrics(run);
    out = obol_result_new(st, rep->sc[rep->n - 1], metrics, reports, t1 - t0);
    if (out != NULL && rc != 0) {
        /* The world could not be built or stopped: raise, with the report's view. */
        obol_raise(st, OBOL_FAM_SIM, rc, err);
        PyObject *exc = obol_err_take();
        if (exc != NULL)
            PyObject_SetAttrString(exc, "result", out);
        obol_err_restore(exc);
        Py_CLEAR(out);
    }
out:
    obol_run_free(run);
    Py_XDECREF(metrics);
    Py_XDECREF(reports);
    Py_XDECREF(dir_bytes);
    Py_XDECREF(db_bytes);
    rpt_report_free(rep);
    rpt_catalog_free(&cat);
    return out;
}

static PyObject *get_str(const char *s)
{
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

static PyObject *scenario_get_name(scenario_object *self, void *c)
{
    (void)c;
    return get_str(self->sc.name);
}

static PyObject *scenario_get_path(scenario_object *self, void *c)
{
    (void)c;
    return PyUnicode_DecodeFSDefault(self->sc.path);
}

static PyObject *scenario_get_description(scenario_object *self, void *c)
{
    (void)c;
    return self->sc.description ? get_str(self->sc.description) : Py_NewRef(Py_None);
}

static PyObject *scenario_get_seed(scenario_object *self, void *c)
{
    (void)c;
    return PyLong_FromUnsignedLongLong(self->sc.seed);
}

static PyObject *scenario_get_cards(scenario_object *self, void *c)
{
    (void)c;
    return PyLong_FromUnsignedLong(self->sc.cards);
}

static PyObject *scenario_get_terminals(scenario_object *self, void *c)
{
    (void)c;
    return PyLong_FromLong(scn_terminals(&self->sc));
}

static PyObject *scenario_get_start(scenario_object *self, void *c)
{
    (void)c;
    return PyFloat_FromDouble((double)self->sc.start / SIM_S);
}

static PyObject *scenario_get_end(scenario_object *self, void *c)
{
    (void)c;
    return PyFloat_FromDouble((double)self->sc.end / SIM_S);
}

static PyObject *scenario_get_groups(scenario_object *self, void *c)
{
    (void)c;
    PyObject *l = PyList_New((Py_ssize_t)self->sc.ngroups);
    for (size_t i = 0; l != NULL && i < self->sc.ngroups; i++) {
        const scn_group *g = &self->sc.groups[i];
        PyObject *d =
            obol_dict_build("name", get_str(g->name), "stations", PyLong_FromLong(g->stations),
                            "per_station", PyLong_FromLong(g->per_station), NULL);
        if (d == NULL) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)i, d);
    }
    return l;
}

static PyObject *scenario_get_checks(scenario_object *self, void *c)
{
    (void)c;
    PyObject *l = PyList_New((Py_ssize_t)self->sc.nchecks);
    for (size_t i = 0; l != NULL && i < self->sc.nchecks; i++) {
        const scn_check *k = &self->sc.checks[i];
        PyObject *t = Py_BuildValue("(sssd)", k->id, k->metric, k->op, k->value);
        if (t == NULL) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)i, t);
    }
    return l;
}

static PyObject *scenario_repr(scenario_object *self)
{
    return PyUnicode_FromFormat("<obol.Scenario %s (%s)>", self->sc.name, self->sc.path);
}

static PyMethodDef scenario_methods[] = {
    {"run", (PyCFunction)(void (*)(void))scenario_run, METH_VARARGS | METH_KEYWORDS,
     "run(seed=None, report_dir=None, setup=None, host_db=None) -> Result\n\n"
     "Plays the scenario (with SEED instead of its own) with the GIL released, evaluates its "
     "checks and returns a Result. REPORT_DIR: write junit.xml, index.html and report.json "
     "there. SETUP: called with the World before the first event, to add hooks (world.on) "
     "and schedule actions (world.at). HOST_DB: keep the platform's database in this file "
     "(replaced) for obol.Host to read after the run."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef scenario_getset[] = {
    {"name", (getter)scenario_get_name, NULL, "The scenario's name.", NULL},
    {"path", (getter)scenario_get_path, NULL, "The file it was loaded from.", NULL},
    {"description", (getter)scenario_get_description, NULL, "Its description.", NULL},
    {"seed", (getter)scenario_get_seed, NULL, "Its own seed.", NULL},
    {"cards", (getter)scenario_get_cards, NULL, "Cards in the population.", NULL},
    {"terminals", (getter)scenario_get_terminals, NULL, "Number of terminals.", NULL},
    {"start", (getter)scenario_get_start, NULL, "Start, seconds of the day.", NULL},
    {"end", (getter)scenario_get_end, NULL, "End, seconds of the day.", NULL},
    {"groups", (getter)scenario_get_groups, NULL, "Terminal groups: name, stations, per_station.",
     NULL},
    {"checks", (getter)scenario_get_checks, NULL, "(id, metric, op, value) of each check.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot scenario_slots[] = {
    {Py_tp_new, scenario_new},
    {Py_tp_dealloc, scenario_dealloc},
    {Py_tp_repr, scenario_repr},
    {Py_tp_methods, scenario_methods},
    {Py_tp_getset, scenario_getset},
    {Py_tp_doc, "Scenario(path)\n\nA scenario file (or a name of the library in scenarios/), "
                "loaded and checked against the schema. Raises ScenarioError (file, line)."},
    {0, NULL},
};

PyType_Spec obol_scenario_spec = {
    .name = "obol.Scenario",
    .basicsize = sizeof(scenario_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = scenario_slots,
};
