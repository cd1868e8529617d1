/*
 * obol terminal kernel: the purchase core shared by gates, validators, POS and set-top
 * boxes, with its journal steps (docs/terminal.md, "Journal").
 *
 *   INITIALIZE FOR (CAPP) PURCHASE   balance, counter, key version, random
 *   [balance check against what the tap needs]
 *   [UPDATE CAPP DATA CACHE]          the trip record (composite purchase)
 *   INIT SAM FOR PURCHASE (PSAM)      terminal transaction number, MAC1
 *   journal PENDING, commit           from here on the card may pay
 *   DEBIT FOR PURCHASE                TAC || MAC2; the card pays atomically
 *   CREDIT SAM FOR PURCHASE (PSAM)    MAC2 proves the card genuine
 *   journal COMPLETE + TAC, commit
 *   result (the gate opens)
 * A card that leaves after the DEBIT went out leaves the record PENDING; its next tap
 * here resolves it (recover.c).
 */
#include <string.h>

#include "term_internal.h"

/* Writes X as PENDING (one unit) and adds it to the pending list. */
static int write_pending(term *t, term_txn *x)
{
    int rc;

    x->state = TERM_TXN_PENDING;
    x->at = t->clock;
    if ((rc = term__unit_begin(t->store, 1)) != 0)
        return rc;
    if ((rc = term__journal_insert(t->store, x)) != 0 || (rc = term__unit_commit(t->store)) != 0) {
        term__unit_rollback(t->store);
        x->id = 0;
        return rc;
    }
    return term__pend_add(t, x->id, x->rec.serial);
}

int term__pending_commit(term *t, term_txn *x)
{
    x->id = 0;
    x->state = TERM_TXN_PENDING;
    /* Simulation: nobody can look at the store between this commit and the record's
     * resolution (the simulator is single-threaded, and crashes are the kernel's own
     * injections, which write the record before they stop), so the PENDING row is
     * written only when the flow stops short of its resolution (term__pending_flush()),
     * and a completed transaction costs one write instead of two. */
    if (t->store->mode == TERM_STORE_SIM)
        return 0;
    return write_pending(t, x);
}

int term__pending_flush(term *t, term_txn *x)
{
    return x->id == 0 && x->state == TERM_TXN_PENDING ? write_pending(t, x) : 0;
}

int term__resolve_commit(term *t, term_txn *x, int state, uint16_t flags, const uint8_t tac[4],
                         uint32_t balance_after)
{
    int64_t id = x->id;
    int rc;

    if ((rc = term__unit_begin(t->store, 1)) != 0)
        return rc;
    if (id == 0) {
        /* Deferred (simulation): the record goes in resolved. */
        x->state = (uint8_t)state;
        x->flags = flags;
        if (tac != NULL)
            memcpy(x->rec.tac, tac, 4);
        x->rec.balance_after = balance_after;
        x->at = t->clock;
        rc = term__journal_insert(t->store, x);
    } else {
        rc = term__journal_finish(t->store, id, state, flags, tac, balance_after, t->clock);
    }
    if (rc != 0 || (rc = term__unit_commit(t->store)) != 0) {
        term__unit_rollback(t->store);
        if (id == 0) {
            x->id = 0;
            x->state = TERM_TXN_PENDING;
        }
        return rc;
    }
    x->state = (uint8_t)state;
    if (id != 0)
        term__pend_del(t, id);
    return 0;
}

int term__stop_pending(term *t, term_txn *x, term_result *res, int status, int reason, int rc)
{
    int frc = term__pending_flush(t, x);

    res->journal_id = x->id;
    if (rc == 0)
        rc = frc;
    if (status == 0) {
        t->dead = 1; /* a simulated crash: no decision */
        return TERM_ERR_CRASHED;
    }
    return term__finish(t, res, status, reason, rc);
}

int term__void_refused(term *t, term_txn *x, term_result *res, uint16_t sw, int reason,
                       uint32_t balance)
{
    res->sw = sw;
    int rc = term__resolve_commit(t, x, TERM_TXN_VOID, x->flags, NULL, balance);
    if (rc != 0)
        return term__stop_pending(t, x, res, TERM_DECLINED, reason, rc);
    res->balance_after = balance;
    return term__finish(t, res, TERM_DECLINED, reason, 0);
}

/* The reason for a card's refusal of INITIALIZE. */
static int init_reason(uint16_t sw)
{
    switch (sw) {
    case 0x9401:
        return TERM_R_NO_FUNDS;
    case 0x9403:
        return TERM_R_KEY;
    case 0x9303:
        return TERM_R_LOCKED;
    case 0x6982:
        return TERM_R_PIN;
    case 0x6283:
    case 0x6985:
        return TERM_R_APP_BLOCKED;
    default:
        return TERM_R_CARD_REFUSED;
    }
}

int term__buy_run(term *t, const term__card *c, const term__buy *b, term_result *res)
{
    uint8_t date[4], tm[3], mac1[4], tac[4], mac2[4];
    term__init in;
    term_txn x;
    uint16_t sw;
    uint32_t ttn;
    int rc;

    res->kind = b->kind;
    res->flags |= b->flags;
    res->entry_station = b->entry_station;
    res->exit_station = b->exit_station;
    rc = term__card_init_purchase(t, b->type == TERM__TT_CAPP, b->purse, term__key_index(t),
                                  b->amount, &in, &sw);
    if (rc != 0)
        return term__finish(t, res, TERM_DECLINED, TERM_R_CARD_LOST, rc);
    if (sw != COS_SW_OK) {
        res->sw = sw;
        return term__finish(t, res, TERM_DECLINED, init_reason(sw), 0);
    }
    res->balance_before = in.balance;
    res->counter = in.counter;
    if (in.balance < b->need)
        return term__finish(t, res, TERM_DECLINED, TERM_R_NO_FUNDS, 0);
    if (b->capp != NULL) {
        rc = term__card_capp_update(t, t->cfg.capp_sfi, t->cfg.capp_record, b->capp, b->capp_len,
                                    &sw);
        if (rc != 0)
            return term__finish(t, res, TERM_DECLINED, TERM_R_CARD_LOST, rc);
        if (sw != COS_SW_OK) {
            res->sw = sw;
            return term__finish(t, res, TERM_DECLINED, TERM_R_CARD_REFUSED, 0);
        }
    }
    term__local_bcd(t, t->clock, date, tm);
    rc = term__psam_init(t, c, &in, b->amount, b->type, date, tm, &ttn, mac1, &sw);
    if (rc != 0)
        return term__finish(t, res, TERM_DECLINED, TERM_R_CARD_REFUSED, rc);
    if (sw != COS_SW_OK) {
        /* The PSAM has no key of the card's key version (9403) or refuses the card. */
        res->sw = sw;
        return term__finish(t, res, TERM_DECLINED, sw == 0x9403 ? TERM_R_KEY : TERM_R_CARD_REFUSED,
                            0);
    }
    /* From here the card may pay: the journal knows first. */
    memset(&x, 0, sizeof x);
    x.kind = b->kind;
    x.flags = b->flags;
    x.rec.serial = c->serialn;
    x.rec.card_type = c->card_type;
    x.rec.type = b->type;
    x.rec.counter = in.counter;
    x.rec.amount = b->amount;
    x.rec.terminal = t->id;
    x.rec.ttn = ttn;
    memcpy(x.rec.date, date, 4);
    memcpy(x.rec.time, tm, 3);
    x.rec.balance_before = in.balance;
    x.rec.balance_after = in.balance - b->amount;
    x.rec.key_version = in.kver;
    x.rec.alg = in.alg;
    x.rec.entry_station = b->entry_station;
    x.rec.exit_station = b->exit_station;
    x.rec.operator_id = term__operator(t);
    if ((rc = term__pending_commit(t, &x)) != 0)
        return term__finish(t, res, TERM_DECLINED, TERM_R_CARD_REFUSED, rc);
    res->ttn = ttn;
    res->amount = b->amount;
    res->balance_after = x.rec.balance_after;
    if (t->cfg.crash_at == TERM_CRASH_AFTER_PENDING)
        return term__stop_pending(t, &x, res, 0, 0, 0);
    rc = term__card_debit(t, ttn, date, tm, mac1, tac, mac2, &sw);
    if (rc != 0) {
        /* Whether the card paid is unknown: the record stays PENDING for the next tap. */
        return term__stop_pending(t, &x, res, TERM_PENDING, TERM_R_CARD_LOST, rc);
    }
    if (sw != COS_SW_OK) /* the card refused DEBIT and kept its money (MAC1, 9401...) */
        return term__void_refused(t, &x, res, sw, init_reason(sw), in.balance);
    if (t->cfg.crash_at == TERM_CRASH_AFTER_DEBIT)
        return term__stop_pending(t, &x, res, 0, 0, 0);
    memcpy(res->tac, tac, 4);
    /* MAC2 shows the card holds the real purchase key (PBOC 2.0 part 1: CREDIT SAM FOR
     * PURCHASE). A refusal does not undo a genuine card's debit, so the record is kept,
     * flagged, and the host judges it by the TAC; but the terminal does not serve a card
     * that failed authentication (a clone or a replay of recorded answers): the gate
     * stays shut, the POS prints no receipt. */
    rc = term__psam_credit(t, mac2, &sw);
    if (rc != 0 || sw != COS_SW_OK)
        x.flags |= TERM_F_MAC2_BAD;
    res->flags |= x.flags;
    rc = term__resolve_commit(t, &x, TERM_TXN_COMPLETE, x.flags, tac, x.rec.balance_after);
    if (rc != 0)
        return term__stop_pending(t, &x, res, TERM_PENDING, TERM_R_OK, rc);
    res->journal_id = x.id;
    if (t->cfg.crash_at == TERM_CRASH_AFTER_COMMIT) {
        t->dead = 1;
        return TERM_ERR_CRASHED;
    }
    if (x.flags & TERM_F_MAC2_BAD)
        return term__finish(t, res, TERM_DECLINED, TERM_R_NOT_GENUINE, 0);
    return term__finish(t, res, TERM_APPROVED, TERM_R_OK, 0);
}
