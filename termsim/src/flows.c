/*
 * obol terminal kernel: the entry points of the card transactions (term.h): a tap at a
 * gate or bus validator, a purchase at a POS or set-top box, an online load at a POS.
 */
#include <string.h>

#include "term_internal.h"

int term_tap(term *t, int64_t now, term_result *res)
{
    uint8_t rec[TERM__RSP_MAX], next[TERM_TRIP_RECLEN], date[4], tm[3];
    term_fare_quote q;
    term__card c;
    term__buy b;
    term_trip trip;
    size_t n;
    uint16_t sw;
    int kind, tap, rc;

    if (t == NULL || res == NULL)
        return TERM_ERR_ARG;
    switch (t->cfg.kind) {
    case TERM_GATE_ENTRY:
        kind = TERM_TXN_ENTRY;
        tap = TERM_TAP_ENTRY;
        break;
    case TERM_GATE_EXIT:
        kind = TERM_TXN_EXIT;
        tap = TERM_TAP_EXIT;
        break;
    case TERM_BUS:
        kind = TERM_TXN_BUS;
        tap = TERM_TAP_BUS;
        break;
    default:
        return TERM_ERR_STATE;
    }
    if (t->fare == NULL)
        return TERM_ERR_PARAMS; /* no fare table: out of service */
    rc = term__card_begin(t, now, kind, &c, res);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    /* The trip record. A card without one cannot take a composite purchase. */
    rc = term__card_read_record(t, t->cfg.capp_sfi, t->cfg.capp_record, rec, sizeof rec, &n, &sw);
    if (rc != 0)
        return term__finish(t, res, TERM_DECLINED, TERM_R_CARD_LOST, rc);
    if (sw != COS_SW_OK || n < TERM_TRIP_RECLEN || n > 255) {
        res->sw = sw;
        return term__finish(t, res, TERM_DECLINED, TERM_R_NO_APP, 0);
    }
    /* A record in an unknown format is treated as blank: the fare rules then charge
     * what a card without history pays. */
    if (term_trip_decode(rec, n, &trip) != 0)
        memset(&trip, 0, sizeof trip);
    term__local_bcd(t, t->clock, date, tm);
    rc = term_transit_quote(t->fare, tap, term__operator(t), t->cfg.station, t->tid, c.card_type,
                            &trip, date, tm, t->params_version ? t->params.min_entry_balance : 0,
                            &q);
    if (rc != 0)
        return term__finish(t, res, TERM_DECLINED, TERM_R_CARD_REFUSED, rc);
    term_trip_encode(&q.next, next);
    /* A longer record keeps its tail as the card has it. */
    if (n > TERM_TRIP_RECLEN)
        memcpy(rec, next, TERM_TRIP_RECLEN);
    else
        memcpy(rec, next, n);
    memset(&b, 0, sizeof b);
    b.kind = (uint8_t)kind;
    b.type = TERM__TT_CAPP;
    b.purse = 2;
    b.amount = q.amount;
    b.need = q.need;
    b.capp = rec;
    b.capp_len = (uint8_t)n;
    b.entry_station = q.entry_station;
    b.exit_station = q.exit_station;
    b.flags = q.flags;
    rc = term__buy_run(t, &c, &b, res);
    return rc > 0 ? 0 : rc;
}

int term__verify_pin(term *t, const term__card *c, term_result *res)
{
    uint8_t pin[16];
    size_t len = 0;
    uint16_t sw;
    int rc;

    if (t->cfg.pin == NULL || t->cfg.pin(t->cfg.pin_ctx, c->serialn, pin, sizeof pin, &len) != 0 ||
        len == 0 || len > sizeof pin)
        return term__finish(t, res, TERM_DECLINED, TERM_R_PIN, 1);
    rc = term__card_verify_pin(t, t->cfg.pin_ref, pin, len, &sw);
    memset(pin, 0, sizeof pin);
    if (rc != 0)
        return term__finish(t, res, TERM_DECLINED, TERM_R_CARD_LOST, rc);
    if (sw != COS_SW_OK) {
        res->sw = sw;
        return term__finish(t, res, TERM_DECLINED, TERM_R_PIN, 1);
    }
    res->flags |= TERM_F_PIN;
    return 0;
}

int term_purchase(term *t, int64_t now, uint32_t amount, term_result *res)
{
    term__card c;
    term__buy b;
    int kind, rc;

    if (t == NULL || res == NULL)
        return TERM_ERR_ARG;
    if (t->cfg.kind == TERM_POS)
        kind = TERM_TXN_PURCHASE;
    else if (t->cfg.kind == TERM_STB && t->cfg.card->iface == TERM_IF_CONTACT)
        kind = TERM_TXN_SUBSCRIPTION;
    else
        return TERM_ERR_STATE;
    rc = term__card_begin(t, now, kind, &c, res);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (t->params_version && t->params.max_offline_amount != 0 &&
        amount > t->params.max_offline_amount)
        return term__finish(t, res, TERM_DECLINED, TERM_R_LIMIT, 0);
    memset(&b, 0, sizeof b);
    b.kind = (uint8_t)kind;
    b.amount = amount;
    b.need = amount;
    if (kind == TERM_TXN_PURCHASE && amount > t->cfg.pin_free_limit) {
        /* Above the PIN-free limit: the electronic deposit, after the cardholder's PIN
         * (PBOC 2.0 part 1, 5.2). */
        if ((rc = term__verify_pin(t, &c, res)) != 0)
            return rc < 0 ? rc : 0;
        b.purse = 1;
        b.type = TERM__TT_ED_PURCHASE;
        b.flags = TERM_F_PIN;
    } else {
        b.purse = 2;
        b.type = TERM__TT_EP_PURCHASE;
    }
    rc = term__buy_run(t, &c, &b, res);
    return rc > 0 ? 0 : rc;
}
