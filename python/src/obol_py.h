/*
 * obol Python binding: what the binding's files share (private).
 *
 * One C file per Python type (card.c, connection.c, scenario.c, world.c, result.c,
 * check.c, host.c, replay.c) plus module.c (the module, its state, multi-phase init)
 * and errors.c (the exception hierarchy generated from the libraries' error tables).
 * Nothing is global: every type and exception lives in the module's state, reached
 * from a type with obol_state_of_type() and from the module with obol_state_of().
 *
 * Each type file exports the spec its type is made from (PyType_FromModuleAndSpec in
 * module.c) and the few C entry points the other files need.
 */
#ifndef OBOL_PY_H
#define OBOL_PY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stddef.h>
#include <stdint.h>

#include "obol/trace_replay.h"

/* The exception families: one base class each under obol.Error, and one subclass per
 * code of the family's C error table. */
typedef enum obol_family {
    OBOL_FAM_CARD = 0,   /* COS_ERR_*: obol.CardError */
    OBOL_FAM_HOST = 1,   /* HOST_ERR_*: obol.HostError */
    OBOL_FAM_SCN = 2,    /* SCN_ERR_*: obol.ScenarioError (file, line) */
    OBOL_FAM_SIM = 3,    /* SIM_ERR_*: obol.SimulationError */
    OBOL_FAM_TRACE = 4,  /* TRACE_ERR_*: obol.TraceError (file, line), a ReplayError */
    OBOL_FAM_REPORT = 5, /* RPT_ERR_*: obol.ReportError */
    OBOL_FAM_REPLAY = 6, /* obol.ReplayError: no C table of its own */
    OBOL_FAM_COUNT = 7
} obol_family;

/* Codes per family are small negative numbers: class for code C at index -C. */
#define OBOL_CODES_MAX 32

typedef struct obol_state {
    PyTypeObject *card_type;
    PyTypeObject *connection_type;
    PyTypeObject *scenario_type;
    PyTypeObject *world_type;
    PyTypeObject *result_type;
    PyTypeObject *check_type;
    PyTypeObject *host_type;
    PyTypeObject *replay_report_type;
    PyObject *error; /* obol.Error */
    PyObject *family[OBOL_FAM_COUNT];
    PyObject *code[OBOL_FAM_COUNT][OBOL_CODES_MAX]; /* NULL: no class for that code */
} obol_state;

extern PyModuleDef obol_module_def;

/* The state of the module TYPE (or a subclass of one of its types) belongs to. Sets
 * an exception and returns NULL when TYPE is not obol's. */
obol_state *obol_state_of_type(PyTypeObject *type);
static inline obol_state *obol_state_of(PyObject *module)
{
    return (obol_state *)PyModule_GetState(module);
}

/* ---- errors.c ----------------------------------------------------------------------- */

/* Creates obol.Error, the families and one class per code in STATE and adds them to
 * MODULE. Returns 0 or -1 with an exception set. */
int obol_errors_init(PyObject *module, obol_state *st);
int obol_errors_traverse(obol_state *st, visitproc visit, void *arg);
void obol_errors_clear(obol_state *st);

/* Raises the class of CODE in FAMILY (the family's base when the code has none) with
 * MSG (or the library's text for the code when MSG is NULL or empty). Sets the
 * exception's code and name attributes, and file and line for the families whose
 * messages start with "FILE:LINE:". Always returns NULL, for `return obol_raise(...)`. */
PyObject *obol_raise(obol_state *st, obol_family family, int code, const char *msg);
/* The same with a printf-style message. */
PyObject *obol_raisef(obol_state *st, obol_family family, int code, const char *fmt, ...);
/* The library's message for CODE of FAMILY. */
const char *obol_strerror(obol_family family, int code);

/* ---- card.c ------------------------------------------------------------------------- */

extern PyType_Spec obol_card_spec;
/* 1 when OBJ is an obol.Card (or a subclass). */
int obol_card_check(obol_state *st, PyObject *obj);
/* Fills TARGET with OBJ's replay operations (OBJ: an open obol.Card, borrowed for as
 * long as TARGET is used). Returns 0, or -1 with ValueError when the card is closed. */
int obol_card_target(PyObject *obj, trace_target *target);
/* Powers the card on / sends an APDU for the connection adapter. Return a new
 * reference or NULL with an exception set. */
PyObject *obol_card_power_on(PyObject *obj, int warm);
PyObject *obol_card_transmit_buffer(PyObject *obj, const uint8_t *cmd, size_t len);
int obol_card_power_off(PyObject *obj);
/* Closes the card (as Card.close()); never fails. */
void obol_card_close(PyObject *obj);

/* ---- the other types ---------------------------------------------------------------- */

extern PyType_Spec obol_connection_spec;
extern PyType_Spec obol_scenario_spec;
extern PyType_Spec obol_world_spec;
extern PyType_Spec obol_result_spec;
extern PyType_Spec obol_check_spec;
extern PyType_Spec obol_host_spec;
extern PyType_Spec obol_replay_report_spec;

/* world.c: the Python side of one Scenario.run() — the World object its hooks,
 * setup and scheduled actions receive, the GIL released while the world runs and
 * taken back in every callback, and the first exception a callback raised. */
struct sim_world_opts;
typedef struct obol_run obol_run;
/* A run with the optional SETUP callable (called with the World once it is built).
 * Returns NULL with an exception set. */
obol_run *obol_run_new(obol_state *st, PyObject *setup);
/* Points OPTS's setup and progress callbacks at RUN. */
void obol_run_opts(obol_run *run, struct sim_world_opts *opts);
/* Releases the GIL before sim_world_run() and takes it back after. */
void obol_run_release(obol_run *run);
void obol_run_acquire(obol_run *run);
/* After the run: detaches the World and, when a callback raised, restores that
 * exception and returns -1. */
int obol_run_finish(obol_run *run);
/* The metrics measured at the end of the run: a new reference to a dict. */
PyObject *obol_run_metrics(obol_run *run);
void obol_run_free(obol_run *run);

/* check.c, result.c: built from the report model (rpt.h) after a run. */
struct rpt_check;
struct rpt_scenario;
PyObject *obol_check_new(obol_state *st, const struct rpt_check *c);
/* RS: the scenario's report section; METRICS: name -> value; REPORTS: the paths
 * written (kind -> path); all borrowed. WALL: seconds the run took. */
PyObject *obol_result_new(obol_state *st, const struct rpt_scenario *rs, PyObject *metrics,
                          PyObject *reports, double wall);

/* replay.c: obol.replay(), in the module's method table. */
PyObject *obol_replay(PyObject *module, PyObject *args, PyObject *kwargs);
extern const char obol_replay_doc[];

/* ---- helpers shared by the type files ----------------------------------------------- */

/* Takes the exception being raised (normalized, its traceback attached), or NULL. */
static inline PyObject *obol_err_take(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value != NULL && tb != NULL)
        PyException_SetTraceback(value, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
#endif
}

/* Raises EXC (stolen; NULL: nothing) again. */
static inline void obol_err_restore(PyObject *exc)
{
    if (exc == NULL)
        return;
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(exc);
#else
    PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc, PyException_GetTraceback(exc));
#endif
}

/* A new dict from NAME, VALUE pairs terminated by a NULL name; the values are stolen
 * (NULL values make the call fail and release the rest). */
PyObject *obol_dict_build(const char *name, ...);

#endif /* OBOL_PY_H */
