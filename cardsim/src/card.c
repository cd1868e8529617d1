/*
 * obol card OS: the card instance's life: attach, power on (recovery, reset of RAM
 * state, ATR), power off, cost counters and the fault record.
 */
#include "cos_internal.h"

int cos_card_attach(cos_card *c, const cos_card_config *cfg)
{
    if (!c || !cfg || !cfg->hal || !cfg->hal->nvm_read || !cfg->hal->nvm_write || !cfg->hal->rng ||
        (cfg->nclasses && !cfg->classes))
        return COS_ERR_PARAM;
    if (cfg->nvm_size < 1024 || cfg->nvm_size > 0xFFFFu * COS_NVM_ALIGN)
        return COS_ERR_PARAM;
    memset(c, 0, sizeof *c);
    c->hal = cfg->hal;
    c->port = cfg->port;
    c->classes = cfg->classes;
    c->nclasses = cfg->nclasses;
    c->nvm_size = cfg->nvm_size;
    c->nvm_page = cfg->nvm_page;
    return 0;
}

/* Reads and checks the NVM header into the card's geometry fields. */
static int load_header(cos_card *c)
{
    uint8_t h[COS__HDR_SIZE];
    int rc = cos__nvm_read(c, 0, h, sizeof h);

    if (rc < 0)
        return rc;
    if (memcmp(h, COS__MAGIC, 4) != 0)
        return COS_ERR_NOT_FORMATTED;
    if (h[4] != COS__VERSION || h[7] != COS_NVM_ALIGN || cos__get32(h + 8) != c->nvm_size)
        return COS_ERR_CORRUPT;
    c->card_state = h[COS__HDR_STATE];
    c->options = h[COS__HDR_OPTIONS];
    c->jnl_off = cos__get16(h + 12);
    c->jnl_size = cos__get16(h + 14);
    c->heap_off = cos__get32(h + 16);
    c->mf = cos__get16(h + 20);
    if (c->jnl_off != COS__HDR_SIZE || c->jnl_size < 16 ||
        c->heap_off != (uint32_t)c->jnl_off + c->jnl_size || c->heap_off % COS_NVM_ALIGN ||
        c->heap_off + 64 > c->nvm_size || cos__oid_off(c->mf) != c->heap_off)
        return COS_ERR_CORRUPT;
    return 0;
}

int cos_power_on(cos_card *c, unsigned flags, uint64_t now, uint8_t *atr, size_t cap,
                 size_t *atrlen)
{
    int rc;

    if (!c || !atr || !atrlen)
        return COS_ERR_PARAM;
    *atrlen = 0;
    /* Whatever RAM held is gone, whether the reset is cold or warm. */
    memset(&c->txn, 0, sizeof c->txn);
    memset(c->ch, 0, sizeof c->ch);
    c->pend_len = 0;
    c->chal_age = 0;
    c->share_depth = 0;
    c->now = now;
    c->iface = (uint8_t)(flags & COS_IF_CONTACTLESS);
    c->power = 1; /* writes are allowed during recovery */
    rc = load_header(c);
    if (rc == 0)
        rc = cos__nvm_recover(c);
    if (rc < 0) {
        if (c->power != 2)
            c->power = 0;
        return rc;
    }
    c->t0 = c->iface == COS_IF_CONTACT && (c->options & COS_OPT_T0);
    cos__chan_reset_all(c);
    rc = cos__atr(c, atr, cap, atrlen);
    if (rc < 0)
        c->power = 0;
    return rc;
}

void cos_power_off(cos_card *c)
{
    if (!c)
        return;
    if (c->power == 1) {
        for (uint8_t i = 0; i < COS_CHANNELS; i++) {
            if (!c->ch[i].open || !c->ch[i].app)
                continue;
            cos__df d;
            if (cos__df_load(c, c->ch[i].app, &d) == 0) {
                const cos_applet_class *cl = cos__class_find(c, d.class_id);
                if (cl && cl->power_off) {
                    cos_ctx x;
                    cos__ctx_init(&x, c, c->ch[i].app, i);
                    cl->power_off(&x);
                }
            }
        }
        if (c->txn.depth) {
            c->txn.depth = 1;
            (void)cos__txn_abort(c);
        }
    }
    memset(&c->txn, 0, sizeof c->txn);
    memset(c->ch, 0, sizeof c->ch);
    memset(c->chal, 0, sizeof c->chal);
    memset(c->resp, 0, sizeof c->resp);
    c->pend_len = 0;
    c->chal_age = 0;
    c->power = 0;
}

int cos_is_powered(const cos_card *c)
{
    return c && c->power == 1;
}

const cos_cost *cos_cost_get(const cos_card *c)
{
    return &c->cost;
}

void cos_cost_reset(cos_card *c)
{
    memset(&c->cost, 0, sizeof c->cost);
}

cos_fault cos_last_fault(const cos_card *c)
{
    return c->fault;
}

void cos__fault(cos_card *c, int err, const cos_apdu *a)
{
    c->fault.err = err;
    c->fault.cla = a ? a->cla : 0;
    c->fault.ins = a ? a->ins : 0;
    if (c->fault.count < 0xFFFF)
        c->fault.count++;
}
