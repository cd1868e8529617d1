/*
 * obol CLI: a card the CLI talks to, wherever it is: a virtual card (in process or the
 * Cortex-M3 image under QEMU, vcard.h) or a card in a PC/SC reader (pcsc-lite, which
 * includes obol's own cards served through vpcd). `obol replay` and `obol conform`
 * drive every target through these four operations.
 *
 * Targets on the command line:
 *   inproc:PROFILE   an in-process card personalized from PROFILE ("default": the
 *                    default test card); options (image, seed) come from the caller
 *   qemu[:PROFILE]   the Cortex-M3 image under QEMU, personalized the same way
 *   pcsc:NAME        the card in the PC/SC reader NAME: the exact name, a unique
 *                    part of it, or its index in the reader list (pcsc:0)
 *
 * Errors: 0 or a negative LINK_ERR_*; link_errmsg() holds the last message.
 */
#ifndef OBOL_CLI_LINK_H
#define OBOL_CLI_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "vcard.h"

enum {
    LINK_ERR_USAGE = -1, /* bad target, no such reader or profile */
    LINK_ERR_CARD = -2,  /* the card did not answer, or was removed */
    LINK_ERR_IO = -3,    /* the reader, pcscd or QEMU failed */
    LINK_ERR_NOMEM = -4,
};

typedef struct link link;

typedef struct link_ops {
    int (*power_on)(link *l, int warm, const uint8_t **atr, size_t *atrlen);
    int (*power_off)(link *l);
    int (*transmit)(link *l, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
                    size_t *rsplen);
    int (*close)(link *l, char *err, size_t errlen);
} link_ops;

struct link {
    const link_ops *ops;
    char name[300]; /* "in-process card purse", "pcsc:Virtual PCD 00 00", ... */
    char msg[512];
    int powered;
};

/* Opens TARGET ("inproc:PROFILE", "qemu[:PROFILE]", "pcsc:NAME"). For virtual cards
 * BASE supplies the other settings (image, seed, elf; its profile is replaced by the
 * target's). Returns 0 and *OUT, or a LINK_ERR_* code with a message in ERR. */
int link_open(link **out, const char *target, const vcard_spec *base, char *err, size_t errlen);
/* Opens a virtual card described by SPEC. */
int link_open_vcard(link **out, const vcard_spec *spec, char *err, size_t errlen);
/* Opens the card in PC/SC reader NAME (see above for how NAME matches). */
int link_open_pcsc(link **out, const char *name, char *err, size_t errlen);

/* The operations (see vcard.h for their meaning; ATR owned by the link). */
int link_power_on(link *l, int warm, const uint8_t **atr, size_t *atrlen);
int link_power_off(link *l);
int link_transmit(link *l, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
                  size_t *rsplen);
/* Powers off, saves images, frees. L may be NULL. */
int link_close(link *l, char *err, size_t errlen);

const char *link_errmsg(const link *l);

#endif
