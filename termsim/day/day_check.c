/*
 * obol: the day in miniature, the end of the day (term_day.h): the host settles, and
 * the checks compare the host's figures with the terminals' journals and the cards.
 */
#include <stdio.h>
#include <string.h>

#include "day_internal.h"
#include "obol/host_settle.h"

static const char *const OP_NAME[3] = {"metro", "bus", "shop"};

/* Adds a completed journal record to its operator's terminal-side sums. */
static int sum_record(void *ctx, const term_txn *x)
{
    term_day_figures *f = ctx;

    for (int i = 0; i < 3; i++) {
        term_day_op *op = &f->ops[i];
        if (op->operator_id != x->rec.operator_id)
            continue;
        if (x->rec.type == 0x01 || x->rec.type == 0x02) {
            op->term_loads++;
            op->term_load_fen += x->rec.amount;
        } else {
            op->term_purchases++;
            op->term_purchase_fen += x->rec.amount;
        }
    }
    return 0;
}

int day_check(day *d)
{
    term_day_figures *f = d->f;
    host_settlement rows[8];
    host_hsm_stats hs;
    host_recon recon;
    int64_t rejected = 0, dups = 0, repeats = 0, unacked = 0, pending = 0;
    size_t n = 0;
    int rc;

    for (int i = 0; i < 3; i++) {
        f->ops[i].operator_id = (uint32_t)(OP_METRO + i);
        f->ops[i].name = OP_NAME[i];
    }
    if ((rc = host_settle_run(d->db, DAY_DATE, DAY_DATE, rows, 8, &n)) != 0)
        return day_fail(d, rc, "settlement: %s", host_strerror(rc));
    for (size_t r = 0; r < n && r < 8; r++)
        for (int i = 0; i < 3; i++)
            if (f->ops[i].operator_id == rows[r].operator_id) {
                f->ops[i].host_purchases = rows[r].purchases;
                f->ops[i].host_purchase_fen = rows[r].purchase_amount;
                f->ops[i].host_loads = rows[r].loads;
                f->ops[i].host_load_fen = rows[r].load_amount;
            }
    if ((rc = term_store_flush(d->store)) != 0 ||
        (rc = term_journal_each(d->store, 0, TERM_TXN_COMPLETE, sum_record, f)) != 0 ||
        (rc = term_journal_count(d->store, 0, TERM_TXN_COMPLETE, 0, &unacked)) != 0 ||
        (rc = term_journal_count(d->store, 0, TERM_TXN_PENDING, -1, &pending)) != 0)
        return day_fail(d, rc, "journal: %s", term_strerror(rc));
    f->sums_match = 1;
    for (int i = 0; i < 3; i++) {
        const term_day_op *op = &f->ops[i];
        if (op->host_purchases != op->term_purchases ||
            op->host_purchase_fen != op->term_purchase_fen || op->host_loads != op->term_loads ||
            op->host_load_fen != op->term_load_fen)
            f->sums_match = 0;
    }
    host_hsm_get_stats(d->hsm, &hs);
    f->tac_verified = hs.tac_verified;
    f->tac_failed = hs.tac_failed;
    if ((rc = host_exception_count(d->db, -1, HOST_SEV_REJECTED, &rejected)) != 0 ||
        (rc = host_exception_count(d->db, -1, HOST_SEV_DUPLICATE, &dups)) != 0 ||
        (rc = host_exception_count(d->db, HOST_REASON_BATCH_REPLAY, -1, &repeats)) != 0)
        return day_fail(d, rc, "exceptions: %s", host_strerror(rc));
    /* A batch sent again after a lost acknowledgement is noted by the host as a replay
     * (counted once); that is the protocol working, not an exception of the day. */
    f->host_repeats = repeats;
    f->exceptions = rejected + dups - repeats;
    if ((rc = host_settle_reconcile(d->db, &recon, NULL, 0, &n)) != 0)
        return day_fail(d, rc, "reconciliation: %s", host_strerror(rc));
    f->recon_mismatches = recon.mismatches;
    /* Every card's balance, read from the card, against what the host implies. */
    for (unsigned i = 0; i < d->ncards; i++) {
        host_recon_card rc1;
        uint32_t bal;
        if (day_card_balance(&d->cards[i], &bal) != 0)
            continue; /* a blocked application does not tell its balance */
        f->balances_checked++;
        if (host_recon_card_get(d->db, d->cards[i].serial, &rc1) == 0 && rc1.implied == bal)
            f->balances_ok++;
    }
    f->ok = f->sums_match && f->tac_failed == 0 && f->tac_verified == f->records_uploaded &&
            f->exceptions == 0 && f->host_repeats == f->resends && f->recon_mismatches == 0 &&
            unacked == 0 && pending == 0 && f->balances_checked >= d->ncards - 1 &&
            f->balances_ok == f->balances_checked && f->recovered == 1;
    return 0;
}

static void yuan(char *buf, size_t cap, int64_t fen)
{
    snprintf(buf, cap, "%s%lld.%02lld", fen < 0 ? "-" : "", (long long)(fen < 0 ? -fen : fen) / 100,
             (long long)(fen < 0 ? -fen : fen) % 100);
}

void term_day_print(const term_day_figures *f, FILE *out)
{
    char a[32], b[32], c[32], e[32];

    fprintf(out, "cards %u, terminals %u\n", f->cards, f->terminals);
    fprintf(out, "  loads %u, metro entries %u and exits %u, bus rides %u, shop purchases %u\n",
            f->loads, f->entries, f->exits, f->bus_rides, f->purchases);
    fprintf(out, "  transfers %u, card-type discounts %u, maximum fares %u\n", f->transfers,
            f->discounts, f->penalties);
    fprintf(out,
            "  declined %u (balance %u, blacklisted %u, blocked %u), recovered after DEBIT %u\n",
            f->declined, f->no_funds, f->blacklisted, f->blocked, f->recovered);
    fprintf(out,
            "  uploaded %u records in %u batches, %u resent after a lost acknowledgement "
            "(the host saw %lld replays)\n",
            f->records_uploaded, f->batches, f->resends, (long long)f->host_repeats);
    fprintf(out,
            "settlement        host: purchases        loads   terminals: purchases        loads\n");
    for (int i = 0; i < 3; i++) {
        const term_day_op *op = &f->ops[i];
        yuan(a, sizeof a, op->host_purchase_fen);
        yuan(b, sizeof b, op->host_load_fen);
        yuan(c, sizeof c, op->term_purchase_fen);
        yuan(e, sizeof e, op->term_load_fen);
        fprintf(out, "  %-6s %4lld %10s %4lld %10s      %4lld %10s %4lld %10s\n", op->name,
                (long long)op->host_purchases, a, (long long)op->host_loads, b,
                (long long)op->term_purchases, c, (long long)op->term_loads, e);
    }
    fprintf(out,
            "checks: sums %s; TAC verified %llu, failed %llu; exceptions %lld; "
            "reconciliation mismatches %lld; card balances %u/%u\n",
            f->sums_match ? "match to the fen" : "DIFFER", (unsigned long long)f->tac_verified,
            (unsigned long long)f->tac_failed, (long long)f->exceptions,
            (long long)f->recon_mismatches, f->balances_ok, f->balances_checked);
    fprintf(out, "%s\n", f->ok ? "OK" : "FAILED");
}
