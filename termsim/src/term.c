/*
 * obol terminal kernel: opening and closing a terminal, the start every card
 * transaction shares (presence, power, selection, identification, blacklist and
 * acceptance checks, recovery of an interrupted transaction), and reporting
 * decisions (term.h).
 */
#include <stdlib.h>
#include <string.h>

#include "term_internal.h"

const char *term_reason_name(int reason)
{
    switch (reason) {
#define TERM__REASON_NAME(name, value, msg)                                                        \
    case value:                                                                                    \
        return #name;
        TERM_REASON_MAP(TERM__REASON_NAME)
#undef TERM__REASON_NAME
    default:
        return "?";
    }
}

const char *term_reason_str(int reason)
{
    switch (reason) {
#define TERM__REASON_MSG(name, value, msg)                                                         \
    case value:                                                                                    \
        return msg;
        TERM_REASON_MAP(TERM__REASON_MSG)
#undef TERM__REASON_MSG
    default:
        return "unknown reason";
    }
}

/* ---- the pending list ---------------------------------------------------------------- */

int term__pend_add(term *t, int64_t id, uint64_t serial)
{
    if (t->npend == t->pend_cap) {
        size_t nc = t->pend_cap ? 2 * t->pend_cap : 8;
        term__pend *p = realloc(t->pend, nc * sizeof *p);
        if (p == NULL)
            return TERM_ERR_NOMEM;
        t->pend = p;
        t->pend_cap = nc;
    }
    t->pend[t->npend].id = id;
    t->pend[t->npend].serial = serial;
    t->npend++;
    return 0;
}

void term__pend_del(term *t, int64_t id)
{
    for (size_t i = 0; i < t->npend; i++)
        if (t->pend[i].id == id) {
            memmove(t->pend + i, t->pend + i + 1, (t->npend - i - 1) * sizeof *t->pend);
            t->npend--;
            return;
        }
}

const term__pend *term__pend_find(const term *t, uint64_t serial)
{
    for (size_t i = 0; i < t->npend; i++)
        if (t->pend[i].serial == serial)
            return &t->pend[i];
    return NULL;
}

size_t term_pending_count(const term *t)
{
    return t != NULL ? t->npend : 0;
}

static int pend_load(term *t)
{
    sqlite3_stmt *st;
    int r, rc;

    if ((st = term__stmt(t->store, TERM__ST_TXN_PENDING, &rc)) == NULL)
        return rc;
    sqlite3_bind_int64(st, 1, (int64_t)t->id);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        rc = term__pend_add(t, sqlite3_column_int64(st, 0), (uint64_t)sqlite3_column_int64(st, 1));
        if (rc != 0)
            break;
    }
    if (rc == 0 && r != SQLITE_DONE)
        rc = term__store_err(t->store, sqlite3_extended_errcode(t->store->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* ---- open / close -------------------------------------------------------------------- */

int term_open(const term_config *cfg, int64_t now, term **out)
{
    term *t;
    int rc;

    if (out == NULL)
        return TERM_ERR_ARG;
    *out = NULL;
    if (cfg == NULL || cfg->card == NULL || cfg->store == NULL || cfg->naids > TERM__MAX_AIDS ||
        cfg->kind < TERM_GATE_ENTRY || cfg->kind > TERM_STB)
        return TERM_ERR_ARG;
    if (cfg->psam == NULL)
        return TERM_ERR_PSAM;
    t = calloc(1, sizeof *t);
    if (t == NULL)
        return TERM_ERR_NOMEM;
    t->cfg = *cfg;
    t->store = cfg->store;
    t->clock = now;
    if (cfg->aids != NULL && cfg->naids > 0) {
        for (size_t i = 0; i < cfg->naids; i++) {
            if (cfg->aids[i].len < 5 || cfg->aids[i].len > 16) {
                rc = TERM_ERR_ARG;
                goto fail;
            }
            t->aids[i] = cfg->aids[i];
        }
    } else {
        term__default_aids(t);
    }
    t->cfg.aids = t->aids;
    if (t->cfg.capp_sfi == 0)
        t->cfg.capp_sfi = 0x17;
    if (t->cfg.capp_record == 0)
        t->cfg.capp_record = 1;
    if (t->cfg.pin_ref == 0)
        t->cfg.pin_ref = 1;
    if ((rc = term__psam_open(t)) != 0)
        goto fail;
    if ((rc = term__params_load(t)) != 0 || (rc = term__bl_load(t)) != 0 ||
        (rc = pend_load(t)) != 0)
        goto fail;
    *out = t;
    return 0;
fail:
    term_close(t);
    return rc;
}

void term_close(term *t)
{
    if (t == NULL)
        return;
    if (t->cfg.psam != NULL)
        term_reader_power_off(t->cfg.psam, &t->clock);
    free(t->fare);
    free(t->bl);
    free(t->pend);
    free(t);
}

uint64_t term_id(const term *t)
{
    return t != NULL ? t->id : 0;
}

term_kind term_get_kind(const term *t)
{
    return t->cfg.kind;
}

/* ---- decisions ------------------------------------------------------------------------ */

int term__finish(term *t, term_result *res, int status, int reason, int rc)
{
    res->status = status;
    res->reason = reason;
    res->duration = t->clock - res->start;
    if (t->cfg.on_result != NULL)
        t->cfg.on_result(t->cfg.result_ctx, res);
    term_reader_power_off(t->cfg.card, &t->clock);
    return rc;
}

void term__result_from_txn(term_result *res, const term_txn *x)
{
    res->kind = x->kind;
    res->flags |= x->flags;
    res->serial = x->rec.serial;
    res->card_type = x->rec.card_type;
    res->amount = x->rec.amount;
    res->balance_before = x->rec.balance_before;
    res->balance_after = x->rec.balance_after;
    res->ttn = x->rec.ttn;
    res->counter = x->rec.counter;
    memcpy(res->tac, x->rec.tac, 4);
    res->entry_station = x->rec.entry_station;
    res->exit_station = x->rec.exit_station;
    res->journal_id = x->id;
}

/* A blacklisted card: blocked when the terminal can (its security module gives the
 * MAC), the hit journaled as an event, the card refused. */
static int blacklisted(term *t, const term__card *c, term_result *res)
{
    uint16_t sw = 0;
    int rc, blocked = 0;

    if (t->cfg.block_mac != NULL) {
        rc = term__card_block(t, c, &sw);
        if (rc == TERM_ERR_CARD_LOST || rc == TERM_ERR_READER)
            return term__finish(t, res, TERM_DECLINED, TERM_R_BLACKLISTED, rc);
        blocked = rc == 0 && sw == COS_SW_OK;
        res->sw = blocked ? 0 : sw;
    }
    if (blocked)
        res->flags |= TERM_F_BLOCKED;
    if ((rc = term__unit_begin(t->store, 1)) == 0) {
        rc = term__event_add(t->store, t->id, t->clock,
                             blocked ? TERM__EV_BLOCKED : TERM__EV_BLACKLIST_HIT, c->serialn, sw);
        if (rc == 0)
            rc = term__unit_commit(t->store);
        else
            term__unit_rollback(t->store);
    }
    return term__finish(t, res, TERM_DECLINED, TERM_R_BLACKLISTED, rc);
}

int term__card_begin(term *t, int64_t now, int kind, term__card *c, term_result *res)
{
    uint8_t atr[64], today[4], tm[3];
    const host_term_params *p = t->params_version ? &t->params : NULL;
    size_t n;
    uint16_t sw;
    int rc;

    memset(res, 0, sizeof *res);
    memset(c, 0, sizeof *c);
    res->kind = (uint8_t)kind;
    res->start = now;
    t->clock = now;
    if (t->dead)
        return TERM_ERR_STATE;
    rc = term_reader_present(t->cfg.card);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return TERM_ERR_NO_CARD;
    if ((rc = term_reader_power_on(t->cfg.card, &t->clock, atr, sizeof atr, &n)) != 0) {
        term_reader_power_off(t->cfg.card, &t->clock);
        return rc;
    }
    rc = term__select(t, c);
    if (rc < 0)
        return term__finish(t, res, TERM_DECLINED, TERM_R_CARD_LOST, rc);
    if (rc > 0)
        return term__finish(t, res, TERM_DECLINED, rc == 2 ? TERM_R_APP_BLOCKED : TERM_R_NO_APP, 1);
    if ((rc = term__card_read_ids(t, c, &sw)) != 0)
        return term__finish(t, res, TERM_DECLINED, TERM_R_CARD_LOST, rc);
    if (sw != COS_SW_OK) {
        res->sw = sw;
        return term__finish(t, res, TERM_DECLINED, TERM_R_NO_APP, 1);
    }
    res->serial = c->serialn;
    res->card_type = c->card_type;
    if (term__bl_find(t, c->serialn) != NULL) {
        /* A transaction this card left pending here happened before the card was
         * refused: its outcome is settled first (the money may have moved), quietly. */
        if (term__pend_find(t, c->serialn) != NULL && (rc = term__recover(t, c, res, 0)) < 0)
            return rc == TERM_ERR_CRASHED
                       ? rc
                       : term__finish(t, res, TERM_DECLINED, TERM_R_CARD_LOST, rc);
        rc = blacklisted(t, c, res);
        return rc < 0 ? rc : 1;
    }
    if (p != NULL) {
        static const uint8_t none[8];
        if (memcmp(p->issuer, none, 8) != 0 && memcmp(p->issuer, c->issuer, 8) != 0)
            return term__finish(t, res, TERM_DECLINED, TERM_R_ISSUER, 1);
        if (p->accepted_card_types != 0 &&
            (c->card_type >= 32 || !(p->accepted_card_types >> c->card_type & 1u)))
            return term__finish(t, res, TERM_DECLINED, TERM_R_CARD_TYPE, 1);
    }
    /* BCD dates compare as numbers byte by byte; zeros mean "not set". */
    term__local_bcd(t, t->clock, today, tm);
    if ((term__get32(c->start) != 0 && memcmp(today, c->start, 4) < 0) ||
        (term__get32(c->expiry) != 0 && memcmp(today, c->expiry, 4) > 0))
        return term__finish(t, res, TERM_DECLINED, TERM_R_EXPIRED, 1);
    if (term__pend_find(t, c->serialn) != NULL) {
        rc = term__recover(t, c, res, 1);
        if (rc == TERM_ERR_CRASHED)
            return rc;
        if (rc < 0)
            return term__finish(t, res, TERM_DECLINED, TERM_R_CARD_LOST, rc);
        if (rc == 1)
            return 1;
    }
    return 0;
}
