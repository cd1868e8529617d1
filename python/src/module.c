/*
 * obol Python binding: the module `obol` — its state (every type and exception, no C
 * globals), multi-phase initialization (PEP 489: the module object is made by the
 * interpreter, the exec slot fills it), and the module-level functions.
 *
 *   import obol
 *   card = obol.Card("multiapp")            card.c, connection.c
 *   result = obol.Scenario(path).run(seed)  scenario.c, world.c, result.c, check.c
 *   obol.Host(db_path).blacklist()          host.c
 *   obol.replay(trace, card=card)           replay.c
 *   obol.Error and its families             errors.c
 */
#include "obol_py.h"

#include "obol/sim_world.h"

PyModuleDef obol_module_def;

obol_state *obol_state_of_type(PyTypeObject *type)
{
    PyObject *m = PyType_GetModuleByDef(type, &obol_module_def);
    return m != NULL ? obol_state_of(m) : NULL;
}

PyObject *obol_dict_build(const char *name, ...)
{
    va_list ap;
    va_start(ap, name);
    PyObject *d = PyDict_New();
    int ok = d != NULL;
    for (const char *k = name; k != NULL; k = va_arg(ap, const char *)) {
        PyObject *v = va_arg(ap, PyObject *);
        if (ok && (v == NULL || PyDict_SetItemString(d, k, v) != 0))
            ok = 0;
        Py_XDECREF(v);
    }
    va_end(ap);
    if (!ok) {
        Py_XDECREF(d);
        return NULL;
    }
    return d;
}

/* Makes a type from SPEC, stores it in *SLOT and adds it to the module as NAME. */
static int add_type(PyObject *m, PyType_Spec *spec, PyTypeObject **slot)
{
    PyObject *t = PyType_FromModuleAndSpec(m, spec, NULL);
    if (t == NULL)
        return -1;
    *slot = (PyTypeObject *)t;
    const char *dot = strrchr(spec->name, '.');
    return PyModule_AddObjectRef(m, dot ? dot + 1 : spec->name, t);
}

/* The names of the world's metrics, with unit and meaning (sim_world_metrics). */
static PyObject *metric_table(void)
{
    PyObject *d = PyDict_New();
    for (const sim_metric_info *mi = sim_world_metrics; d != NULL && mi->name != NULL; mi++) {
        PyObject *v = Py_BuildValue("(ss)", mi->unit, mi->what);
        if (v == NULL || PyDict_SetItemString(d, mi->name, v) != 0) {
            Py_XDECREF(v);
            Py_CLEAR(d);
            break;
        }
        Py_DECREF(v);
    }
    return d;
}

static int obol_exec(PyObject *m)
{
    obol_state *st = obol_state_of(m);
    if (add_type(m, &obol_card_spec, &st->card_type) != 0 ||
        add_type(m, &obol_connection_spec, &st->connection_type) != 0 ||
        add_type(m, &obol_scenario_spec, &st->scenario_type) != 0 ||
        add_type(m, &obol_world_spec, &st->world_type) != 0 ||
        add_type(m, &obol_result_spec, &st->result_type) != 0 ||
        add_type(m, &obol_check_spec, &st->check_type) != 0 ||
        add_type(m, &obol_host_spec, &st->host_type) != 0 ||
        add_type(m, &obol_replay_report_spec, &st->replay_report_type) != 0)
        return -1;
    if (obol_errors_init(m, st) != 0)
        return -1;
    PyObject *metrics = metric_table();
    if (metrics == NULL || PyModule_AddObject(m, "METRICS", metrics) != 0) {
        Py_XDECREF(metrics);
        return -1;
    }
    if (PyModule_AddStringConstant(m, "__version__", OBOL_VERSION) != 0)
        return -1;
    return 0;
}

static int obol_traverse(PyObject *m, visitproc visit, void *arg)
{
    obol_state *st = obol_state_of(m);
    if (st == NULL)
        return 0;
    Py_VISIT(st->card_type);
    Py_VISIT(st->connection_type);
    Py_VISIT(st->scenario_type);
    Py_VISIT(st->world_type);
    Py_VISIT(st->result_type);
    Py_VISIT(st->check_type);
    Py_VISIT(st->host_type);
    Py_VISIT(st->replay_report_type);
    return obol_errors_traverse(st, visit, arg);
}

static int obol_clear(PyObject *m)
{
    obol_state *st = obol_state_of(m);
    if (st == NULL)
        return 0;
    Py_CLEAR(st->card_type);
    Py_CLEAR(st->connection_type);
    Py_CLEAR(st->scenario_type);
    Py_CLEAR(st->world_type);
    Py_CLEAR(st->result_type);
    Py_CLEAR(st->check_type);
    Py_CLEAR(st->host_type);
    Py_CLEAR(st->replay_report_type);
    obol_errors_clear(st);
    return 0;
}

static void obol_free(void *m)
{
    obol_clear((PyObject *)m);
}

static PyMethodDef obol_methods[] = {
    {"replay", (PyCFunction)(void (*)(void))obol_replay, METH_VARARGS | METH_KEYWORDS,
     obol_replay_doc},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot obol_slots[] = {
    {Py_mod_exec, (void *)obol_exec},
    {0, NULL},
};

PyDoc_STRVAR(obol_doc,
             "obol: the simulator and conformance harness for multi-application financial IC\n"
             "cards, from Python.\n\n"
             "Card: a virtual card (the card OS in this process); Card.connection() is a\n"
             "pyscard-like connection. Scenario: a scenario file, run() plays it and returns\n"
             "a Result (checks, metrics, reports); hooks and actions in Python through the\n"
             "World given to run(setup=...). Host: read-only queries of a platform database.\n"
             "replay(): plays an APDU trace against cards and reports the first divergence.\n"
             "Errors are obol.Error subclasses, one family per library and one class per\n"
             "C error code.");

PyModuleDef obol_module_def = {
    PyModuleDef_HEAD_INIT,        .m_name = "obol",          .m_doc = obol_doc,
    .m_size = sizeof(obol_state), .m_methods = obol_methods, .m_slots = obol_slots,
    .m_traverse = obol_traverse,  .m_clear = obol_clear,     .m_free = obol_free,
};

PyMODINIT_FUNC PyInit_obol(void);

PyMODINIT_FUNC PyInit_obol(void)
{
    return PyModuleDef_Init(&obol_module_def);
}
