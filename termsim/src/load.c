/*
 * obol terminal kernel: the online load at a POS (PBOC 2.0 part 1, 12.2; PROTOCOLS.md).
 *
 *   [VERIFY PIN]                         the ED only
 *   INITIALIZE FOR LOAD                  old balance, online counter, random, MAC1
 *   LOAD_REQ -> host -> LOAD_REPLY       the host checks MAC1 and answers MAC2
 *   journal PENDING, commit
 *   CREDIT FOR LOAD (date, time, MAC2)   the card loads atomically and answers the TAC
 *   journal COMPLETE + TAC, commit
 * A load's terminal transaction number comes from the terminal's own sequence with
 * the top bit set (0x80000001..), so it never meets the PSAM's purchase numbers,
 * which identify purchases of the same terminal id at the host.
 */
#include <string.h>

#include "term_internal.h"

static int load_reason(uint16_t sw)
{
    switch (sw) {
    case 0x9403:
        return TERM_R_KEY;
    case 0x9303:
        return TERM_R_LOCKED;
    case 0x6982:
        return TERM_R_PIN;
    case 0x6985:
        return TERM_R_LIMIT; /* the load would pass the purse's maximum balance */
    default:
        return TERM_R_CARD_REFUSED;
    }
}

/* A fresh load number (committed before use, so it is never reused). */
static int load_number(term *t, uint32_t *ttn)
{
    uint32_t n;
    int rc;

    if ((rc = term__unit_begin(t->store, 0)) != 0)
        return rc;
    if ((rc = term__seq_next(t->store, t->id, TERM__SEQ_LOAD, &n)) != 0 ||
        (rc = term__unit_commit(t->store)) != 0) {
        term__unit_rollback(t->store);
        return rc;
    }
    *ttn = 0x80000000u | n;
    return 0;
}

int term_load(term *t, int64_t now, uint32_t amount, uint8_t purse, term_result *res)
{
    uint8_t req[128], date[4], tm[3], tac[4];
    host_msg_load_req lr;
    host_msg m;
    term__card c;
    term__init in;
    term_txn x;
    uint32_t ttn;
    size_t len;
    uint16_t sw;
    int rc;

    if (t == NULL || res == NULL || (purse != 1 && purse != 2) || amount == 0)
        return TERM_ERR_ARG;
    if (t->cfg.kind != TERM_POS || t->cfg.host == NULL)
        return TERM_ERR_STATE;
    rc = term__card_begin(t, now, TERM_TXN_LOAD, &c, res);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (purse == 1 && (rc = term__verify_pin(t, &c, res)) != 0)
        return rc < 0 ? rc : 0;
    /* Load key index 1: the purse profiles have one load key. */
    rc = term__card_init_load(t, purse, 1, amount, &in, &sw);
    if (rc != 0)
        return term__finish(t, res, TERM_DECLINED, TERM_R_CARD_LOST, rc);
    if (sw != COS_SW_OK) {
        res->sw = sw;
        return term__finish(t, res, TERM_DECLINED, load_reason(sw), 0);
    }
    res->balance_before = in.balance;
    res->counter = in.counter;
    if ((rc = load_number(t, &ttn)) != 0)
        return term__finish(t, res, TERM_DECLINED, TERM_R_CARD_REFUSED, rc);
    term__local_bcd(t, t->clock, date, tm);
    memset(&lr, 0, sizeof lr);
    lr.terminal = t->id;
    lr.serial = c.serialn;
    lr.type = purse == 1 ? TERM__TT_ED_LOAD : TERM__TT_EP_LOAD;
    lr.key_version = in.kver;
    lr.alg = in.alg;
    memcpy(lr.random, in.rnd, 4);
    lr.online_counter = in.counter;
    lr.old_balance = in.balance;
    lr.amount = amount;
    memcpy(lr.date, date, 4);
    memcpy(lr.time, tm, 3);
    memcpy(lr.mac1, in.mac1, 4);
    lr.ttn = ttn;
    lr.operator_id = term__operator(t);
    if (host_proto_encode_load_req(++t->msg_id, &lr, req, sizeof req, &len) != 0)
        return term__finish(t, res, TERM_DECLINED, TERM_R_CARD_REFUSED, TERM_ERR_ARG);
    rc = term__host_call(t, req, len, &m);
    if (rc == 0 && m.type != HOST_MSG_LOAD_REPLY)
        rc = m.type == HOST_MSG_ERROR ? TERM_ERR_HOST : TERM_ERR_BADMSG;
    if (rc != 0)
        return term__finish(t, res, TERM_DECLINED, TERM_R_HOST_DECLINED, rc);
    if (m.u.load_reply.status != HOST_LOAD_APPROVED || m.u.load_reply.serial != c.serialn ||
        m.u.load_reply.online_counter != in.counter)
        return term__finish(t, res, TERM_DECLINED, TERM_R_HOST_DECLINED, 0);
    memset(&x, 0, sizeof x);
    x.kind = TERM_TXN_LOAD;
    x.flags = res->flags;
    x.rec.serial = c.serialn;
    x.rec.card_type = c.card_type;
    x.rec.type = lr.type;
    x.rec.counter = in.counter;
    x.rec.amount = amount;
    x.rec.terminal = t->id;
    x.rec.ttn = ttn;
    memcpy(x.rec.date, date, 4);
    memcpy(x.rec.time, tm, 3);
    x.rec.balance_before = in.balance;
    x.rec.balance_after = in.balance + amount;
    x.rec.key_version = in.kver;
    x.rec.alg = in.alg;
    x.rec.operator_id = lr.operator_id;
    if ((rc = term__pending_commit(t, &x)) != 0)
        return term__finish(t, res, TERM_DECLINED, TERM_R_CARD_REFUSED, rc);
    res->ttn = ttn;
    res->amount = amount;
    res->balance_after = x.rec.balance_after;
    if (t->cfg.crash_at == TERM_CRASH_AFTER_PENDING)
        return term__stop_pending(t, &x, res, 0, 0, 0);
    rc = term__card_credit_load(t, date, tm, m.u.load_reply.mac2, tac, &sw);
    if (rc != 0)
        return term__stop_pending(t, &x, res, TERM_PENDING, TERM_R_CARD_LOST, rc);
    if (sw != COS_SW_OK) /* the card refused CREDIT FOR LOAD: nothing was loaded */
        return term__void_refused(t, &x, res, sw, load_reason(sw), in.balance);
    if (t->cfg.crash_at == TERM_CRASH_AFTER_DEBIT)
        return term__stop_pending(t, &x, res, 0, 0, 0);
    memcpy(res->tac, tac, 4);
    rc = term__resolve_commit(t, &x, TERM_TXN_COMPLETE, x.flags, tac, x.rec.balance_after);
    if (rc != 0)
        return term__stop_pending(t, &x, res, TERM_PENDING, TERM_R_OK, rc);
    res->journal_id = x.id;
    if (t->cfg.crash_at == TERM_CRASH_AFTER_COMMIT) {
        t->dead = 1;
        return TERM_ERR_CRASHED;
    }
    return term__finish(t, res, TERM_APPROVED, TERM_R_OK, 0);
}
