/*
 * obol CLI: card links (link.h): the target syntax and the virtual-card link; the
 * PC/SC link is link_pcsc.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"

typedef struct vlink {
    link base; /* first */
    vcard *card;
} vlink;

static int vl_power_on(link *l, int warm, const uint8_t **atr, size_t *atrlen)
{
    vlink *v = (vlink *)l;
    if (vcard_power_on(v->card, warm, atr, atrlen) != 0) {
        snprintf(l->msg, sizeof(l->msg), "%s", vcard_errmsg(v->card));
        return LINK_ERR_CARD;
    }
    return 0;
}

static int vl_power_off(link *l)
{
    vlink *v = (vlink *)l;
    if (vcard_power_off(v->card) != 0) {
        snprintf(l->msg, sizeof(l->msg), "%s", vcard_errmsg(v->card));
        return LINK_ERR_IO;
    }
    return 0;
}

static int vl_transmit(link *l, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
                       size_t *rsplen)
{
    vlink *v = (vlink *)l;
    int rc = vcard_transmit(v->card, cmd, len, rsp, cap, rsplen);
    if (rc != 0) {
        snprintf(l->msg, sizeof(l->msg), "%s", vcard_errmsg(v->card));
        return rc == VCARD_ERR_IO ? LINK_ERR_IO : LINK_ERR_CARD;
    }
    return 0;
}

static int vl_close(link *l, char *err, size_t errlen)
{
    vlink *v = (vlink *)l;
    int rc = vcard_close(v->card, err, errlen);
    free(v);
    return rc != 0 ? LINK_ERR_IO : 0;
}

static const link_ops vlink_ops = {vl_power_on, vl_power_off, vl_transmit, vl_close};

int link_open_vcard(link **out, const vcard_spec *spec, char *err, size_t errlen)
{
    vlink *v = calloc(1, sizeof(*v));
    *out = NULL;
    if (v == NULL) {
        snprintf(err, errlen, "out of memory");
        return LINK_ERR_NOMEM;
    }
    int rc = vcard_open(&v->card, spec, err, errlen);
    if (rc != 0) {
        free(v);
        return rc == VCARD_ERR_USAGE   ? LINK_ERR_USAGE
               : rc == VCARD_ERR_NOMEM ? LINK_ERR_NOMEM
                                       : LINK_ERR_IO;
    }
    v->base.ops = &vlink_ops;
    snprintf(v->base.name, sizeof(v->base.name), "%s card %s", vcard_kind(v->card),
             spec->profile ? spec->profile : "(default test card)");
    *out = &v->base;
    return 0;
}

int link_open(link **out, const char *target, const vcard_spec *base, char *err, size_t errlen)
{
    vcard_spec spec = *base;
    *out = NULL;
    if (strncmp(target, "pcsc:", 5) == 0)
        return link_open_pcsc(out, target + 5, err, errlen);
    if (strncmp(target, "inproc:", 7) == 0 || strcmp(target, "inproc") == 0) {
        spec.qemu = 0;
        spec.profile = target[6] == ':' ? target + 7 : base->profile;
    } else if (strncmp(target, "qemu:", 5) == 0 || strcmp(target, "qemu") == 0) {
        spec.qemu = 1;
        spec.profile = target[4] == ':' ? target + 5 : base->profile;
    } else {
        snprintf(err, errlen, "unknown target '%s' (inproc:PROFILE, qemu[:PROFILE] or pcsc:NAME)",
                 target);
        return LINK_ERR_USAGE;
    }
    if (spec.profile != NULL && (spec.profile[0] == '\0' || strcmp(spec.profile, "default") == 0))
        spec.profile = NULL;
    return link_open_vcard(out, &spec, err, errlen);
}

int link_power_on(link *l, int warm, const uint8_t **atr, size_t *atrlen)
{
    int rc = l->ops->power_on(l, warm, atr, atrlen);
    if (rc == 0)
        l->powered = 1;
    return rc;
}

int link_power_off(link *l)
{
    l->powered = 0;
    return l->ops->power_off(l);
}

int link_transmit(link *l, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap, size_t *rsplen)
{
    return l->ops->transmit(l, cmd, len, rsp, cap, rsplen);
}

int link_close(link *l, char *err, size_t errlen)
{
    if (l == NULL)
        return 0;
    return l->ops->close(l, err, errlen);
}

const char *link_errmsg(const link *l)
{
    return l->msg;
}
