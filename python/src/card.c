/*
 * obol Python binding: obol.Card, a virtual card — obol's card OS in this process on
 * the host port (cos.h, cos_host.h), personalized from a profile (cos_profile.h).
 *
 *   card = obol.Card("multiapp", image=None, seed=0)
 *   atr = card.power_on()
 *   rsp = card.transmit(bytes.fromhex("00A4040008A000000632010105"))  # data || SW
 *   card.counters                    # cost counters: apdus, nvm_writes, ...
 *   card.power_off(); card.close()   # or: with obol.Card(...) as card: ...
 *
 * With IMAGE the card's NVM lives in that file: a new file is personalized and kept,
 * an existing one is used as it is (balances persist from run to run), as with
 * `obol card exec --image`. Protocol errors are status words in the response; card OS
 * faults raise obol.CardError subclasses. A card is not thread-safe by itself; its
 * methods hold the GIL (an APDU takes microseconds).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "obol_py.h"

#include "obol/cos.h"
#include "obol/cos_host.h"
#include "obol/cos_perso.h"
#include "obol/cos_profile.h"
#include "obol/obol_rom.h"

#define DEFAULT_NVM_SIZE 32768u
#define NVM_PAGE         64u

typedef struct card_object {
    PyObject ob_base; /* PyObject_HEAD */
    cos_host host;
    cos_card card;
    int open;       /* host and card attached; 0 after close() */
    unsigned iface; /* COS_IF_CONTACT or COS_IF_CONTACTLESS */
    uint64_t now;   /* the card OS's time argument: one tick per call */
    uint8_t atr[64];
    size_t atrlen;
    uint64_t seed;
    PyObject *profile; /* str or None */
    PyObject *image;   /* str or None */
    char msg[320];     /* the last fault, for replay reports */
} card_object;

static obol_state *state_of(card_object *self)
{
    return obol_state_of_type(Py_TYPE(self));
}

static int check_open(card_object *self)
{
    if (!self->open) {
        PyErr_SetString(PyExc_ValueError, "the card is closed");
        return -1;
    }
    return 0;
}

/* Opens the NVM (file or memory) and personalizes a new image. Returns 0 or -1 with an
 * exception set (the card is then not open). */
static int card_open(card_object *self, const char *profile, const char *image, uint64_t seed,
                     uint32_t nvm_size, uint64_t serial)
{
    obol_state *st = state_of(self);
    int fresh = 1, rc;
    uint32_t size = nvm_size;
    if (image != NULL) {
        struct stat sb;
        if (stat(image, &sb) == 0) {
            if (!S_ISREG(sb.st_mode) || sb.st_size <= 0 || sb.st_size > (off_t)(64u << 20)) {
                PyErr_Format(PyExc_ValueError, "%s: not a card image (size %lld)", image,
                             (long long)sb.st_size);
                return -1;
            }
            size = (uint32_t)sb.st_size;
            fresh = 0;
        }
        rc = cos_host_open_file(&self->host, image, size, NVM_PAGE, seed);
    } else {
        rc = cos_host_open_mem(&self->host, size, NVM_PAGE, seed);
    }
    if (rc != 0) {
        obol_raisef(st, OBOL_FAM_CARD, rc, "cannot open the card image%s%s: %s", image ? " " : "",
                    image ? image : "", cos_strerror(rc));
        return -1;
    }
    cos_card_config cfg;
    cos_host_config(&self->host, obol_rom_classes, obol_rom_nclasses, &cfg);
    char err[512] = "";
    if ((rc = cos_card_attach(&self->card, &cfg)) == 0 && fresh) {
        if (profile != NULL)
            rc = cos_profile_apply(&self->card, profile, serial, err, sizeof(err));
        else
            rc = cos_perso_default(&self->card, 0, 0);
    }
    if (rc != 0) {
        cos_host_close(&self->host);
        if (fresh && image != NULL)
            remove(image); /* no half-personalized image left behind */
        obol_raise(st, OBOL_FAM_CARD, rc, err);
        return -1;
    }
    /* The counters count what the caller does, not the personalization. */
    cos_cost_reset(&self->card);
    self->open = 1;
    return 0;
}

static PyObject *card_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"profile", "image", "seed", "nvm_size", "serial", "contactless", NULL};
    PyObject *profile = NULL, *image = Py_None;
    unsigned long long seed = 0, serial = 0;
    unsigned long nvm_size = DEFAULT_NVM_SIZE;
    int contactless = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OOK$kKp:Card", kwlist, &profile, &image, &seed,
                                     &nvm_size, &serial, &contactless))
        return NULL;
    if (profile == NULL)
        profile = PyUnicode_FromString("multiapp");
    else
        Py_INCREF(profile);
    if (profile == NULL)
        return NULL;
    PyObject *image_bytes = NULL, *profile_bytes = NULL;
    card_object *self = NULL;
    if (profile != Py_None && !PyUnicode_Check(profile) && !PyObject_CheckBuffer(profile) &&
        !PyObject_HasAttrString(profile, "__fspath__")) {
        PyErr_Format(PyExc_TypeError, "profile must be a name, a path or None, not %.80s",
                     Py_TYPE(profile)->tp_name);
        goto out;
    }
    if (profile != Py_None && !PyUnicode_FSConverter(profile, &profile_bytes))
        goto out;
    if (image != Py_None && !PyUnicode_FSConverter(image, &image_bytes))
        goto out;
    if (nvm_size < 4096 || nvm_size > (16u << 20)) {
        PyErr_Format(PyExc_ValueError, "nvm_size must be 4096 .. %u bytes, not %lu", 16u << 20,
                     nvm_size);
        goto out;
    }
    if (profile_bytes != NULL && PyBytes_GET_SIZE(profile_bytes) == 0) {
        PyErr_SetString(PyExc_ValueError, "profile must not be empty (None: the default card)");
        goto out;
    }
    if ((self = (card_object *)type->tp_alloc(type, 0)) == NULL)
        goto out;
    self->iface = contactless ? COS_IF_CONTACTLESS : COS_IF_CONTACT;
    self->seed = seed;
    self->profile = profile_bytes
                        ? PyUnicode_DecodeFSDefaultAndSize(PyBytes_AS_STRING(profile_bytes),
                                                           PyBytes_GET_SIZE(profile_bytes))
                        : Py_NewRef(Py_None);
    self->image = image_bytes ? PyUnicode_DecodeFSDefaultAndSize(PyBytes_AS_STRING(image_bytes),
                                                                 PyBytes_GET_SIZE(image_bytes))
                              : Py_NewRef(Py_None);
    if (self->profile == NULL || self->image == NULL ||
        card_open(self, profile_bytes ? PyBytes_AS_STRING(profile_bytes) : NULL,
                  image_bytes ? PyBytes_AS_STRING(image_bytes) : NULL, seed, (uint32_t)nvm_size,
                  serial) != 0)
        Py_CLEAR(self);
out:
    Py_DECREF(profile);
    Py_XDECREF(profile_bytes);
    Py_XDECREF(image_bytes);
    return (PyObject *)self;
}

static void card_close_(card_object *self)
{
    if (!self->open)
        return;
    cos_power_off(&self->card);
    cos_host_close(&self->host);
    self->open = 0;
}

static void card_dealloc(card_object *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    card_close_(self);
    Py_CLEAR(self->profile);
    Py_CLEAR(self->image);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* ---- C entry points (the connection adapter, replay) ---------------------------------- */

PyObject *obol_card_power_on(PyObject *obj, int warm)
{
    card_object *self = (card_object *)obj;
    if (check_open(self) != 0)
        return NULL;
    unsigned flags = self->iface | (warm ? COS_RESET_WARM : 0);
    int rc =
        cos_power_on(&self->card, flags, ++self->now, self->atr, sizeof(self->atr), &self->atrlen);
    if (rc == COS_ERR_POWER_LOST) /* the port cut power during recovery: once more */
        rc = cos_power_on(&self->card, flags, ++self->now, self->atr, sizeof(self->atr),
                          &self->atrlen);
    if (rc != 0) {
        self->atrlen = 0;
        snprintf(self->msg, sizeof(self->msg), "power on: %s", cos_strerror(rc));
        return obol_raise(state_of(self), OBOL_FAM_CARD, rc, self->msg);
    }
    return PyBytes_FromStringAndSize((const char *)self->atr, (Py_ssize_t)self->atrlen);
}

PyObject *obol_card_transmit_buffer(PyObject *obj, const uint8_t *cmd, size_t len)
{
    card_object *self = (card_object *)obj;
    if (check_open(self) != 0)
        return NULL;
    uint8_t rsp[COS_RESP_MAX + 2];
    size_t n = 0;
    int rc = cos_transmit(&self->card, ++self->now, cmd, len, rsp, sizeof(rsp), &n);
    if (rc != 0) {
        snprintf(self->msg, sizeof(self->msg), "transmit: %s", cos_strerror(rc));
        return obol_raise(state_of(self), OBOL_FAM_CARD, rc, self->msg);
    }
    return PyBytes_FromStringAndSize((const char *)rsp, (Py_ssize_t)n);
}

int obol_card_power_off(PyObject *obj)
{
    card_object *self = (card_object *)obj;
    if (check_open(self) != 0)
        return -1;
    cos_power_off(&self->card);
    return 0;
}

void obol_card_close(PyObject *obj)
{
    card_close_((card_object *)obj);
}

int obol_card_check(obol_state *st, PyObject *obj)
{
    return PyObject_TypeCheck(obj, st->card_type);
}

/* Replay target operations on a card_object (trace_replay.h). */
static int tg_power_on(void *ctx, int warm, const uint8_t **atr, size_t *atrlen)
{
    card_object *self = ctx;
    unsigned flags = self->iface | (warm ? COS_RESET_WARM : 0);
    int rc =
        cos_power_on(&self->card, flags, ++self->now, self->atr, sizeof(self->atr), &self->atrlen);
    if (rc == COS_ERR_POWER_LOST)
        rc = cos_power_on(&self->card, flags, ++self->now, self->atr, sizeof(self->atr),
                          &self->atrlen);
    if (rc != 0) {
        snprintf(self->msg, sizeof(self->msg), "power on: %s", cos_strerror(rc));
        return -1;
    }
    *atr = self->atr;
    *atrlen = self->atrlen;
    return 0;
}

static int tg_power_off(void *ctx)
{
    cos_power_off(&((card_object *)ctx)->card);
    return 0;
}

static int tg_transmit(void *ctx, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
                       size_t *rsplen)
{
    card_object *self = ctx;
    int rc = cos_transmit(&self->card, ++self->now, cmd, len, rsp, cap, rsplen);
    if (rc != 0) {
        snprintf(self->msg, sizeof(self->msg), "transmit: %s", cos_strerror(rc));
        return -1;
    }
    return 0;
}

static int tg_is_powered(void *ctx)
{
    return cos_is_powered(&((card_object *)ctx)->card);
}

static const char *tg_errmsg(void *ctx)
{
    return ((card_object *)ctx)->msg;
}

static const trace_target_ops card_target_ops = {tg_power_on, tg_power_off, tg_transmit,
                                                 tg_is_powered, tg_errmsg};

int obol_card_target(PyObject *obj, trace_target *target)
{
    card_object *self = (card_object *)obj;
    if (check_open(self) != 0)
        return -1;
    target->ops = &card_target_ops;
    target->ctx = self;
    target->name = NULL; /* set by the caller, who owns the text */
    self->msg[0] = '\0';
    return 0;
}

/* ---- methods -------------------------------------------------------------------------- */

static PyObject *card_power_on_m(card_object *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"warm", NULL};
    int warm = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|p:power_on", kwlist, &warm))
        return NULL;
    return obol_card_power_on((PyObject *)self, warm);
}

static PyObject *card_reset(card_object *self, PyObject *unused)
{
    (void)unused;
    return obol_card_power_on((PyObject *)self, 1);
}

static PyObject *card_power_off_m(card_object *self, PyObject *unused)
{
    (void)unused;
    if (obol_card_power_off((PyObject *)self) != 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *card_transmit(card_object *self, PyObject *apdu)
{
    Py_buffer b;
    if (PyObject_GetBuffer(apdu, &b, PyBUF_SIMPLE) != 0) {
        PyErr_Clear();
        return PyErr_Format(PyExc_TypeError,
                            "transmit() takes the command APDU as bytes (or another "
                            "bytes-like object), not %.80s; Card.connection().transmit() takes "
                            "a list of ints",
                            Py_TYPE(apdu)->tp_name);
    }
    PyObject *r = obol_card_transmit_buffer((PyObject *)self, b.buf, (size_t)b.len);
    PyBuffer_Release(&b);
    return r;
}

static PyObject *card_close(card_object *self, PyObject *unused)
{
    (void)unused;
    card_close_(self);
    Py_RETURN_NONE;
}

static PyObject *card_enter(card_object *self, PyObject *unused)
{
    (void)unused;
    if (check_open(self) != 0)
        return NULL;
    if (!cos_is_powered(&self->card)) {
        PyObject *atr = obol_card_power_on((PyObject *)self, 0);
        if (atr == NULL)
            return NULL;
        Py_DECREF(atr);
    }
    return Py_NewRef(self);
}

static PyObject *card_exit(card_object *self, PyObject *args)
{
    (void)args;
    card_close_(self);
    Py_RETURN_FALSE;
}

static PyObject *card_reset_counters(card_object *self, PyObject *unused)
{
    (void)unused;
    if (check_open(self) != 0)
        return NULL;
    cos_cost_reset(&self->card);
    Py_RETURN_NONE;
}

static PyObject *card_nvm_digest(card_object *self, PyObject *unused)
{
    (void)unused;
    if (check_open(self) != 0)
        return NULL;
    uint8_t d[32];
    int rc = cos_nvm_digest(&self->card, d);
    if (rc != 0)
        return obol_raise(state_of(self), OBOL_FAM_CARD, rc, NULL);
    return PyBytes_FromStringAndSize((const char *)d, sizeof(d));
}

static PyObject *card_connection(card_object *self, PyObject *unused)
{
    (void)unused;
    obol_state *st = state_of(self);
    if (st == NULL)
        return NULL;
    return PyObject_CallOneArg((PyObject *)st->connection_type, (PyObject *)self);
}

static PyObject *card_get_counters(card_object *self, void *closure)
{
    (void)closure;
    if (check_open(self) != 0)
        return NULL;
    const cos_cost *c = cos_cost_get(&self->card);
    return obol_dict_build("apdus", PyLong_FromUnsignedLong(c->apdus), "nvm_writes",
                           PyLong_FromUnsignedLong(c->nvm_writes), "nvm_bytes",
                           PyLong_FromUnsignedLong(c->nvm_bytes), "nvm_pages",
                           PyLong_FromUnsignedLong(c->nvm_pages), "crypto_blocks",
                           PyLong_FromUnsignedLong(c->crypto_blocks), "rng_bytes",
                           PyLong_FromUnsignedLong(c->rng_bytes), NULL);
}

static PyObject *card_get_powered(card_object *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(self->open && cos_is_powered(&self->card));
}

static PyObject *card_get_closed(card_object *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(!self->open);
}

static PyObject *card_get_atr(card_object *self, void *closure)
{
    (void)closure;
    if (!self->open || !cos_is_powered(&self->card))
        Py_RETURN_NONE;
    return PyBytes_FromStringAndSize((const char *)self->atr, (Py_ssize_t)self->atrlen);
}

static PyObject *card_get_profile(card_object *self, void *closure)
{
    (void)closure;
    return Py_NewRef(self->profile);
}

static PyObject *card_get_image(card_object *self, void *closure)
{
    (void)closure;
    return Py_NewRef(self->image);
}

static PyObject *card_get_seed(card_object *self, void *closure)
{
    (void)closure;
    return PyLong_FromUnsignedLongLong(self->seed);
}

static PyObject *card_get_contactless(card_object *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(self->iface == COS_IF_CONTACTLESS);
}

static PyObject *card_repr(card_object *self)
{
    return PyUnicode_FromFormat("<obol.Card profile=%R image=%R seed=%llu %s>", self->profile,
                                self->image, (unsigned long long)self->seed,
                                !self->open                   ? "closed"
                                : cos_is_powered(&self->card) ? "powered"
                                                              : "off");
}

static PyMethodDef card_methods[] = {
    {"power_on", (PyCFunction)(void (*)(void))card_power_on_m, METH_VARARGS | METH_KEYWORDS,
     "power_on(warm=False) -> bytes\n\nPowers the card on (cold, or a warm reset) and returns "
     "its ATR (contact) or ATS (contactless). NVM recovery runs first."},
    {"reset", (PyCFunction)card_reset, METH_NOARGS, "reset() -> bytes\n\nWarm reset; the ATR."},
    {"power_off", (PyCFunction)card_power_off_m, METH_NOARGS,
     "power_off()\n\nOrderly power off: an open NVM transaction is rolled back."},
    {"transmit", (PyCFunction)card_transmit, METH_O,
     "transmit(apdu: bytes) -> bytes\n\nSends one command APDU and returns the response, "
     "data || SW1 SW2. Protocol errors are status words; card OS faults raise CardError."},
    {"reset_counters", (PyCFunction)card_reset_counters, METH_NOARGS,
     "reset_counters()\n\nZeroes the cost counters."},
    {"nvm_digest", (PyCFunction)card_nvm_digest, METH_NOARGS,
     "nvm_digest() -> bytes\n\nSHA-256 over the NVM's logical content (the card must be "
     "powered on): equal digests, equal behaviour."},
    {"connection", (PyCFunction)card_connection, METH_NOARGS,
     "connection() -> CardConnection\n\nA pyscard-like connection to this card."},
    {"close", (PyCFunction)card_close, METH_NOARGS,
     "close()\n\nPowers off and releases the card (an image file keeps its content)."},
    {"__enter__", (PyCFunction)card_enter, METH_NOARGS,
     "Powers the card on when it is off; returns the card."},
    {"__exit__", (PyCFunction)card_exit, METH_VARARGS, "Closes the card."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef card_getset[] = {
    {"counters", (getter)card_get_counters, NULL,
     "The card's cost counters since it was opened or reset_counters(): apdus, nvm_writes, "
     "nvm_bytes, nvm_pages, crypto_blocks, rng_bytes.",
     NULL},
    {"powered", (getter)card_get_powered, NULL, "True while the card is powered on.", NULL},
    {"closed", (getter)card_get_closed, NULL, "True after close().", NULL},
    {"atr", (getter)card_get_atr, NULL, "The ATR of the last power on, None when off.", NULL},
    {"profile", (getter)card_get_profile, NULL, "The profile (None: the default test card).", NULL},
    {"image", (getter)card_get_image, NULL, "The NVM image file, or None (in memory).", NULL},
    {"seed", (getter)card_get_seed, NULL, "The seed of the card's RNG.", NULL},
    {"contactless", (getter)card_get_contactless, NULL,
     "True when powered over the contactless interface (ATS).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(card_doc,
             "Card(profile='multiapp', image=None, seed=0, *, nvm_size=32768, serial=0, "
             "contactless=False)\n\n"
             "A virtual card: obol's card OS in this process. PROFILE is a profile name "
             "(profiles/NAME.profile), a path, or None for the default test card. With IMAGE "
             "the NVM lives in that file (created and personalized when missing). SEED seeds "
             "the card's RNG; SERIAL overrides the profile's card serial.");

static PyType_Slot card_slots[] = {
    {Py_tp_new, card_new},
    {Py_tp_dealloc, card_dealloc},
    {Py_tp_repr, card_repr},
    {Py_tp_methods, card_methods},
    {Py_tp_getset, card_getset},
    {Py_tp_doc, (void *)card_doc},
    {0, NULL},
};

PyType_Spec obol_card_spec = {
    .name = "obol.Card",
    .basicsize = sizeof(card_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = card_slots,
};
