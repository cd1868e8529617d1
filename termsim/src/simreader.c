/*
 * obol terminal kernel: the in-process reader for simulated cards (term_simreader.h).
 * Drives a cos_card through the card OS's public API only.
 */
#include <stdlib.h>
#include <string.h>

#include "obol/term_simreader.h"

static term_simreader *sim(term_reader *r)
{
    return (term_simreader *)r; /* base is the first member */
}

/* The card's work between two snapshots of its cost counters. */
static void cost_delta(const cos_cost *a, const cos_cost *b, cos_cost *d)
{
    d->apdus = b->apdus - a->apdus;
    d->nvm_writes = b->nvm_writes - a->nvm_writes;
    d->nvm_bytes = b->nvm_bytes - a->nvm_bytes;
    d->nvm_pages = b->nvm_pages - a->nvm_pages;
    d->crypto_blocks = b->crypto_blocks - a->crypto_blocks;
    d->rng_bytes = b->rng_bytes - a->rng_bytes;
}

static int sim_present(term_reader *r)
{
    return sim(r)->card != NULL;
}

static int sim_power_on(term_reader *r, int64_t now, uint8_t *atr, size_t cap, size_t *len,
                        int64_t *elapsed)
{
    term_simreader *s = sim(r);
    cos_cost before, d;
    unsigned flags = r->iface == TERM_IF_CONTACT ? COS_IF_CONTACT : COS_IF_CONTACTLESS;
    int rc;

    if (s->card == NULL)
        return TERM_ERR_NO_CARD;
    before = *cos_cost_get(s->card);
    /* A power loss during NVM recovery at power on just means "try again" (cos.h). */
    for (int i = 0; i < 2; i++) {
        rc = cos_power_on(s->card, flags, (uint64_t)now, atr, cap, len);
        if (rc != COS_ERR_POWER_LOST)
            break;
    }
    if (rc == COS_ERR_BUFFER)
        return TERM_ERR_BUFFER;
    if (rc < 0)
        return TERM_ERR_READER; /* a mute card: not formatted, corrupt, or the HAL failed */
    s->powered = 1;
    if (s->timing != NULL) {
        cost_delta(&before, cos_cost_get(s->card), &d);
        *elapsed = s->timing(s->timing_ctx, r, TERM_SIM_POWER_ON, 0, *len, &d);
    }
    return 0;
}

static void sim_power_off(term_reader *r)
{
    term_simreader *s = sim(r);

    if (s->card != NULL)
        cos_power_off(s->card);
    s->powered = 0;
}

static int sim_transmit(term_reader *r, int64_t now, const uint8_t *cmd, size_t len, uint8_t *rsp,
                        size_t cap, size_t *rsplen, int64_t *elapsed)
{
    term_simreader *s = sim(r);
    cos_cost before, d;
    int tear = 0, rc;

    if (s->card == NULL)
        return TERM_ERR_CARD_LOST;
    if (!s->powered)
        return TERM_ERR_NO_CARD;
    if (s->tear_mode != 0) {
        if (s->tear_ins != 0 ? cmd[1] == s->tear_ins : s->tear_after == 0) {
            tear = s->tear_mode;
            s->tear_mode = 0;
        } else if (s->tear_ins == 0) {
            s->tear_after--;
        }
    }
    if (tear == TERM_TEAR_BEFORE) {
        term_simreader_remove(s);
        return TERM_ERR_CARD_LOST;
    }
    before = *cos_cost_get(s->card);
    rc = cos_transmit(s->card, (uint64_t)now, cmd, len, rsp, cap, rsplen);
    if (s->timing != NULL) {
        cost_delta(&before, cos_cost_get(s->card), &d);
        *elapsed = s->timing(s->timing_ctx, r, TERM_SIM_APDU, len, rc == 0 ? *rsplen : 0, &d);
    }
    if (rc == COS_ERR_POWER_LOST || tear == TERM_TEAR_AFTER) {
        /* The card lost power (injected inside the card) or left the field: the
         * answer, if any, never reaches the terminal. */
        *rsplen = 0;
        term_simreader_remove(s);
        return TERM_ERR_CARD_LOST;
    }
    if (rc == COS_ERR_NOT_POWERED)
        return TERM_ERR_NO_CARD;
    if (rc < 0)
        return TERM_ERR_READER;
    return 0;
}

static const term_reader_ops sim_ops = {
    .present = sim_present,
    .power_on = sim_power_on,
    .power_off = sim_power_off,
    .transmit = sim_transmit,
};

void term_simreader_init(term_simreader *s, const char *name, unsigned iface)
{
    memset(s, 0, sizeof *s);
    term_reader_init(&s->base, &sim_ops, name, iface);
}

void term_simreader_insert(term_simreader *s, cos_card *card)
{
    if (s->card != NULL && s->card != card)
        term_simreader_remove(s);
    s->card = card;
    s->powered = 0;
}

void term_simreader_remove(term_simreader *s)
{
    if (s->card != NULL)
        cos_power_off(s->card);
    s->card = NULL;
    s->powered = 0;
}

void term_simreader_set_timing(term_simreader *s, term_sim_timing_fn fn, void *ctx)
{
    s->timing = fn;
    s->timing_ctx = fn != NULL ? ctx : NULL;
}

void term_simreader_tear(term_simreader *s, uint32_t after, int mode)
{
    s->tear_ins = 0;
    s->tear_after = after;
    s->tear_mode = (uint8_t)(mode == TERM_TEAR_BEFORE || mode == TERM_TEAR_AFTER ? mode : 0);
}

void term_simreader_tear_on(term_simreader *s, uint8_t ins, int mode)
{
    term_simreader_tear(s, 0, mode);
    s->tear_ins = ins;
}

const char *term_sim_profile_dir(void)
{
    const char *d = getenv("OBOL_TERM_PROFILE_DIR");

    if (d != NULL && *d != '\0')
        return d;
#ifdef OBOL_TERM_PROFILE_DIR_DEFAULT
    return OBOL_TERM_PROFILE_DIR_DEFAULT;
#else
    return "termsim/profiles";
#endif
}
