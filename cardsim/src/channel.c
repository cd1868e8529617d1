/*
 * obol card OS: logical channels and applet selection.
 *
 * Each channel has its own current DF, EF and record, its own security status and
 * its own selected applet instance (ISO/IEC 7816-4:2020, 5.4 for the class byte, 11.2 for MANAGE
 * CHANNEL), so two applications can be selected at once. The selected applet of a
 * channel is always the owner of its current DF (the nearest ADF above it): this
 * file is where selection changes call the applets' deselect() and select().
 *
 * MANAGE CHANNEL: P1 00 opens (P2 00: the card picks the lowest free channel and
 * returns it, Le 01; P2 01..03: that channel), P1 80 closes channel P2 (00: the one
 * in CLA). Opening from channel 0 starts at the MF; from another channel the new
 * channel starts at that channel's current DF (without its applet unless the class
 * is multi-selectable). Status words: 6A81 no free channel, 6881 channel number not
 * supported, 6A86 bad P1/P2 (channel 0 cannot be closed, channel already open).
 */
#include "cos_internal.h"

const cos_applet_class *cos__class_find(const cos_card *c, uint16_t id)
{
    for (uint16_t i = 0; i < c->nclasses; i++)
        if (c->classes[i] && c->classes[i]->id == id)
            return c->classes[i];
    return NULL;
}

void cos__ctx_init(cos_ctx *x, cos_card *c, cos_oid inst, uint8_t ch)
{
    x->card = c;
    x->inst = inst;
    x->chan = ch;
    x->ram = ch < COS_CHANNELS ? c->ch[ch].ram : NULL;
}

static const cos_applet_class *inst_class(cos_card *c, cos_oid inst)
{
    cos__df d;
    if (cos__df_load(c, inst, &d) < 0 || d.o.type != COS__T_ADF)
        return NULL;
    return cos__class_find(c, d.class_id);
}

static void deselect(cos_card *c, uint8_t ch)
{
    cos__chan *k = &c->ch[ch];
    if (k->app) {
        const cos_applet_class *cl = inst_class(c, k->app);
        if (cl && cl->deselect) {
            cos_ctx x;
            cos__ctx_init(&x, c, k->app, ch);
            cl->deselect(&x);
        }
        k->app = 0;
    }
    memset(k->ram, 0, sizeof k->ram);
}

int cos__chan_set_df(cos_card *c, uint8_t ch, cos_oid df, cos_oid ef)
{
    cos__chan *k = &c->ch[ch];
    const cos_applet_class *cl = NULL;
    cos_oid app;
    int rc = cos__obj_owner(c, df, &app);

    if (rc < 0)
        return rc;
    if (app && app != k->app) {
        cl = inst_class(c, app);
        if (!cl)
            return COS_SW_FILE_NOT_FOUND; /* its code is not in this card's ROM */
        if (!(cl->flags & COS_CLASS_MULTISELECT))
            for (uint8_t i = 0; i < COS_CHANNELS; i++)
                if (i != ch && c->ch[i].open && c->ch[i].app == app)
                    return COS_SW_CONDITIONS;
    }
    if (app != k->app)
        deselect(c, ch);
    k->df = df;
    k->ef = ef;
    k->rec = 0;
    rc = cos__sec_prune(c, ch);
    if (rc < 0)
        return rc;
    if (app && app != k->app) {
        k->app = app;
        if (cl->select) {
            cos_ctx x;
            cos__ctx_init(&x, c, app, ch);
            rc = cl->select(&x);
            if (rc != 0 && rc != (int)COS_SW_OK) {
                /* Refused: no applet stays selected; the channel falls back to the MF. */
                k->app = 0;
                k->df = c->mf;
                k->ef = 0;
                memset(k->ram, 0, sizeof k->ram);
                if (rc > 0 && (rc < 0x6000 || rc > 0x9FFF))
                    return COS_ERR_APPLET;
                return rc;
            }
        }
    }
    return COS_SW_OK;
}

void cos__chan_close(cos_card *c, uint8_t ch)
{
    deselect(c, ch);
    memset(&c->ch[ch], 0, sizeof c->ch[ch]);
}

void cos__chan_reset_all(cos_card *c)
{
    memset(c->ch, 0, sizeof c->ch);
    c->ch[0].open = 1;
    c->ch[0].df = c->mf;
}

int cos__cmd_manage_channel(cos_card *c, const cos_apdu *a, cos_resp *r)
{
    uint8_t n = a->p2;
    int rc;

    if (a->sm)
        return COS_SW_SM_UNSUPPORTED;
    if (a->p1 == 0x80) {
        if (a->nc || a->ne)
            return COS_SW_WRONG_LENGTH;
        if (n == 0)
            n = a->chan;
        if (n >= 20)
            return COS_SW_WRONG_P1P2;
        if (n >= COS_CHANNELS)
            return COS_SW_CHANNEL_UNSUPPORTED;
        if (n == 0 || !c->ch[n].open)
            return COS_SW_WRONG_P1P2;
        cos__chan_close(c, n);
        return COS_SW_OK;
    }
    if (a->p1 != 0x00)
        return COS_SW_WRONG_P1P2;
    if (a->nc || (n == 0 && a->ne != 1) || (n != 0 && a->ne))
        return COS_SW_WRONG_LENGTH;
    if (n == 0) {
        for (n = 1; n < COS_CHANNELS && c->ch[n].open; n++)
            ;
        if (n == COS_CHANNELS)
            return COS_SW_FUNC_UNSUPPORTED;
    } else if (n >= 20) {
        return COS_SW_WRONG_P1P2;
    } else if (n >= COS_CHANNELS) {
        return COS_SW_CHANNEL_UNSUPPORTED;
    } else if (c->ch[n].open) {
        return COS_SW_WRONG_P1P2;
    }
    memset(&c->ch[n], 0, sizeof c->ch[n]);
    c->ch[n].open = 1;
    c->ch[n].df = c->mf;
    if (a->chan != 0) {
        /* Inherit the opening channel's current DF; a non-multi-selectable applet
         * cannot follow, so the new channel then starts at the MF. */
        rc = cos__chan_set_df(c, n, c->ch[a->chan].df, 0);
        if (rc < 0)
            return rc;
        if (rc != (int)COS_SW_OK) {
            c->ch[n].df = c->mf;
            c->ch[n].app = 0;
        }
    }
    if (a->p2 == 0) {
        rc = cos_resp_u8(r, n);
        if (rc < 0)
            return rc;
    }
    return COS_SW_OK;
}
