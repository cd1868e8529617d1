/*
 * obol Python binding: obol.replay() and obol.ReplayReport — an APDU trace (obol's
 * format, a pcsc-spy log or a GlobalPlatformPro log) played against obol.Card objects
 * with the replay library of `obol replay` (trace_replay.h), compared exactly or under
 * masks, the first divergence reported:
 *
 *   report = obol.replay("purchase.trace", card=[obol.Card("purse-funded"),
 *                                                obol.Card("psam", seed=1)])
 *   report.ok, report.exchanges, report.divergence, print(report.text)
 *
 * CARD is one card (or a profile name, or None for the default test card) for a trace
 * with one reader, a list (one per reader, in the order the trace names them or as
 * ONLY lists them) or a dict reader name -> card. Cards made from names are opened
 * for the replay and closed after it. The replay holds the GIL: the cards are in this
 * process and answer in microseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol_py.h"

#include "structmember.h"

typedef struct report_object {
    PyObject ob_base; /* PyObject_HEAD */
    PyObject *ok, *exchanges, *power_events, *masked_bytes, *masked_responses;
    PyObject *divergence; /* dict or None */
    PyObject *outcomes;   /* list of dicts */
    PyObject *text;       /* what `obol replay` prints */
    PyObject *trace;      /* the trace's path */
    PyObject *junit;      /* the JUnit XML (str), written by write_junit() */
} report_object;

#define MAX_READERS 16

const char obol_replay_doc[] =
    "replay(trace, card=None, *, masks=(), ignore_atr=False, format='auto', only=None, "
    "context=3) -> ReplayReport\n\n"
    "Plays the commands of TRACE (a path, or the trace's text as bytes) against cards and "
    "compares every response, exactly or under MASKS ('pboc', 'gp', 'known' or "
    "[CLA:]INS[/P1[/P2]]@OFF[+LEN]). CARD: an obol.Card, a profile name, None (the default "
    "test card), a list (one per reader) or a dict reader -> card. ONLY: the readers to "
    "replay. Raises TraceError (file, line) for a malformed trace, ValueError for cards "
    "that do not match the trace's readers.";

/* ---- targets ------------------------------------------------------------------------ */

typedef struct targets {
    PyObject *cards[MAX_READERS]; /* obol.Card per target (strong) */
    int owned[MAX_READERS];       /* made here from a name: closed after */
    trace_target tt[MAX_READERS];
    trace_target *by_reader[MAX_READERS + 1];
    size_t n;
} targets;

/* An obol.Card from SPEC (a Card, a profile name or path, or None). New reference. */
static PyObject *card_of(obol_state *st, PyObject *spec, int *owned)
{
    *owned = 0;
    if (obol_card_check(st, spec))
        return Py_NewRef(spec);
    if (spec != Py_None && !PyUnicode_Check(spec) && !PyBytes_Check(spec) &&
        !PyObject_HasAttrString(spec, "__fspath__"))
        return PyErr_Format(PyExc_TypeError,
                            "a replay target is an obol.Card, a profile name or None, not %.80s",
                            Py_TYPE(spec)->tp_name);
    *owned = 1;
    return PyObject_CallOneArg((PyObject *)st->card_type, spec);
}

static void targets_free(targets *tg)
{
    for (size_t i = 0; i < tg->n; i++) {
        if (tg->owned[i] && tg->cards[i] != NULL)
            obol_card_close(tg->cards[i]);
        Py_XDECREF(tg->cards[i]);
    }
}

/* Maps the trace's readers (the ONLY ones, or all) to the cards of SPEC. */
static int map_targets(obol_state *st, const trace_log *t, PyObject *spec, PyObject *only,
                       targets *tg)
{
    uint32_t want[MAX_READERS];
    size_t nwant = 0;
    if (only != NULL && only != Py_None) {
        PyObject *fast = PySequence_Fast(only, "only must be a list of reader names");
        if (fast == NULL)
            return -1;
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
            const char *name = PyUnicode_Check(PySequence_Fast_GET_ITEM(fast, i))
                                   ? PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(fast, i))
                                   : NULL;
            uint32_t k = 0;
            while (name != NULL && k < t->nreaders && strcmp(t->readers[k], name) != 0)
                k++;
            if (name == NULL || k == t->nreaders || nwant == MAX_READERS) {
                PyErr_Clear();
                PyErr_Format(PyExc_ValueError, "only: the trace has no reader %R",
                             PySequence_Fast_GET_ITEM(fast, i));
                Py_DECREF(fast);
                return -1;
            }
            want[nwant++] = k;
        }
        Py_DECREF(fast);
    } else {
        if (t->nreaders > MAX_READERS) {
            PyErr_Format(PyExc_ValueError,
                         "the trace has %u readers; replay at most %d at a time with only=",
                         t->nreaders, MAX_READERS);
            return -1;
        }
        for (uint32_t k = 0; k < t->nreaders; k++)
            want[nwant++] = k;
    }
    for (size_t i = 0; i < nwant; i++) {
        PyObject *s;
        if (PyDict_Check(spec)) {
            s = PyDict_GetItemString(spec, t->readers[want[i]]);
            if (s == NULL) {
                PyErr_Format(PyExc_ValueError, "card: no card for the trace's reader \"%s\"",
                             t->readers[want[i]]);
                return -1;
            }
        } else if (PyList_Check(spec) || PyTuple_Check(spec)) {
            if ((size_t)PySequence_Size(spec) != nwant) {
                PyErr_Format(PyExc_ValueError,
                             "the trace has %zu reader%s to replay (first \"%s\"), but %zd "
                             "card%s given",
                             nwant, nwant == 1 ? "" : "s", t->readers[want[0]],
                             PySequence_Size(spec), PySequence_Size(spec) == 1 ? " was" : "s were");
                return -1;
            }
            s = PySequence_Fast_GET_ITEM(spec, (Py_ssize_t)i);
        } else {
            if (nwant != 1) {
                PyErr_Format(PyExc_ValueError,
                             "the trace has %zu readers to replay (first \"%s\"), but one card "
                             "was given: pass a list or a dict of cards, or choose with only=",
                             nwant, t->readers[want[0]]);
                return -1;
            }
            s = spec;
        }
        PyObject *card = card_of(st, s, &tg->owned[tg->n]);
        if (card == NULL)
            return -1;
        tg->cards[tg->n] = card;
        if (obol_card_target(card, &tg->tt[tg->n]) != 0)
            return -1;
        tg->tt[tg->n].name = t->readers[want[i]];
        tg->by_reader[want[i]] = &tg->tt[tg->n];
        tg->n++;
    }
    return 0;
}

/* ---- the report ---------------------------------------------------------------------- */

static PyObject *bytes_of(const uint8_t *b, size_t n)
{
    return b != NULL ? PyBytes_FromStringAndSize((const char *)b, (Py_ssize_t)n)
                     : Py_NewRef(Py_None);
}

static PyObject *outcome_dict(const trace_replay *rp, const trace_outcome *o)
{
    static const char *const status[] = {"matched", "diverged", "not replayed"};
    const trace_event *e = &rp->t->ev[o->cmd_ev];
    const trace_event *r = o->rsp_ev != (size_t)-1 ? &rp->t->ev[o->rsp_ev] : NULL;
    const char *diff = "";
    if (o->status == TRACE_DIVERGED) {
        if (e->kind != TRACE_CMD)
            diff = "atr";
        else if (o->got == NULL)
            diff = "no answer";
        else if (r->len < 2 || o->gotlen < 2 || r->data[r->len - 2] != o->got[o->gotlen - 2] ||
                 r->data[r->len - 1] != o->got[o->gotlen - 1])
            diff = "status word";
        else if (r->len != o->gotlen)
            diff = "length";
        else
            diff = "data";
    }
    return obol_dict_build(
        "number", o->num ? PyLong_FromSize_t(o->num) : Py_NewRef(Py_None), "line",
        PyLong_FromUnsignedLong(e->line), "reader", PyUnicode_FromString(rp->t->readers[e->reader]),
        "event", PyUnicode_FromString(trace_kind_token(e->kind)), "command",
        e->kind == TRACE_CMD ? bytes_of(e->data, e->len) : Py_NewRef(Py_None), "expected",
        r != NULL ? bytes_of(r->data, r->len) : bytes_of(e->data, e->len), "got",
        bytes_of(o->got, o->gotlen), "status", PyUnicode_FromString(status[o->status]), "masked",
        PyLong_FromSize_t(o->masked), "offset",
        o->status == TRACE_DIVERGED && o->got != NULL && e->kind == TRACE_CMD
            ? PyLong_FromLong(o->diff)
            : Py_NewRef(Py_None),
        "differs", o->status == TRACE_DIVERGED ? PyUnicode_FromString(diff) : Py_NewRef(Py_None),
        "why", PyUnicode_DecodeUTF8(o->why, (Py_ssize_t)strlen(o->why), "replace"), NULL);
}

/* What `obol replay` prints: the summary line or the divergence report. */
static PyObject *report_text(const trace_replay *rp, int rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return PyErr_NoMemory();
    if (rc == 1) {
        trace_replay_print(rp, f);
    } else {
        size_t masked, nmasked, power = rp->nout - rp->nexchanges;
        trace_replay_masked(rp, &masked, &nmasked);
        fprintf(f, "replay: %s: %zu exchange%s", rp->t->path ? rp->t->path : "(trace)",
                rp->nexchanges, rp->nexchanges == 1 ? "" : "s");
        if (power)
            fprintf(f, " and %zu power-on%s", power, power == 1 ? "" : "s");
        fprintf(f, " replayed, all match");
        if (nmasked)
            fprintf(f, " (%zu bytes masked in %zu response%s)", masked, nmasked,
                    nmasked == 1 ? "" : "s");
        fprintf(f, "\n");
    }
    fclose(f);
    PyObject *s = PyUnicode_DecodeUTF8(buf, (Py_ssize_t)len, "replace");
    free(buf);
    return s;
}

/* The JUnit XML of the replay, as text. */
static PyObject *report_junit(const trace_replay *rp)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return PyErr_NoMemory();
    trace_replay_junit(rp, f);
    fclose(f);
    PyObject *s = PyUnicode_DecodeUTF8(buf, (Py_ssize_t)len, "replace");
    free(buf);
    return s;
}

static PyObject *report_new(obol_state *st, const trace_replay *rp, int rc, int from_text)
{
    report_object *self =
        (report_object *)st->replay_report_type->tp_alloc(st->replay_report_type, 0);
    if (self == NULL)
        return NULL;
    size_t masked, nmasked;
    trace_replay_masked(rp, &masked, &nmasked);
    self->outcomes = PyList_New(0);
    for (size_t i = 0; self->outcomes != NULL && i < rp->nout; i++) {
        PyObject *d = outcome_dict(rp, &rp->out[i]);
        if (d == NULL || PyList_Append(self->outcomes, d) != 0)
            Py_CLEAR(self->outcomes);
        Py_XDECREF(d);
    }
    if (self->outcomes == NULL ||
        (self->divergence = rc == 1 ? Py_NewRef(PyList_GET_ITEM(self->outcomes, rp->bad))
                                    : Py_NewRef(Py_None)) == NULL ||
        (self->ok = PyBool_FromLong(rc == 0)) == NULL ||
        (self->exchanges = PyLong_FromSize_t(rp->nexchanges)) == NULL ||
        (self->power_events = PyLong_FromSize_t(rp->nout - rp->nexchanges)) == NULL ||
        (self->masked_bytes = PyLong_FromSize_t(masked)) == NULL ||
        (self->masked_responses = PyLong_FromSize_t(nmasked)) == NULL ||
        (self->text = report_text(rp, rc)) == NULL ||
        (self->trace = rp->t->path && !from_text ? PyUnicode_DecodeFSDefault(rp->t->path)
                                                 : Py_NewRef(Py_None)) == NULL ||
        (self->junit = report_junit(rp)) == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

/* ---- obol.replay() ------------------------------------------------------------------- */

PyObject *obol_replay(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"trace",  "card", "masks",   "ignore_atr",
                             "format", "only", "context", NULL};
    PyObject *trace_o, *card = Py_None, *masks_o = NULL, *only = NULL;
    int ignore_atr = 0;
    const char *format = "auto";
    unsigned int context = 3;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O$OpsOI:replay", kwlist, &trace_o, &card,
                                     &masks_o, &ignore_atr, &format, &only, &context))
        return NULL;
    obol_state *st = obol_state_of(module);
    trace_log t;
    trace_masks masks = {0};
    trace_replay rp;
    targets tg;
    memset(&rp, 0, sizeof(rp));
    memset(&tg, 0, sizeof(tg));
    trace_log_init(&t);
    PyObject *out = NULL, *path_bytes = NULL;
    char err[1024];
    trace_format fmt;
    if (trace_format_parse(format, &fmt) != 0) {
        PyErr_Format(PyExc_ValueError, "format is 'auto', 'obol', 'pcsc-spy' or 'gpp', not '%s'",
                     format);
        goto out;
    }
    if (context > 1000) {
        PyErr_SetString(PyExc_ValueError, "context must be 0 .. 1000");
        goto out;
    }
    if (masks_o != NULL && masks_o != Py_None) {
        if (PyUnicode_Check(masks_o)) {
            PyErr_SetString(PyExc_TypeError, "masks is a list of mask specs, e.g. ['pboc']");
            goto out;
        }
        PyObject *fast = PySequence_Fast(masks_o, "masks is a list of mask specs");
        if (fast == NULL)
            goto out;
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
            PyObject *m = PySequence_Fast_GET_ITEM(fast, i);
            const char *spec = PyUnicode_Check(m) ? PyUnicode_AsUTF8(m) : NULL;
            if (spec == NULL) {
                Py_DECREF(fast);
                if (!PyErr_Occurred())
                    PyErr_Format(PyExc_TypeError, "a mask spec is a str, not %.80s",
                                 Py_TYPE(m)->tp_name);
                goto out;
            }
            int rc = trace_mask_add(&masks, spec, err, sizeof(err));
            if (rc != 0) {
                Py_DECREF(fast);
                if (rc == TRACE_ERR_NOMEM)
                    PyErr_NoMemory();
                else
                    PyErr_Format(PyExc_ValueError, "mask %R: %s", m, err);
                goto out;
            }
        }
        Py_DECREF(fast);
    }
    int rc;
    if (PyBytes_Check(trace_o) || PyByteArray_Check(trace_o)) {
        Py_buffer b;
        if (PyObject_GetBuffer(trace_o, &b, PyBUF_SIMPLE) != 0)
            goto out;
        rc = trace_load_text(&t, "(trace)", b.buf, (size_t)b.len, fmt, err, sizeof(err));
        PyBuffer_Release(&b);
    } else {
        if (!PyUnicode_FSConverter(trace_o, &path_bytes))
            goto out;
        PyThreadState *ts = PyEval_SaveThread();
        rc = trace_load(&t, PyBytes_AS_STRING(path_bytes), fmt, err, sizeof(err));
        PyEval_RestoreThread(ts);
    }
    if (rc != 0) {
        obol_raise(st, OBOL_FAM_TRACE, rc, err);
        goto out;
    }
    if (t.nreaders == 0) {
        obol_raise(st, OBOL_FAM_TRACE, TRACE_ERR_FORMAT, "the trace has no APDU exchanges");
        goto out;
    }
    if (map_targets(st, &t, card, only, &tg) != 0)
        goto out;
    rp.t = &t;
    rp.masks = &masks;
    rp.targets = tg.by_reader;
    rp.ignore_atr = ignore_atr;
    rp.context = context;
    rc = trace_replay_run(&rp);
    if (rc < 0) {
        if (rc == TRACE_ERR_NOMEM)
            PyErr_NoMemory();
        else
            obol_raise(st, OBOL_FAM_REPLAY, rc, trace_strerror(rc));
        goto out;
    }
    out = report_new(st, &rp, rc, path_bytes == NULL);
out:
    trace_replay_free(&rp);
    targets_free(&tg);
    trace_mask_free(&masks);
    trace_log_free(&t);
    Py_XDECREF(path_bytes);
    return out;
}

/* ---- ReplayReport type ------------------------------------------------------------- */

static int report_traverse(report_object *self, visitproc visit, void *arg)
{
    Py_VISIT(self->divergence);
    Py_VISIT(self->outcomes);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int report_clear(report_object *self)
{
    Py_CLEAR(self->ok);
    Py_CLEAR(self->exchanges);
    Py_CLEAR(self->power_events);
    Py_CLEAR(self->masked_bytes);
    Py_CLEAR(self->masked_responses);
    Py_CLEAR(self->divergence);
    Py_CLEAR(self->outcomes);
    Py_CLEAR(self->text);
    Py_CLEAR(self->trace);
    Py_CLEAR(self->junit);
    return 0;
}

static void report_dealloc(report_object *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    report_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *report_write_junit(report_object *self, PyObject *arg)
{
    PyObject *path_bytes;
    if (!PyUnicode_FSConverter(arg, &path_bytes))
        return NULL;
    FILE *f = fopen(PyBytes_AS_STRING(path_bytes), "w");
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(self->junit, &n);
    int ok = f != NULL && s != NULL && fwrite(s, 1, (size_t)n, f) == (size_t)n;
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    if (!ok && !PyErr_Occurred())
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, arg);
    Py_DECREF(path_bytes);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *report_repr(report_object *self)
{
    return PyUnicode_FromFormat("<obol.ReplayReport %S: %S exchanges, %s>", self->trace,
                                self->exchanges, self->ok == Py_True ? "all match" : "DIVERGED");
}

static PyObject *report_new_refused(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    (void)type;
    (void)args;
    (void)kwargs;
    return PyErr_Format(PyExc_TypeError, "ReplayReports are made by obol.replay()");
}

#define M(name, doc)                                                                               \
    {                                                                                              \
#name, T_OBJECT_EX, offsetof(report_object, name), READONLY, doc                           \
    }
static PyMemberDef report_members[] = {
    M(ok, "True when every response matched."),
    M(exchanges, "APDU exchanges replayed."),
    M(power_events, "Power-ons and warm resets replayed."),
    M(masked_bytes, "Response bytes ignored under the masks."),
    M(masked_responses, "Responses with masked bytes."),
    M(divergence, "The first divergence (an outcome dict: number, line, reader, command, "
                  "expected, got, offset, differs, why), or None."),
    M(outcomes, "Every exchange and power event: status 'matched', 'diverged' or "
                "'not replayed'."),
    M(text, "The report as `obol replay` prints it."),
    M(trace, "The trace's path (None for a trace given as text)."),
    M(junit, "The JUnit XML report (one test case per exchange)."),
    {NULL, 0, 0, 0, NULL},
};
#undef M

static PyMethodDef report_methods[] = {
    {"write_junit", (PyCFunction)report_write_junit, METH_O,
     "write_junit(path)\n\nWrites the JUnit XML report to PATH."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot report_slots[] = {
    {Py_tp_new, report_new_refused},
    {Py_tp_dealloc, report_dealloc},
    {Py_tp_traverse, report_traverse},
    {Py_tp_clear, report_clear},
    {Py_tp_repr, report_repr},
    {Py_tp_members, report_members},
    {Py_tp_methods, report_methods},
    {Py_tp_doc, "What obol.replay() found: every outcome and the first divergence."},
    {0, NULL},
};

PyType_Spec obol_replay_report_spec = {
    .name = "obol.ReplayReport",
    .basicsize = sizeof(report_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .slots = report_slots,
};
