/*
 * obol terminal kernel: resolving a transaction whose answer was lost (PBOC 2.0 part
 * 1, 12.6 GET TRANSACTION PROVE; docs/terminal.md, "Recovery").
 *
 * A PENDING record means DEBIT (or CREDIT FOR LOAD) may have reached the card. When
 * that card taps again here, before anything else:
 *   GET TRANSACTION PROVE (type, counter + 1)
 *     9000: the card's last transaction has this type and counter. Its answer MAC ||
 *           TAC completes the record and the tap is answered with the original
 *           transaction (RECOVERED): a passenger who pulled the card away too early
 *           walks through without paying twice.
 *     else: the card's last proof is not this transaction: later transactions
 *           elsewhere replaced it, or the card never took this one.
 * The proof names a type and a counter but no terminal, so the card's transaction log
 * (SFI 0x18) decides whose the counter was: a log record with this counter, type,
 * amount, terminal id, date and time is ours (COMPLETE with the proof's TAC, or
 * UNPROVEN when the proof is gone: the card paid and the operator settles it by
 * hand); the counter under another transaction means ours never happened (VOID), even
 * when a proof with that counter came back (the card paid elsewhere with the counter
 * our DEBIT would have used). A card without a log is taken at its proof's word.
 */
#include <string.h>

#include "term_internal.h"

/* What the card's transaction log (SFI 0x18, newest first) says about the counter
 * value of X: *WHO 1 the record is X (same counter, type, amount, terminal id, date
 * and time), 2 the counter went to another transaction, 0 not in the log (or no
 * log). Returns 0 or TERM_ERR_*. */
static int in_log(term *t, const term_txn *x, int *who)
{
    uint8_t r[TERM__RSP_MAX], tid[6];
    size_t n;
    uint16_t sw;
    int rc;

    *who = 0;
    term__put_n(tid, 6, x->rec.terminal);
    for (uint8_t i = 1; i <= 10; i++) {
        if ((rc = term__card_read_record(t, 0x18, i, r, sizeof r, &n, &sw)) != 0)
            return rc;
        if (sw != COS_SW_OK || n < 23)
            break;
        /* counter (2) overdraft (3) amount (4) type (1) terminal id (6) date (4) time (3);
         * loads and purchases count with different counters: compare like with like. */
        if (term__get16(r) != x->rec.counter || (r[9] <= 2) != (x->rec.type <= 2))
            continue;
        *who = term__get32(r + 5) == x->rec.amount && r[9] == x->rec.type &&
                       memcmp(r + 10, tid, 6) == 0 && memcmp(r + 16, x->rec.date, 4) == 0 &&
                       memcmp(r + 20, x->rec.time, 3) == 0
                   ? 1
                   : 2;
        break;
    }
    return 0;
}

int term__recover(term *t, const term__card *c, term_result *res, int report)
{
    const term__pend *p;
    uint8_t mac[4], tac[4];
    term_txn x;
    uint16_t sw;
    int rc, who;

    while ((p = term__pend_find(t, c->serialn)) != NULL) {
        int64_t id = p->id;
        rc = term_journal_get(t->store, id, &x);
        if (rc == TERM_ERR_NOT_FOUND || (rc == 0 && x.state != TERM_TXN_PENDING)) {
            term__pend_del(t, id); /* resolved elsewhere (another process on the store) */
            continue;
        }
        if (rc != 0)
            return rc;
        rc = term__card_prove(t, x.rec.type, (uint16_t)(x.rec.counter + 1u), mac, tac, &sw);
        if (rc != 0)
            return rc;
        if ((rc = in_log(t, &x, &who)) != 0)
            return rc;
        if (sw == COS_SW_OK && who != 2) {
            x.flags |= TERM_F_RECOVERED;
            memcpy(x.rec.tac, tac, 4);
            if ((rc = term__resolve_commit(t, &x, TERM_TXN_COMPLETE, x.flags, tac,
                                           x.rec.balance_after)) != 0)
                return rc;
            if (!report)
                continue;
            term__result_from_txn(res, &x);
            if (t->cfg.crash_at == TERM_CRASH_AFTER_COMMIT) {
                t->dead = 1;
                return TERM_ERR_CRASHED;
            }
            term__finish(t, res, TERM_APPROVED, TERM_R_RECOVERED, 0);
            return 1;
        }
        rc = term__resolve_commit(t, &x, who == 1 ? TERM_TXN_UNPROVEN : TERM_TXN_VOID, x.flags,
                                  NULL, who == 1 ? x.rec.balance_after : x.rec.balance_before);
        if (rc != 0)
            return rc;
    }
    return 0;
}
