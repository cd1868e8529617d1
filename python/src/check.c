/*
 * obol Python binding: obol.Check, one check of a scenario run — the requirement it
 * stands for (id, title, area, source from the catalogue), the metric measured, the
 * comparison and its outcome — read from the report model (rpt.h) after the run.
 * Immutable; made by Scenario.run() only.
 */
#include "obol_py.h"

#include "structmember.h"

#include "obol/rpt.h"

typedef struct check_object {
    PyObject ob_base; /* PyObject_HEAD */
    PyObject *id, *title, *area, *source, *metric, *op, *unit;
    PyObject *threshold, *value; /* float; value None when the metric had none */
    PyObject *status, *passed, *message, *detail, *trace;
} check_object;

static PyObject *str_or_none(const char *s)
{
    return s != NULL ? PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace")
                     : Py_NewRef(Py_None);
}

PyObject *obol_check_new(obol_state *st, const rpt_check *c)
{
    check_object *self = (check_object *)st->check_type->tp_alloc(st->check_type, 0);
    if (self == NULL)
        return NULL;
    static const char *const status_names[] = {"pass", "fail", "error"};
    int ok =
        (self->id = str_or_none(c->id)) != NULL && (self->title = str_or_none(c->title)) != NULL &&
        (self->area = str_or_none(c->area)) != NULL &&
        (self->source = str_or_none(c->source)) != NULL &&
        (self->metric = str_or_none(c->metric)) != NULL &&
        (self->op = str_or_none(c->op)) != NULL && (self->unit = str_or_none(c->unit)) != NULL &&
        (self->threshold = PyFloat_FromDouble(c->threshold)) != NULL &&
        (self->value =
             c->status == RPT_ERROR ? Py_NewRef(Py_None) : PyFloat_FromDouble(c->value)) != NULL &&
        (self->status = PyUnicode_FromString(c->status <= RPT_ERROR ? status_names[c->status]
                                                                    : "error")) != NULL &&
        (self->passed = PyBool_FromLong(c->status == RPT_PASS)) != NULL &&
        (self->message = str_or_none(c->message)) != NULL &&
        (self->detail = str_or_none(c->detail)) != NULL &&
        (self->trace = str_or_none(c->trace)) != NULL;
    if (!ok)
        Py_CLEAR(self);
    return (PyObject *)self;
}

static void check_dealloc(check_object *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    Py_XDECREF(self->id);
    Py_XDECREF(self->title);
    Py_XDECREF(self->area);
    Py_XDECREF(self->source);
    Py_XDECREF(self->metric);
    Py_XDECREF(self->op);
    Py_XDECREF(self->unit);
    Py_XDECREF(self->threshold);
    Py_XDECREF(self->value);
    Py_XDECREF(self->status);
    Py_XDECREF(self->passed);
    Py_XDECREF(self->message);
    Py_XDECREF(self->detail);
    Py_XDECREF(self->trace);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *check_repr(check_object *self)
{
    return PyUnicode_FromFormat("<obol.Check %S %S: %S>", self->id, self->status, self->message);
}

static PyObject *check_new_refused(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    (void)type;
    (void)args;
    (void)kwargs;
    return PyErr_Format(PyExc_TypeError, "Checks are made by Scenario.run()");
}

#define M(name, doc)                                                                               \
    {                                                                                              \
#name, T_OBJECT_EX, offsetof(check_object, name), READONLY, doc                            \
    }
static PyMemberDef check_members[] = {
    M(id, "The requirement id (reports/requirements.tsv), e.g. SEC-REPLAY-01."),
    M(title, "The requirement's title (None when the id is not in the catalogue)."),
    M(area, "The requirement's area (transit, pboc, security, ...)."),
    M(source, "The spec clause or seed budget the requirement comes from."),
    M(metric, "The metric checked, e.g. tap_ms.p99 (obol.METRICS)."),
    M(op, "The comparison: lt, le, gt, ge, eq or ne."),
    M(unit, "The metric's unit."),
    M(threshold, "The value the metric is compared with."),
    M(value, "The metric's value in this run; None when it had none (status 'error')."),
    M(status, "'pass', 'fail' or 'error' (could not be evaluated)."),
    M(passed, "True when the check passed."),
    M(message, "One line, e.g. 'tap_ms.p99 = 212.400 ms, required < 300 ms'."),
    M(detail, "Why it failed, what was seen (or None)."),
    M(trace, "An APDU trace excerpt that tells the story (or None)."),
    {NULL, 0, 0, 0, NULL},
};
#undef M

static PyType_Slot check_slots[] = {
    {Py_tp_new, check_new_refused},
    {Py_tp_dealloc, check_dealloc},
    {Py_tp_repr, check_repr},
    {Py_tp_members, check_members},
    {Py_tp_doc, "One check of a scenario run: requirement, metric, comparison, outcome."},
    {0, NULL},
};

PyType_Spec obol_check_spec = {
    .name = "obol.Check",
    .basicsize = sizeof(check_object),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = check_slots,
};
