/*
 * obol Python binding: obol.CardConnection, an obol.Card seen the way pyscard's
 * CardConnection is, so tests written for PC/SC readers run against a virtual card:
 *
 *   conn = obol.Card("purse").connection()
 *   conn.connect()
 *   data, sw1, sw2 = conn.transmit([0x00, 0xA4, 0x04, 0x00, 0x09, ...])
 *   conn.getATR(); conn.disconnect()
 *
 * The connection holds a reference to its card and shares it (the card's own methods
 * still work); transmit() takes and returns lists of ints like pyscard.
 */
#include "obol_py.h"

typedef struct connection_object {
    PyObject ob_base; /* PyObject_HEAD */
    PyObject *card;   /* an obol.Card */
    int connected;
} connection_object;

static PyObject *conn_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"card", NULL};
    PyObject *card;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:CardConnection", kwlist, &card))
        return NULL;
    obol_state *st = obol_state_of_type(type);
    if (st == NULL)
        return NULL;
    if (!obol_card_check(st, card))
        return PyErr_Format(PyExc_TypeError, "CardConnection needs an obol.Card, not %.80s",
                            Py_TYPE(card)->tp_name);
    connection_object *self = (connection_object *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->card = Py_NewRef(card);
    return (PyObject *)self;
}

static int conn_traverse(connection_object *self, visitproc visit, void *arg)
{
    Py_VISIT(self->card);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int conn_clear(connection_object *self)
{
    Py_CLEAR(self->card);
    return 0;
}

static void conn_dealloc(connection_object *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    conn_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *conn_card(connection_object *self)
{
    if (self->card == NULL)
        PyErr_SetString(PyExc_ValueError, "the connection has no card");
    return self->card;
}

/* Powers the card on (cold, or warm when WARM). */
static PyObject *do_connect(connection_object *self, int warm)
{
    PyObject *card = conn_card(self);
    if (card == NULL)
        return NULL;
    PyObject *atr = obol_card_power_on(card, warm);
    if (atr == NULL)
        return NULL;
    Py_DECREF(atr);
    self->connected = 1;
    Py_RETURN_NONE;
}

static PyObject *conn_connect(connection_object *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"protocol", "mode", "disposition", NULL};
    PyObject *protocol = NULL, *mode = NULL, *disposition = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OOO:connect", kwlist, &protocol, &mode,
                                     &disposition))
        return NULL;
    return do_connect(self, 0);
}

static PyObject *conn_reconnect(connection_object *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"protocol", "mode", "disposition", NULL};
    PyObject *protocol = NULL, *mode = NULL, *disposition = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OOO:reconnect", kwlist, &protocol, &mode,
                                     &disposition))
        return NULL;
    return do_connect(self, 1);
}

static PyObject *conn_disconnect(connection_object *self, PyObject *unused)
{
    (void)unused;
    PyObject *card = conn_card(self);
    if (card == NULL)
        return NULL;
    if (self->connected && obol_card_power_off(card) != 0)
        return NULL;
    self->connected = 0;
    Py_RETURN_NONE;
}

/* A new bytes object from a sequence of ints 0..255, or NULL with TypeError /
 * ValueError. */
static PyObject *list_bytes(PyObject *seq)
{
    PyObject *fast = PySequence_Fast(seq, "transmit() takes the APDU as a list of ints 0..255");
    if (fast == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n);
    if (out == NULL) {
        Py_DECREF(fast);
        return NULL;
    }
    uint8_t *buf = (uint8_t *)PyBytes_AS_STRING(out);
    PyObject **items = PySequence_Fast_ITEMS(fast);
    for (Py_ssize_t i = 0; i < n; i++) {
        long v = PyLong_Check(items[i]) ? PyLong_AsLong(items[i]) : -2;
        if (v == -1 && PyErr_Occurred())
            PyErr_Clear();
        if (v < 0 || v > 255) {
            PyErr_Format(PyExc_ValueError, "APDU byte %zd is %R, not an int 0..255", i, items[i]);
            Py_DECREF(fast);
            Py_DECREF(out);
            return NULL;
        }
        buf[i] = (uint8_t)v;
    }
    Py_DECREF(fast);
    return out;
}

static PyObject *conn_transmit(connection_object *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"command", "protocol", NULL};
    PyObject *cmd, *protocol = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O:transmit", kwlist, &cmd, &protocol))
        return NULL;
    PyObject *card = conn_card(self);
    if (card == NULL)
        return NULL;
    PyObject *apdu = PyObject_CheckBuffer(cmd) ? Py_NewRef(cmd) : list_bytes(cmd);
    if (apdu == NULL)
        return NULL;
    Py_buffer b;
    PyObject *rsp = NULL;
    if (PyObject_GetBuffer(apdu, &b, PyBUF_SIMPLE) == 0) {
        rsp = obol_card_transmit_buffer(card, b.buf, (size_t)b.len);
        PyBuffer_Release(&b);
    }
    Py_DECREF(apdu);
    if (rsp == NULL)
        return NULL;
    Py_ssize_t len = PyBytes_GET_SIZE(rsp);
    const uint8_t *r = (const uint8_t *)PyBytes_AS_STRING(rsp);
    Py_ssize_t nd = len >= 2 ? len - 2 : 0;
    PyObject *data = PyList_New(nd), *out = NULL;
    for (Py_ssize_t i = 0; data != NULL && i < nd; i++)
        PyList_SET_ITEM(data, i, PyLong_FromLong(r[i])); /* small ints: cached, never NULL */
    if (data != NULL)
        out = Py_BuildValue("(Nii)", data, len >= 2 ? r[len - 2] : 0x6F,
                            len >= 2 ? r[len - 1] : 0x00);
    Py_DECREF(rsp);
    return out;
}

static PyObject *conn_get_atr(connection_object *self, PyObject *unused)
{
    (void)unused;
    PyObject *card = conn_card(self);
    if (card == NULL)
        return NULL;
    PyObject *atr = PyObject_GetAttrString(card, "atr");
    if (atr == NULL || atr == Py_None)
        return atr;
    PyObject *list = PySequence_List(atr);
    Py_DECREF(atr);
    return list;
}

static PyObject *conn_get_reader(connection_object *self, PyObject *unused)
{
    (void)unused;
    PyObject *card = conn_card(self);
    if (card == NULL)
        return NULL;
    PyObject *profile = PyObject_GetAttrString(card, "profile");
    if (profile == NULL)
        return NULL;
    PyObject *r = profile == Py_None ? PyUnicode_FromString("obol virtual card (default)")
                                     : PyUnicode_FromFormat("obol virtual card %S", profile);
    Py_DECREF(profile);
    return r;
}

static PyObject *conn_get_protocol(connection_object *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return PyLong_FromLong(2); /* pyscard's CardConnection.T1_protocol */
}

static PyObject *conn_enter(connection_object *self, PyObject *unused)
{
    (void)unused;
    PyObject *r = do_connect(self, 0);
    if (r == NULL)
        return NULL;
    Py_DECREF(r);
    return Py_NewRef(self);
}

static PyObject *conn_exit(connection_object *self, PyObject *args)
{
    (void)args;
    PyObject *r = conn_disconnect(self, NULL);
    if (r == NULL)
        return NULL;
    Py_DECREF(r);
    Py_RETURN_FALSE;
}

static PyObject *conn_get_card(connection_object *self, void *closure)
{
    (void)closure;
    PyObject *card = conn_card(self);
    return card != NULL ? Py_NewRef(card) : NULL;
}

static PyMethodDef conn_methods[] = {
    {"connect", (PyCFunction)(void (*)(void))conn_connect, METH_VARARGS | METH_KEYWORDS,
     "connect(protocol=None, mode=None, disposition=None)\n\nPowers the card on."},
    {"reconnect", (PyCFunction)(void (*)(void))conn_reconnect, METH_VARARGS | METH_KEYWORDS,
     "reconnect(...)\n\nWarm reset."},
    {"disconnect", (PyCFunction)conn_disconnect, METH_NOARGS, "disconnect()\n\nPowers off."},
    {"transmit", (PyCFunction)(void (*)(void))conn_transmit, METH_VARARGS | METH_KEYWORDS,
     "transmit(command: list[int], protocol=None) -> (list[int], int, int)\n\n"
     "Sends the APDU and returns (data, sw1, sw2) as pyscard does."},
    {"getATR", (PyCFunction)conn_get_atr, METH_NOARGS, "getATR() -> list[int]"},
    {"getReader", (PyCFunction)conn_get_reader, METH_NOARGS, "getReader() -> str"},
    {"getProtocol", (PyCFunction)conn_get_protocol, METH_NOARGS, "getProtocol() -> int"},
    {"__enter__", (PyCFunction)conn_enter, METH_NOARGS, "Connects; returns the connection."},
    {"__exit__", (PyCFunction)conn_exit, METH_VARARGS, "Disconnects."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef conn_getset[] = {
    {"card", (getter)conn_get_card, NULL, "The obol.Card behind the connection.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot conn_slots[] = {
    {Py_tp_new, conn_new},
    {Py_tp_dealloc, conn_dealloc},
    {Py_tp_traverse, conn_traverse},
    {Py_tp_clear, conn_clear},
    {Py_tp_methods, conn_methods},
    {Py_tp_getset, conn_getset},
    {Py_tp_doc, "CardConnection(card)\n\nA pyscard-like connection to an obol.Card: connect(), "
                "transmit(list_of_ints) -> (data, sw1, sw2), getATR(), disconnect()."},
    {0, NULL},
};

PyType_Spec obol_connection_spec = {
    .name = "obol.CardConnection",
    .basicsize = sizeof(connection_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = conn_slots,
};
