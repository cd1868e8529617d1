/*
 * obol Python binding: obol.Result, what Scenario.run() returns — the checks
 * (obol.Check), every metric the world measured (obol.METRICS names: percentiles,
 * counts), the charts' data as lists (histograms and time series), the headline
 * figures and the paths of the reports written. Built from the report model (rpt.h)
 * and the metrics the run's hooks collected, so it says exactly what the JUnit, HTML
 * and JSON reports say.
 */
#include "obol_py.h"

#include "structmember.h"

#include "obol/rpt.h"

typedef struct result_object {
    PyObject ob_base; /* PyObject_HEAD */
    PyObject *name, *file, *description, *seed, *passed, *error;
    PyObject *sim_seconds, *events, *wall_seconds;
    PyObject *checks;  /* list of obol.Check */
    PyObject *metrics; /* dict name -> float or None */
    PyObject *series;  /* dict chart id -> dict */
    PyObject *figures; /* dict name -> str */
    PyObject *reports; /* dict kind -> path */
} result_object;

static PyObject *text(const char *s)
{
    return s != NULL ? PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace")
                     : Py_NewRef(Py_None);
}

static PyObject *float_list(const double *v, size_t n)
{
    PyObject *l = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; l != NULL && i < n; i++) {
        PyObject *f = PyFloat_FromDouble(v[i]);
        if (f == NULL) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)i, f);
    }
    return l;
}

/* A chart as a dict: bars have N+1 edges in x and N counts in y; a line N points. */
static PyObject *chart_dict(const rpt_chart *ch)
{
    int bars = ch->kind == RPT_CHART_BARS;
    return obol_dict_build("kind", PyUnicode_FromString(bars ? "histogram" : "series"), "title",
                           text(ch->title), "xlabel", text(ch->xlabel), "ylabel", text(ch->ylabel),
                           "x", float_list(ch->x, bars ? ch->n + 1 : ch->n), "y",
                           float_list(ch->y, ch->n), "x_hours", PyBool_FromLong(ch->x_clock), "ref",
                           ch->has_ref ? PyFloat_FromDouble(ch->ref) : Py_NewRef(Py_None),
                           "ref_label", text(ch->ref_label), NULL);
}

PyObject *obol_result_new(obol_state *st, const rpt_scenario *rs, PyObject *metrics,
                          PyObject *reports, double wall)
{
    result_object *self = (result_object *)st->result_type->tp_alloc(st->result_type, 0);
    if (self == NULL)
        return NULL;
    int passed = rs->error == NULL;
    self->checks = PyList_New(0);
    self->figures = PyDict_New();
    self->series = PyDict_New();
    if (self->checks == NULL || self->figures == NULL || self->series == NULL)
        goto fail;
    for (size_t i = 0; i < rs->ncheck; i++) {
        PyObject *c = obol_check_new(st, rs->check[i]);
        if (c == NULL || PyList_Append(self->checks, c) != 0) {
            Py_XDECREF(c);
            goto fail;
        }
        Py_DECREF(c);
        passed &= rs->check[i]->status == RPT_PASS;
    }
    for (size_t i = 0; i < rs->nfig; i++) {
        PyObject *v = text(rs->fig[i].value);
        if (v == NULL || PyDict_SetItemString(self->figures, rs->fig[i].name, v) != 0) {
            Py_XDECREF(v);
            goto fail;
        }
        Py_DECREF(v);
    }
    for (size_t i = 0; i < rs->nchart; i++) {
        PyObject *d = chart_dict(rs->chart[i]);
        if (d == NULL || PyDict_SetItemString(self->series, rs->chart[i]->id, d) != 0) {
            Py_XDECREF(d);
            goto fail;
        }
        Py_DECREF(d);
    }
    self->metrics = Py_NewRef(metrics);
    self->reports = Py_NewRef(reports);
    if ((self->name = text(rs->name)) == NULL || (self->file = text(rs->file)) == NULL ||
        (self->description = text(rs->description)) == NULL ||
        (self->seed = PyLong_FromUnsignedLongLong(rs->seed)) == NULL ||
        (self->passed = PyBool_FromLong(passed)) == NULL ||
        (self->error = text(rs->error)) == NULL ||
        (self->sim_seconds = PyFloat_FromDouble(rs->sim_seconds)) == NULL ||
        (self->events = PyLong_FromUnsignedLongLong(rs->events)) == NULL ||
        (self->wall_seconds = PyFloat_FromDouble(wall)) == NULL)
        goto fail;
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

static int result_traverse(result_object *self, visitproc visit, void *arg)
{
    Py_VISIT(self->checks);
    Py_VISIT(self->metrics);
    Py_VISIT(self->series);
    Py_VISIT(self->figures);
    Py_VISIT(self->reports);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int result_clear(result_object *self)
{
    Py_CLEAR(self->name);
    Py_CLEAR(self->file);
    Py_CLEAR(self->description);
    Py_CLEAR(self->seed);
    Py_CLEAR(self->passed);
    Py_CLEAR(self->error);
    Py_CLEAR(self->sim_seconds);
    Py_CLEAR(self->events);
    Py_CLEAR(self->wall_seconds);
    Py_CLEAR(self->checks);
    Py_CLEAR(self->metrics);
    Py_CLEAR(self->series);
    Py_CLEAR(self->figures);
    Py_CLEAR(self->reports);
    return 0;
}

static void result_dealloc(result_object *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    result_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *result_check(result_object *self, PyObject *id)
{
    for (Py_ssize_t i = 0; self->checks != NULL && i < PyList_GET_SIZE(self->checks); i++) {
        PyObject *c = PyList_GET_ITEM(self->checks, i);
        PyObject *cid = PyObject_GetAttrString(c, "id");
        if (cid == NULL)
            return NULL;
        int eq = PyObject_RichCompareBool(cid, id, Py_EQ);
        Py_DECREF(cid);
        if (eq < 0)
            return NULL;
        if (eq)
            return Py_NewRef(c);
    }
    PyErr_SetObject(PyExc_KeyError, id);
    return NULL;
}

static PyObject *result_get_failed(result_object *self, void *closure)
{
    (void)closure;
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = 0; out != NULL && self->checks != NULL && i < PyList_GET_SIZE(self->checks);
         i++) {
        PyObject *c = PyList_GET_ITEM(self->checks, i);
        PyObject *p = PyObject_GetAttrString(c, "passed");
        if (p == NULL || (p == Py_False && PyList_Append(out, c) != 0))
            Py_CLEAR(out);
        Py_XDECREF(p);
    }
    return out;
}

static PyObject *result_repr(result_object *self)
{
    return PyUnicode_FromFormat("<obol.Result %S seed=%S %s, %zd checks>", self->name, self->seed,
                                self->passed == Py_True ? "passed" : "FAILED",
                                self->checks != NULL ? PyList_GET_SIZE(self->checks) : 0);
}

static PyObject *result_new_refused(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    (void)type;
    (void)args;
    (void)kwargs;
    return PyErr_Format(PyExc_TypeError, "Results are made by Scenario.run()");
}

#define M(name, doc)                                                                               \
    {                                                                                              \
#name, T_OBJECT_EX, offsetof(result_object, name), READONLY, doc                           \
    }
static PyMemberDef result_members[] = {
    M(name, "The scenario's name."),
    M(file, "The scenario file (as the library names it)."),
    M(description, "The scenario's description."),
    M(seed, "The seed the run used."),
    M(passed, "True when the run happened and every check passed."),
    M(error, "Why the scenario could not run, or None."),
    M(sim_seconds, "Virtual time simulated, seconds."),
    M(events, "Events the kernel fired."),
    M(wall_seconds, "Wall-clock time of the run, seconds (not in the reports)."),
    M(checks, "The checks, in the scenario's order: obol.Check objects."),
    M(metrics, "Every metric the world measured (obol.METRICS): name -> value, None when "
               "the run gave it no value. Percentiles such as tap_ms.p50 and tap_ms.p99."),
    M(series, "The charts' data: id -> dict(kind='histogram' (x: edges, y: counts) or "
              "'series' (x: hours of the day, y: values), title, xlabel, ylabel, ref)."),
    M(figures, "The headline figures of the report: name -> text."),
    M(reports, "The reports written: 'junit', 'html', 'json' -> path (empty without "
               "report_dir)."),
    {NULL, 0, 0, 0, NULL},
};
#undef M

static PyMethodDef result_methods[] = {
    {"check", (PyCFunction)result_check, METH_O,
     "check(id) -> Check\n\nThe check of requirement ID (KeyError when none)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef result_getset[] = {
    {"failed", (getter)result_get_failed, NULL, "The checks that did not pass.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot result_slots[] = {
    {Py_tp_new, result_new_refused},
    {Py_tp_dealloc, result_dealloc},
    {Py_tp_traverse, result_traverse},
    {Py_tp_clear, result_clear},
    {Py_tp_repr, result_repr},
    {Py_tp_members, result_members},
    {Py_tp_methods, result_methods},
    {Py_tp_getset, result_getset},
    {Py_tp_doc, "The outcome of Scenario.run(): checks, metrics, charts' data, reports."},
    {0, NULL},
};

PyType_Spec obol_result_spec = {
    .name = "obol.Result",
    .basicsize = sizeof(result_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .slots = result_slots,
};
