/*
 * obol core: the readers the world gives termsim's terminals (term_reader.h).
 *
 * The card reader is a backend of the world's own: it holds the card in the field
 * (w->live, attached to the card's NVM image for the length of a tap), times every
 * operation with the timing model — ISO/IEC 14443 activation and I-blocks with frame
 * errors for contactless, ISO/IEC 7816-3 T=0 for a contact slot, and for a
 * dual-interface terminal the reads over the air and the purchase over the slot — adds
 * the chip's work from the card OS's cost counters, pulls the card away where the
 * rider does (before a command, after it, or inside its NVM writes), records the
 * exchange for the report's APDU trace and the attacker's sniffer, and can present a
 * fake card that answers with a recorded transaction (the replay attack).
 *
 * The PSAM sits in termsim's own in-process reader (term_simreader.h) with a timing
 * model for its contact slot and the PSAM's chip.
 */
#include <stdio.h>
#include <string.h>

#include "world_internal.h"

/* ---- timing ---------------------------------------------------------------------------- */

static void work_of(const cos_cost *c, sim_work *w)
{
    w->apdus = c->apdus;
    w->nvm_writes = c->nvm_writes;
    w->nvm_bytes = c->nvm_bytes;
    w->nvm_pages = c->nvm_pages;
    w->crypto_blocks = c->crypto_blocks;
    w->rng_bytes = c->rng_bytes;
}

static void cost_diff(const cos_cost *a, const cos_cost *b, cos_cost *d)
{
    d->apdus = b->apdus - a->apdus;
    d->nvm_writes = b->nvm_writes - a->nvm_writes;
    d->nvm_bytes = b->nvm_bytes - a->nvm_bytes;
    d->nvm_pages = b->nvm_pages - a->nvm_pages;
    d->crypto_blocks = b->crypto_blocks - a->crypto_blocks;
    d->rng_bytes = b->rng_bytes - a->rng_bytes;
}

/* Whether command CMD goes over the air at group G's terminal. A dual-interface
 * terminal reads the card over the air (SELECT, READ BINARY, READ RECORD) and makes
 * the purchase over the contact slot. */
static int over_air(const scn_group *g, const uint8_t *cmd)
{
    if (g->iface == SCN_IF_CONTACTLESS)
        return 1;
    if (g->iface == SCN_IF_CONTACT)
        return 0;
    return cmd[1] == 0xA4 || cmd[1] == 0xB0 || cmd[1] == 0xB2;
}

sim_time w_card_exchange_time(world *w, int ti, const uint8_t *cmd, size_t len, size_t rsplen,
                              const cos_cost *work)
{
    w_term *t = &w->terms[ti];
    const scn_group *g = &w->sc->groups[t->group];
    sim_work wk;
    work_of(work, &wk);
    sim_time chip = sim_chip_time(&w->sc->card_chip, &wk), d;
    if (over_air(g, cmd)) {
        d = sim_air_exchange(&w->sc->air, w->sc->bitrate, len, rsplen, chip, NULL);
        double fe = w->sc->air.frame_error;
        if (fe > 0) {
            int cmd_lost = sim_rng_uniform(&t->rng) < fe;
            int rsp_bad = sim_rng_uniform(&t->rng) < fe;
            if (cmd_lost || rsp_bad)
                d += sim_air_recovery(&w->sc->air, w->sc->bitrate, len, rsplen, cmd_lost, rsp_bad);
        }
    } else {
        d = sim_contact_exchange(&g->card_slot, len > 5 ? len - 5 : 0, rsplen > 2 ? rsplen - 2 : 0,
                                 chip);
    }
    return d + sim_us(g->term.apdu_us);
}

/* ---- the card reader ------------------------------------------------------------------- */

static int rd_present(term_reader *r)
{
    w_reader *x = (w_reader *)r;
    return x->card != NULL || x->fake != NULL;
}

static int rd_power_on(term_reader *r, int64_t now, uint8_t *atr, size_t cap, size_t *len,
                       int64_t *elapsed)
{
    w_reader *x = (w_reader *)r;
    world *w = x->w;
    const scn_group *g = &w->sc->groups[w->terms[x->ti].group];
    *elapsed = 0;
    if (x->card == NULL && x->fake == NULL)
        return TERM_ERR_NO_CARD;
    if (g->iface != SCN_IF_CONTACT)
        *elapsed += sim_air_activation(&w->sc->air);
    if (g->iface != SCN_IF_CONTACTLESS)
        *elapsed += sim_us(g->card_slot.activation_us);
    *elapsed += sim_us(w->sc->card_chip.power_on_us);
    if (x->fake != NULL) {
        size_t n = x->fake->ats_len < cap ? x->fake->ats_len : cap;
        memcpy(atr, x->fake->ats, n);
        *len = n;
        return 0;
    }
    unsigned iface = g->iface == SCN_IF_CONTACT ? COS_IF_CONTACT : COS_IF_CONTACTLESS;
    int rc = cos_power_on(x->card, iface, (uint64_t)(now / SIM_US), atr, cap, len);
    if (rc == COS_ERR_POWER_LOST)
        rc = cos_power_on(x->card, iface, (uint64_t)(now / SIM_US), atr, cap, len);
    if (rc == 0 && *len <= sizeof(w->cur.ats)) {
        memcpy(w->cur.ats, atr, *len);
        w->cur.ats_len = (uint8_t)*len;
    }
    return rc == 0 ? 0 : TERM_ERR_READER;
}

static void rd_power_off(term_reader *r)
{
    w_reader *x = (w_reader *)r;
    if (x->card != NULL)
        cos_power_off(x->card);
}

/* The fake card: the recorded answer to the same command (INS, P1, P2), else 6D00. */
static void fake_answer(const w_capture *c, const uint8_t *cmd, uint8_t *rsp, size_t cap,
                        size_t *rsplen)
{
    for (int i = 0; i < c->npairs; i++) {
        const w_pair *p = &c->pairs[i];
        if (p->cmd[1] == cmd[1] && p->cmd[2] == cmd[2] && p->cmd[3] == cmd[3] && p->rlen <= cap) {
            memcpy(rsp, p->rsp, p->rlen);
            *rsplen = p->rlen;
            return;
        }
    }
    rsp[0] = 0x6D;
    rsp[1] = 0x00;
    *rsplen = 2;
}

static void remember(world *w, const uint8_t *cmd, size_t len, const uint8_t *rsp, size_t rlen)
{
    if (w->cur.npairs >= W_MAX_PAIRS || len > sizeof(w->cur.pairs[0].cmd) ||
        rlen > sizeof(w->cur.pairs[0].rsp))
        return;
    w_pair *p = &w->cur.pairs[w->cur.npairs++];
    memcpy(p->cmd, cmd, len);
    p->clen = (uint8_t)len;
    memcpy(p->rsp, rsp, rlen);
    p->rlen = (uint8_t)rlen;
}

static int rd_transmit(term_reader *r, int64_t now, const uint8_t *cmd, size_t len, uint8_t *rsp,
                       size_t cap, size_t *rsplen, int64_t *elapsed)
{
    w_reader *x = (w_reader *)r;
    world *w = x->w;
    cos_cost zero = {0};
    *elapsed = 0;
    if (len < 4)
        return TERM_ERR_READER;
    if (x->fake != NULL) {
        fake_answer(x->fake, cmd, rsp, cap, rsplen);
        *elapsed = w_card_exchange_time(w, x->ti, cmd, len, *rsplen, &zero);
        w_trace_apdu(w, "card", cmd, len, rsp, *rsplen,
                     w->trace_t0 + now + *elapsed - w->tap_start);
        return 0;
    }
    if (x->card == NULL || !cos_is_powered(x->card))
        return TERM_ERR_NO_CARD;
    /* The rider pulls the card away during this command. */
    int tear = x->tear_ins >= 0 && cmd[1] == (uint8_t)x->tear_ins ? x->tear_mode : 0;
    if (tear == W_TEAR_BEFORE) {
        x->tear_ins = -1;
        x->torn = 1;
        *elapsed = w_card_exchange_time(w, x->ti, cmd, len, 0, &zero) + sim_air_fwt(&w->sc->air);
        w_trace_apdu(w, "card", cmd, len, NULL, 0, w->trace_t0 + now + *elapsed - w->tap_start);
        cos_power_off(x->card);
        return TERM_ERR_CARD_LOST;
    }
    if (tear == W_TEAR_POWER)
        cos_host_cut_after(&w->live.host, (uint32_t)sim_rng_below(&w->terms[x->ti].rng, 6),
                           (uint32_t)sim_rng_below(&w->terms[x->ti].rng, 24));
    cos_cost before = *cos_cost_get(x->card), d;
    int rc = cos_transmit(x->card, (uint64_t)(now / SIM_US), cmd, len, rsp, cap, rsplen);
    cost_diff(&before, cos_cost_get(x->card), &d);
    size_t rbytes = rc == 0 ? *rsplen : 0;
    *elapsed = w_card_exchange_time(w, x->ti, cmd, len, rbytes, &d);
    sim_time shown = w->trace_t0 + now + *elapsed - w->tap_start;
    if (rc != 0 || tear) {
        x->tear_ins = -1;
        x->torn = 1;
        w_trace_apdu(w, "card", cmd, len, NULL, 0, shown);
        cos_power_off(x->card);
        return TERM_ERR_CARD_LOST;
    }
    w_trace_apdu(w, "card", cmd, len, rsp, *rsplen, shown);
    remember(w, cmd, len, rsp, *rsplen);
    return 0;
}

static const term_reader_ops card_ops = {rd_present, rd_power_on, rd_power_off, rd_transmit};

void w_reader_init(w_reader *x, world *w, int ti, unsigned iface)
{
    memset(x, 0, sizeof(*x));
    term_reader_init(&x->base, &card_ops, "card", iface);
    x->w = w;
    x->ti = ti;
    x->tear_ins = -1;
}

/* ---- the PSAM's reader ------------------------------------------------------------------ */

static int64_t psam_timing(void *ctx, const term_reader *r, int op, size_t cmdlen, size_t rsplen,
                           const cos_cost *work)
{
    (void)r;
    w_term *t = ctx;
    world *w = t->w;
    sim_work wk;
    work_of(work, &wk);
    sim_time chip = sim_chip_time(&w->sc->psam_chip, &wk);
    if (op == TERM_SIM_POWER_ON)
        return sim_us(w->sc->psam_slot.activation_us) + chip;
    return sim_contact_exchange(&w->sc->psam_slot, cmdlen > 5 ? cmdlen - 5 : 0,
                                rsplen > 2 ? rsplen - 2 : 0, chip) +
           sim_us(w->sc->groups[t->group].term.apdu_us);
}

/* The PSAM's exchanges in the APDU trace. */
static void psam_trace(void *ctx, const term_trace_event *ev)
{
    w_term *t = ctx;
    world *w = t->w;
    if (ev->kind == TERM_TRACE_CMD && ev->len <= sizeof(t->last_cmd)) {
        memcpy(t->last_cmd, ev->data, ev->len);
        t->last_len = ev->len;
    } else if (ev->kind == TERM_TRACE_RSP && w->tracing) {
        w_trace_apdu(w, "psam", t->last_cmd, t->last_len, ev->data, ev->len,
                     w->trace_t0 + (ev->time - w->tap_start));
    }
}

void w_psam_reader_init(w_term *t)
{
    term_simreader_init(&t->psam_rd, "psam", TERM_IF_CONTACT);
    term_simreader_set_timing(&t->psam_rd, psam_timing, t);
    term_reader_set_trace(&t->psam_rd.base, psam_trace, t);
    term_simreader_insert(&t->psam_rd, &t->psam.card);
}
