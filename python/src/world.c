/*
 * obol Python binding: obol.World, the running world as Python code sees it during
 * Scenario.run() — in the setup callable, in hooks on the world's events and in
 * actions scheduled in virtual time — through the hook seam of sim_world.h:
 *
 *   def setup(world):
 *       world.on("tap", lambda world, ev: seen.append(ev))
 *       world.at(7 * 3600 + 1200, attack, "card")     # 07:20, virtual time
 *   def attack(world, kind):
 *       world.replay(kind)                            # one replay attempt now
 *       world.after(60, attack, kind)
 *   scenario.run(seed=1, setup=setup)
 *
 * While the world runs the GIL is released; every callback takes it back (the run's
 * saved thread state) and releases it again, so other Python threads keep running.
 * The world may be used only from those callbacks, on the thread running it: anywhere
 * else (another thread, after the run) its methods raise RuntimeError. The first
 * exception a callback raises stops the run and is raised again by Scenario.run().
 * Times are seconds of the scenario's day (07:00 is 25200.0).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "obol_py.h"

#include "obol/cos.h"
#include "obol/sim_world.h"

struct obol_run {
    obol_state *st;
    PyObject *world;                 /* the World object */
    PyObject *setup;                 /* the caller's setup callable, or NULL */
    PyObject *hooks[SIM_HOOK_COUNT]; /* lists of callables per kind */
    PyObject *actions;    /* list of (callable, args) scheduled, by index; None once fired */
    PyObject *metrics;    /* name -> value (None when the run gave it no value) */
    PyObject *exc;        /* the first exception a callback raised (with its traceback) */
    PyThreadState *ts;    /* the running thread's state while the GIL is released */
    PyThreadState *owner; /* the thread running the world */
    sim_world *w;         /* NULL outside setup .. the end of the run */
};

typedef struct world_object {
    PyObject ob_base; /* PyObject_HEAD */
    obol_run *run;    /* NULL once the run is over */
} world_object;

static const char *const hook_names[SIM_HOOK_COUNT] = {"tap", "settle", "blacklist", "attack",
                                                       "metric"};
static const char *const attack_names[3] = {"card", "terminal", "host"};

/* ---- the GIL around callbacks ------------------------------------------------------- */

/* Takes the GIL in a callback from the world; returns 1 when it was released before
 * (and must be released again with gil_leave), 0 when the caller holds it already (a
 * hook called from an action Python started). */
static int gil_enter(obol_run *r)
{
    if (r->ts == NULL)
        return 0;
    PyThreadState *ts = r->ts;
    r->ts = NULL;
    PyEval_RestoreThread(ts);
    return 1;
}

static void gil_leave(obol_run *r, int taken)
{
    if (taken)
        r->ts = PyEval_SaveThread();
}

/* Keeps the raised exception (the first one) and stops the world. */
static void run_failed(obol_run *r)
{
    if (r->exc != NULL) {
        PyErr_Clear();
        return;
    }
    r->exc = obol_err_take();
    if (r->exc == NULL)
        r->exc = PyObject_CallFunction(PyExc_RuntimeError, "s", "a callback failed");
    if (r->w != NULL) {
        char msg[300] = "a Python callback raised an exception";
        PyObject *s = r->exc != NULL ? PyObject_Str(r->exc) : NULL;
        const char *text = s != NULL ? PyUnicode_AsUTF8(s) : NULL;
        if (text != NULL)
            snprintf(msg, sizeof(msg), "a Python callback raised %s: %s", Py_TYPE(r->exc)->tp_name,
                     text);
        PyErr_Clear();
        Py_XDECREF(s);
        sim_world_fail(r->w, msg);
    }
}

/* ---- events as dicts ---------------------------------------------------------------- */

static PyObject *seconds(sim_time t)
{
    return PyFloat_FromDouble((double)t / SIM_S);
}

static PyObject *card_or_none(int64_t card)
{
    return card >= 0 ? PyLong_FromLongLong(card) : Py_NewRef(Py_None);
}

static PyObject *event_dict(obol_run *r, const sim_hook_event *ev)
{
    const scenario *sc = sim_world_scenario(r->w);
    PyObject *serial = ev->card >= 0
                           ? PyLong_FromUnsignedLongLong(sc->serial_base + (uint64_t)ev->card)
                           : Py_NewRef(Py_None);
    PyObject *term = ev->terminal >= 0 ? PyLong_FromLong(ev->terminal) : Py_NewRef(Py_None);
    PyObject *group = ev->group >= 0 && (size_t)ev->group < sc->ngroups
                          ? PyUnicode_FromString(sc->groups[ev->group].name)
                          : Py_NewRef(Py_None);
    PyObject *kind = PyUnicode_FromString(hook_names[ev->kind]);
    switch (ev->kind) {
    case SIM_HOOK_TAP:
        return obol_dict_build(
            "kind", kind, "time", seconds(ev->at), "card", card_or_none(ev->card), "serial", serial,
            "terminal", term, "group", group, "result", PyLong_FromLong(ev->result), "approved",
            PyBool_FromLong(ev->result == 1), "amount", PyLong_FromUnsignedLong(ev->amount),
            "duration", seconds(ev->duration), NULL);
    case SIM_HOOK_SETTLE:
        Py_DECREF(serial);
        return obol_dict_build("kind", kind, "time", seconds(ev->at), "terminal", term, "group",
                               group, "ok", PyBool_FromLong(ev->result == 0), "records",
                               PyLong_FromUnsignedLong(ev->records), "duplicates",
                               PyLong_FromUnsignedLong(ev->duplicates), "rejected",
                               PyLong_FromUnsignedLong(ev->rejected), NULL);
    case SIM_HOOK_BLACKLIST:
        Py_DECREF(serial);
        return obol_dict_build("kind", kind, "time", seconds(ev->at), "terminal", term, "group",
                               group, "version", PyLong_FromLong(ev->result), NULL);
    case SIM_HOOK_ATTACK:
        return obol_dict_build(
            "kind", kind, "time", seconds(ev->at), "attack",
            PyUnicode_FromString(ev->replay >= 0 && ev->replay < 3 ? attack_names[ev->replay]
                                                                   : "?"),
            "card", card_or_none(ev->card), "serial", serial, "terminal", term, "group", group,
            "result", PyLong_FromLong(ev->result), "accepted", PyBool_FromLong(ev->result == 1),
            "detected", PyBool_FromLong(ev->result == 0), "amount",
            PyLong_FromUnsignedLong(ev->amount), NULL);
    default:
        Py_DECREF(serial);
        Py_DECREF(term);
        Py_DECREF(group);
        return obol_dict_build("kind", kind, "time", seconds(ev->at), "name",
                               PyUnicode_FromString(ev->metric ? ev->metric : ""), "value",
                               ev->has_value ? PyFloat_FromDouble(ev->value) : Py_NewRef(Py_None),
                               NULL);
    }
}

/* ---- callbacks from the world ------------------------------------------------------- */

static void hook_cb(sim_world *w, const sim_hook_event *ev, void *ctx)
{
    (void)w;
    obol_run *r = ctx;
    int taken = gil_enter(r);
    if (r->exc != NULL)
        goto out; /* stopping: no more Python */
    if (ev->kind == SIM_HOOK_METRIC && ev->metric != NULL) {
        PyObject *v = ev->has_value ? PyFloat_FromDouble(ev->value) : Py_NewRef(Py_None);
        if (v == NULL || PyDict_SetItemString(r->metrics, ev->metric, v) != 0) {
            Py_XDECREF(v);
            run_failed(r);
            goto out;
        }
        Py_DECREF(v);
    }
    PyObject *list = r->hooks[ev->kind];
    if (list == NULL || PyList_GET_SIZE(list) == 0)
        goto out;
    PyObject *fns = PyList_AsTuple(list); /* a hook may add hooks */
    PyObject *d = fns != NULL ? event_dict(r, ev) : NULL;
    for (Py_ssize_t i = 0; d != NULL && i < PyTuple_GET_SIZE(fns); i++) {
        PyObject *res = PyObject_CallFunctionObjArgs(PyTuple_GET_ITEM(fns, i), r->world, d, NULL);
        if (res == NULL)
            break;
        Py_DECREF(res);
    }
    if (PyErr_Occurred())
        run_failed(r);
    Py_XDECREF(d);
    Py_XDECREF(fns);
out:
    gil_leave(r, taken);
}

static void action_cb(sim *s, void *arg, uint64_t index)
{
    (void)s;
    obol_run *r = arg;
    int taken = gil_enter(r);
    if (r->exc == NULL && (Py_ssize_t)index < PyList_GET_SIZE(r->actions)) {
        PyObject *item = Py_NewRef(PyList_GET_ITEM(r->actions, (Py_ssize_t)index));
        PyList_SetItem(r->actions, (Py_ssize_t)index, Py_NewRef(Py_None));
        if (item != Py_None) {
            PyObject *fn = PyTuple_GET_ITEM(item, 0), *args = PyTuple_GET_ITEM(item, 1);
            PyObject *full = PyTuple_New(PyTuple_GET_SIZE(args) + 1);
            PyObject *res = NULL;
            if (full != NULL) {
                PyTuple_SET_ITEM(full, 0, Py_NewRef(r->world));
                for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(args); i++)
                    PyTuple_SET_ITEM(full, i + 1, Py_NewRef(PyTuple_GET_ITEM(args, i)));
                res = PyObject_Call(fn, full, NULL);
                Py_DECREF(full);
            }
            if (res == NULL)
                run_failed(r);
            Py_XDECREF(res);
        }
        Py_DECREF(item);
    }
    gil_leave(r, taken);
}

static int setup_cb(sim_world *w, void *ctx)
{
    obol_run *r = ctx;
    int taken = gil_enter(r);
    int rc = 0;
    r->w = w;
    r->owner = PyThreadState_Get();
    ((world_object *)r->world)->run = r;
    /* The binding collects every metric for Result.metrics. */
    sim_world_set_hook(w, SIM_HOOK_METRIC, hook_cb, r);
    if (r->setup != NULL) {
        PyObject *res = PyObject_CallOneArg(r->setup, r->world);
        if (res == NULL) {
            run_failed(r);
            rc = SIM_ERR_INVAL;
        }
        Py_XDECREF(res);
    }
    gil_leave(r, taken);
    return rc;
}

/* Every 250 ms of wall time: Ctrl-C (a pending signal) stops the run. */
static void progress_cb(void *ctx, const scenario *sc, sim_time now, uint64_t events)
{
    (void)sc;
    (void)now;
    (void)events;
    obol_run *r = ctx;
    int taken = gil_enter(r);
    if (r->exc == NULL && PyErr_CheckSignals() != 0)
        run_failed(r);
    gil_leave(r, taken);
}

/* ---- the run ------------------------------------------------------------------------- */

obol_run *obol_run_new(obol_state *st, PyObject *setup)
{
    obol_run *r = PyMem_Calloc(1, sizeof(*r));
    if (r == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    r->st = st;
    r->setup = setup != NULL && setup != Py_None ? Py_NewRef(setup) : NULL;
    r->actions = PyList_New(0);
    r->metrics = PyDict_New();
    r->world = PyType_GenericNew(st->world_type, NULL, NULL);
    if (r->actions == NULL || r->metrics == NULL || r->world == NULL) {
        obol_run_free(r);
        return NULL;
    }
    return r;
}

void obol_run_opts(obol_run *r, struct sim_world_opts *opts)
{
    opts->setup = setup_cb;
    opts->setup_ctx = r;
    opts->progress = progress_cb;
    opts->progress_ctx = r;
}

void obol_run_release(obol_run *r)
{
    r->ts = PyEval_SaveThread();
}

void obol_run_acquire(obol_run *r)
{
    PyThreadState *ts = r->ts;
    r->ts = NULL;
    PyEval_RestoreThread(ts);
}

int obol_run_finish(obol_run *r)
{
    r->w = NULL;
    if (r->world != NULL)
        ((world_object *)r->world)->run = NULL;
    if (r->exc != NULL) {
        obol_err_restore(r->exc);
        r->exc = NULL;
        return -1;
    }
    return 0;
}

PyObject *obol_run_metrics(obol_run *r)
{
    return Py_NewRef(r->metrics);
}

void obol_run_free(obol_run *r)
{
    if (r == NULL)
        return;
    if (r->world != NULL)
        ((world_object *)r->world)->run = NULL;
    Py_XDECREF(r->world);
    Py_XDECREF(r->setup);
    for (int k = 0; k < SIM_HOOK_COUNT; k++)
        Py_XDECREF(r->hooks[k]);
    Py_XDECREF(r->actions);
    Py_XDECREF(r->metrics);
    Py_XDECREF(r->exc);
    PyMem_Free(r);
}

/* ---- World methods ------------------------------------------------------------------- */

/* The run, when SELF may be used now: inside a callback, on the running thread. */
static obol_run *live(world_object *self)
{
    obol_run *r = self->run;
    if (r == NULL || r->w == NULL) {
        PyErr_SetString(PyExc_RuntimeError,
                        "the world exists only during Scenario.run() (in setup, hooks and "
                        "scheduled actions)");
        return NULL;
    }
    if (r->ts != NULL || PyThreadState_Get() != r->owner) {
        PyErr_SetString(PyExc_RuntimeError,
                        "the world may be used only from its own callbacks, on the thread "
                        "running Scenario.run()");
        return NULL;
    }
    return r;
}

static PyObject *sim_error(obol_run *r, int rc, const char *what)
{
    return obol_raisef(r->st, OBOL_FAM_SIM, rc, "%s: %s", what,
                       rc == SIM_ERR_RANGE ? "not now (hooks nested too deep, the run is over, "
                                             "or a card session is open)"
                                           : sim_strerror(rc));
}

/* Parses a time in seconds (int or float) into virtual nanoseconds. */
static int time_arg(PyObject *o, const char *what, sim_time *out)
{
    double v = PyFloat_AsDouble(o);
    if (v == -1.0 && PyErr_Occurred()) {
        PyErr_Format(PyExc_TypeError, "%s must be a number of seconds, not %.80s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    if (!isfinite(v) || v < 0 || v > 9.0e9) {
        PyErr_Format(PyExc_ValueError, "%s must be 0 .. 9e9 seconds, not %R", what, o);
        return -1;
    }
    *out = (sim_time)llround(v * (double)SIM_S);
    return 0;
}

static PyObject *schedule(world_object *self, PyObject *args, int relative)
{
    obol_run *r = live(self);
    if (r == NULL)
        return NULL;
    const char *name = relative ? "after" : "at";
    if (PyTuple_GET_SIZE(args) < 2)
        return PyErr_Format(PyExc_TypeError,
                            "%s() takes a time and a callable, then its "
                            "arguments",
                            name);
    sim_time t;
    if (time_arg(PyTuple_GET_ITEM(args, 0), relative ? "the delay" : "the time", &t) != 0)
        return NULL;
    PyObject *fn = PyTuple_GET_ITEM(args, 1);
    if (!PyCallable_Check(fn))
        return PyErr_Format(PyExc_TypeError, "%s(): %.80s is not callable", name,
                            Py_TYPE(fn)->tp_name);
    sim *s = sim_world_sim(r->w);
    sim_time at = relative ? sim_now(s) + t : t;
    if (at < sim_now(s))
        return PyErr_Format(PyExc_ValueError, "at(): %.3f s is in the past (now %.3f s)",
                            (double)at / SIM_S, (double)sim_now(s) / SIM_S);
    PyObject *rest = PyTuple_GetSlice(args, 2, PyTuple_GET_SIZE(args));
    PyObject *item = rest != NULL ? PyTuple_Pack(2, fn, rest) : NULL;
    Py_XDECREF(rest);
    if (item == NULL)
        return NULL;
    Py_ssize_t index = PyList_GET_SIZE(r->actions);
    int ok = PyList_Append(r->actions, item) == 0;
    Py_DECREF(item);
    if (!ok)
        return NULL;
    sim_event_id id;
    int rc = sim_schedule(s, at, action_cb, r, (uint64_t)index, &id);
    if (rc != 0) {
        PyList_SetItem(r->actions, index, Py_NewRef(Py_None));
        return sim_error(r, rc, name);
    }
    return PyLong_FromUnsignedLongLong(id);
}

static PyObject *world_at(world_object *self, PyObject *args)
{
    return schedule(self, args, 0);
}

static PyObject *world_after(world_object *self, PyObject *args)
{
    return schedule(self, args, 1);
}

static PyObject *world_cancel(world_object *self, PyObject *arg)
{
    obol_run *r = live(self);
    if (r == NULL)
        return NULL;
    unsigned long long id = PyLong_AsUnsignedLongLong(arg);
    if (id == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        return PyErr_Format(PyExc_TypeError, "cancel() takes an event id from at() or after()");
    }
    return PyBool_FromLong(sim_cancel(sim_world_sim(r->w), id) == 0);
}

static PyObject *world_on(world_object *self, PyObject *args)
{
    const char *kind;
    PyObject *fn;
    if (!PyArg_ParseTuple(args, "sO:on", &kind, &fn))
        return NULL;
    obol_run *r = live(self);
    if (r == NULL)
        return NULL;
    int k = 0;
    while (k < SIM_HOOK_COUNT && strcmp(hook_names[k], kind) != 0)
        k++;
    if (k == SIM_HOOK_COUNT)
        return PyErr_Format(PyExc_ValueError,
                            "no event kind '%s' (tap, settle, blacklist, attack or metric)", kind);
    if (!PyCallable_Check(fn))
        return PyErr_Format(PyExc_TypeError, "on(): %.80s is not callable", Py_TYPE(fn)->tp_name);
    if (r->hooks[k] == NULL && (r->hooks[k] = PyList_New(0)) == NULL)
        return NULL;
    if (PyList_Append(r->hooks[k], fn) != 0)
        return NULL;
    sim_world_set_hook(r->w, (sim_hook_kind)k, hook_cb, r);
    Py_RETURN_NONE;
}

static int card_arg(obol_run *r, PyObject *o, uint64_t *card)
{
    unsigned long long v = PyLong_AsUnsignedLongLong(o);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "a card is its index in the population (an int >= 0), "
                     "not %R",
                     o);
        return -1;
    }
    const scenario *sc = sim_world_scenario(r->w);
    if (v >= sc->cards) {
        PyErr_Format(PyExc_IndexError, "card %llu: the population has %u cards", v, sc->cards);
        return -1;
    }
    *card = v;
    return 0;
}

static PyObject *world_tap(world_object *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"terminal", "card", "kind", "amount", NULL};
    int ti;
    PyObject *card_o;
    const char *kind = "flat";
    unsigned long amount = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "iO|sk:tap", kwlist, &ti, &card_o, &kind,
                                     &amount))
        return NULL;
    obol_run *r = live(self);
    uint64_t card;
    if (r == NULL || card_arg(r, card_o, &card) != 0)
        return NULL;
    if (ti < 0 || ti >= sim_world_terminals(r->w))
        return PyErr_Format(PyExc_IndexError, "terminal %d: the world has %d terminals", ti,
                            sim_world_terminals(r->w));
    static const char *const kinds[] = {"entry", "exit", "flat", "purchase"};
    int k = 0;
    while (k < 4 && strcmp(kinds[k], kind) != 0)
        k++;
    if (k == 4)
        return PyErr_Format(PyExc_ValueError, "no tap kind '%s' (entry, exit, flat or purchase)",
                            kind);
    if (amount > 100000000ul)
        return PyErr_Format(PyExc_ValueError, "amount %lu fen is out of range", amount);
    int result = 0;
    sim_time dur = 0;
    int rc = sim_world_tap(r->w, ti, card, (sim_tap_kind)(k + 1), (uint32_t)amount, &result, &dur);
    if (PyErr_Occurred()) /* a hook of the tap raised: the run is stopping */
        return NULL;
    if (rc != 0)
        return sim_error(r, rc, "tap");
    return obol_dict_build("result", PyLong_FromLong(result), "approved",
                           PyBool_FromLong(result == 1), "duration", seconds(dur), NULL);
}

static PyObject *world_replay(world_object *self, PyObject *arg)
{
    obol_run *r = live(self);
    if (r == NULL)
        return NULL;
    const char *kind = PyUnicode_Check(arg) ? PyUnicode_AsUTF8(arg) : NULL;
    int k = 0;
    while (kind != NULL && k < 3 && strcmp(attack_names[k], kind) != 0)
        k++;
    if (kind == NULL || k == 3) {
        PyErr_Clear();
        return PyErr_Format(PyExc_ValueError,
                            "replay() takes 'card', 'terminal' or 'host', "
                            "not %R",
                            arg);
    }
    int result = 0;
    int rc = sim_world_replay(r->w, (scn_attack)k, &result);
    if (PyErr_Occurred())
        return NULL;
    if (rc == SIM_ERR_NOENT)
        Py_RETURN_NONE; /* nothing captured yet */
    if (rc != 0)
        return sim_error(r, rc, "replay");
    return PyLong_FromLong(result);
}

static PyObject *world_capture(world_object *self, PyObject *args)
{
    int on = 1;
    if (!PyArg_ParseTuple(args, "|p:capture", &on))
        return NULL;
    obol_run *r = live(self);
    if (r == NULL)
        return NULL;
    int rc = sim_world_set_capture(r->w, on);
    if (rc != 0)
        return sim_error(r, rc, "capture");
    Py_RETURN_NONE;
}

static PyObject *world_blacklist(world_object *self, PyObject *arg)
{
    obol_run *r = live(self);
    uint64_t card;
    if (r == NULL || card_arg(r, arg, &card) != 0)
        return NULL;
    int rc = sim_world_blacklist(r->w, card);
    if (rc != 0)
        return sim_error(r, rc, "blacklist");
    Py_RETURN_NONE;
}

/* A card session: the APDUs in order, the responses collected. */
typedef struct session {
    PyObject *cmds; /* tuple of bytes */
    PyObject *out;  /* list of bytes */
    int cos_rc;     /* a card OS fault */
} session;

static int session_fn(void *ctx, cos_card *card, uint64_t now_us)
{
    session *se = ctx;
    uint8_t rsp[COS_RESP_MAX + 2];
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(se->cmds); i++) {
        PyObject *c = PyTuple_GET_ITEM(se->cmds, i);
        size_t n = 0;
        int rc = cos_transmit(card, now_us + (uint64_t)i, (const uint8_t *)PyBytes_AS_STRING(c),
                              (size_t)PyBytes_GET_SIZE(c), rsp, sizeof(rsp), &n);
        if (rc != 0) {
            se->cos_rc = rc;
            return 1;
        }
        PyObject *b = PyBytes_FromStringAndSize((const char *)rsp, (Py_ssize_t)n);
        if (b == NULL || PyList_Append(se->out, b) != 0) {
            Py_XDECREF(b);
            return 1;
        }
        Py_DECREF(b);
    }
    return 0;
}

static PyObject *world_transmit(world_object *self, PyObject *args)
{
    PyObject *card_o, *apdus;
    if (!PyArg_ParseTuple(args, "OO:transmit", &card_o, &apdus))
        return NULL;
    obol_run *r = live(self);
    uint64_t card;
    if (r == NULL || card_arg(r, card_o, &card) != 0)
        return NULL;
    if (PyBytes_Check(apdus) || PyUnicode_Check(apdus))
        return PyErr_Format(PyExc_TypeError,
                            "transmit() takes a list of APDUs (bytes), not "
                            "one %.80s",
                            Py_TYPE(apdus)->tp_name);
    PyObject *fast = PySequence_Fast(apdus, "transmit() takes a list of APDUs (bytes)");
    if (fast == NULL)
        return NULL;
    session se = {PyTuple_New(PySequence_Fast_GET_SIZE(fast)), PyList_New(0), 0};
    PyObject *out = NULL;
    if (se.cmds == NULL || se.out == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
        PyObject *b = PyBytes_FromObject(PySequence_Fast_GET_ITEM(fast, i));
        if (b == NULL)
            goto done;
        PyTuple_SET_ITEM(se.cmds, i, b);
    }
    int rc = sim_world_card_session(r->w, card, session_fn, &se);
    if (PyErr_Occurred())
        goto done;
    if (se.cos_rc != 0) {
        obol_raise(r->st, OBOL_FAM_CARD, se.cos_rc, NULL);
        goto done;
    }
    if (rc != 0) {
        sim_error(r, rc, "transmit");
        goto done;
    }
    out = Py_NewRef(se.out);
done:
    Py_DECREF(fast);
    Py_XDECREF(se.cmds);
    Py_XDECREF(se.out);
    return out;
}

static PyObject *world_fail(world_object *self, PyObject *arg)
{
    obol_run *r = live(self);
    if (r == NULL)
        return NULL;
    PyObject *s = PyObject_Str(arg);
    const char *text = s != NULL ? PyUnicode_AsUTF8(s) : NULL;
    if (text == NULL) {
        Py_XDECREF(s);
        return NULL;
    }
    sim_world_fail(r->w, text);
    Py_DECREF(s);
    Py_RETURN_NONE;
}

static PyObject *world_terminal(world_object *self, PyObject *arg)
{
    obol_run *r = live(self);
    if (r == NULL)
        return NULL;
    long ti = PyLong_AsLong(arg);
    if (ti == -1 && PyErr_Occurred())
        return NULL;
    sim_world_terminal_info info;
    if (ti < 0 || ti > INT32_MAX || sim_world_terminal(r->w, (int)ti, &info) != 0)
        return PyErr_Format(PyExc_IndexError, "terminal %ld: the world has %d terminals", ti,
                            sim_world_terminals(r->w));
    const scenario *sc = sim_world_scenario(r->w);
    return obol_dict_build("group", PyUnicode_FromString(sc->groups[info.group].name),
                           "group_index", PyLong_FromLong(info.group), "station",
                           PyLong_FromLong(info.station), "index", PyLong_FromLong(info.index),
                           "tid", PyBytes_FromStringAndSize((const char *)info.tid, 6), NULL);
}

static PyObject *world_get_now(world_object *self, void *closure)
{
    (void)closure;
    obol_run *r = live(self);
    return r != NULL ? seconds(sim_now(sim_world_sim(r->w))) : NULL;
}

static PyObject *world_get_cards(world_object *self, void *closure)
{
    (void)closure;
    obol_run *r = live(self);
    return r != NULL ? PyLong_FromUnsignedLong(sim_world_scenario(r->w)->cards) : NULL;
}

static PyObject *world_get_terminals(world_object *self, void *closure)
{
    (void)closure;
    obol_run *r = live(self);
    return r != NULL ? PyLong_FromLong(sim_world_terminals(r->w)) : NULL;
}

static PyObject *world_get_name(world_object *self, void *closure)
{
    (void)closure;
    obol_run *r = live(self);
    return r != NULL ? PyUnicode_FromString(sim_world_scenario(r->w)->name) : NULL;
}

static PyObject *world_get_serial_base(world_object *self, void *closure)
{
    (void)closure;
    obol_run *r = live(self);
    return r != NULL ? PyLong_FromUnsignedLongLong(sim_world_scenario(r->w)->serial_base) : NULL;
}

static PyObject *world_get_stats(world_object *self, void *closure)
{
    (void)closure;
    obol_run *r = live(self);
    if (r == NULL)
        return NULL;
    sim_world_stats s;
    sim_world_get_stats(r->w, &s);
    return obol_dict_build("taps", PyLong_FromUnsignedLongLong(s.taps), "events",
                           PyLong_FromUnsignedLongLong(s.events), "cards",
                           PyLong_FromUnsignedLong(s.cards), NULL);
}

static PyObject *world_get_running(world_object *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(self->run != NULL && self->run->w != NULL);
}

static PyObject *world_repr(world_object *self)
{
    return PyUnicode_FromFormat("<obol.World %s>", self->run != NULL ? "running" : "(run over)");
}

static void world_dealloc(world_object *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *world_new_refused(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    (void)type;
    (void)args;
    (void)kwargs;
    return PyErr_Format(PyExc_TypeError,
                        "a World is made by Scenario.run() and given to its setup callable");
}

static PyMethodDef world_methods[] = {
    {"on", (PyCFunction)world_on, METH_VARARGS,
     "on(kind, fn)\n\nCalls fn(world, event) on every event of KIND, EVENT a dict with "
     "kind and time (s of the day) and: 'tap' card, serial, terminal, group, result, "
     "approved, amount, duration; 'settle' (the platform answered an upload) terminal, group, "
     "ok, records, duplicates, rejected; 'blacklist' (a terminal got a newer list) terminal, "
     "group, version; 'attack' (a replay attempt) attack, card, serial, terminal, group, "
     "result, accepted, detected, amount; 'metric' (after the run) name, value."},
    {"at", (PyCFunction)world_at, METH_VARARGS,
     "at(time, fn, *args) -> int\n\nSchedules fn(world, *args) at TIME (seconds of the "
     "scenario's day, not in the past). Returns the event id."},
    {"after", (PyCFunction)world_after, METH_VARARGS,
     "after(delay, fn, *args) -> int\n\nSchedules fn(world, *args) DELAY seconds from now."},
    {"cancel", (PyCFunction)world_cancel, METH_O,
     "cancel(id) -> bool\n\nCancels a scheduled action; False when it already ran."},
    {"tap", (PyCFunction)(void (*)(void))world_tap, METH_VARARGS | METH_KEYWORDS,
     "tap(terminal, card, kind='flat', amount=0) -> dict\n\nCard CARD (index) taps TERMINAL "
     "now, out of its queue: the terminal kernel's full transaction. A gate decides entry, "
     "exit and the fare itself; AMOUNT (fen) is the purchase at other terminals. KIND "
     "('entry', 'exit', 'flat', 'purchase') is what the rider means to do. Returns result "
     "(1 approved, 0 declined, -2 card left), approved, duration (s)."},
    {"replay", (PyCFunction)world_replay, METH_O,
     "replay(kind) -> int | None\n\nOne replay attempt now with a captured exchange: 'card', "
     "'terminal' or 'host'. 1 accepted, 0 detected, -1 refused without alarm; None when "
     "nothing was captured yet (see capture())."},
    {"capture", (PyCFunction)world_capture, METH_VARARGS,
     "capture(on=True)\n\nTurns the attacker's sniffer on or off."},
    {"blacklist", (PyCFunction)world_blacklist, METH_O,
     "blacklist(card)\n\nThe host lists card CARD (index) now; terminals learn it at their "
     "next pull."},
    {"transmit", (PyCFunction)world_transmit, METH_VARARGS,
     "transmit(card, apdus) -> list[bytes]\n\nCard CARD in the caller's hand: powered in a "
     "private field, sent APDUS in order; the responses (data || SW)."},
    {"terminal", (PyCFunction)world_terminal, METH_O,
     "terminal(i) -> dict\n\nTerminal I's group, station, index and terminal id."},
    {"fail", (PyCFunction)world_fail, METH_O,
     "fail(message)\n\nStops the run: Scenario.run() raises SimulationError with MESSAGE."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef world_getset[] = {
    {"now", (getter)world_get_now, NULL, "Virtual time, seconds of the scenario's day.", NULL},
    {"cards", (getter)world_get_cards, NULL, "Cards in the population.", NULL},
    {"terminals", (getter)world_get_terminals, NULL, "Number of terminals.", NULL},
    {"name", (getter)world_get_name, NULL, "The scenario's name.", NULL},
    {"serial_base", (getter)world_get_serial_base, NULL, "Serial of card 0.", NULL},
    {"stats", (getter)world_get_stats, NULL, "taps, events and cards so far.", NULL},
    {"running", (getter)world_get_running, NULL, "True during the run.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot world_slots[] = {
    {Py_tp_new, world_new_refused},
    {Py_tp_dealloc, world_dealloc},
    {Py_tp_repr, world_repr},
    {Py_tp_methods, world_methods},
    {Py_tp_getset, world_getset},
    {Py_tp_doc, "The world of a running scenario, given to Scenario.run(setup=...) and to "
                "hooks and actions; usable only while the run lasts."},
    {0, NULL},
};

PyType_Spec obol_world_spec = {
    .name = "obol.World",
    .basicsize = sizeof(world_object),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = world_slots,
};
