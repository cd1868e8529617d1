/*
 * obol terminal kernel: the trip record and the fare model of gates and bus
 * validators (term_transit.h; docs/terminal.md, "Fare model"). Pure functions: the
 * card I/O is in flows.c.
 */
#include <string.h>

#include "term_internal.h"

static int valid_bcd(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((p[i] >> 4) > 9 || (p[i] & 15) > 9)
            return 0;
    return 1;
}

int term_trip_decode(const uint8_t *rec, size_t len, term_trip *out)
{
    if (rec == NULL || out == NULL || len < TERM_TRIP_RECLEN)
        return TERM_ERR_ARG;
    memset(out, 0, sizeof *out);
    if (rec[0] == 0) {
        /* A blank record (personalization writes zeros): no trip yet. */
        for (size_t i = 1; i < TERM_TRIP_RECLEN; i++)
            if (rec[i] != 0)
                return TERM_ERR_PROTO;
        return 0;
    }
    if (rec[0] != TERM_TRIP_FORMAT || !valid_bcd(rec + 14, 7) || !valid_bcd(rec + 25, 7))
        return TERM_ERR_PROTO;
    out->flags = rec[1];
    out->trip_operator = term__get32(rec + 2);
    out->entry_station = term__get16(rec + 6);
    memcpy(out->entry_terminal, rec + 8, 6);
    memcpy(out->entry_date, rec + 14, 4);
    memcpy(out->entry_time, rec + 18, 3);
    out->last_operator = term__get32(rec + 21);
    memcpy(out->last_date, rec + 25, 4);
    memcpy(out->last_time, rec + 29, 3);
    out->last_station = term__get16(rec + 32);
    out->last_fare = term__get32(rec + 34);
    return 0;
}

void term_trip_encode(const term_trip *t, uint8_t out[TERM_TRIP_RECLEN])
{
    memset(out, 0, TERM_TRIP_RECLEN);
    out[0] = TERM_TRIP_FORMAT;
    out[1] = t->flags;
    term__put32(out + 2, t->trip_operator);
    term__put16(out + 6, t->entry_station);
    memcpy(out + 8, t->entry_terminal, 6);
    memcpy(out + 14, t->entry_date, 4);
    memcpy(out + 18, t->entry_time, 3);
    term__put32(out + 21, t->last_operator);
    memcpy(out + 25, t->last_date, 4);
    memcpy(out + 29, t->last_time, 3);
    term__put16(out + 32, t->last_station);
    term__put32(out + 34, t->last_fare);
}

/* 1 when CARD_TYPE pays less than the full fare. */
static int discounted(const host_fare_table *ft, uint8_t card_type)
{
    for (unsigned i = 0; i < ft->n_discounts; i++)
        if (ft->discounts[i].card_type == card_type)
            return ft->discounts[i].percent_paid < 100;
    return 0;
}

/* The fare ENTRY -> EXIT with the transfer rule against the last completed trip of
 * CUR (ended at the trip's start FROM_D/FROM_T at the latest). */
static int fare_with_transfer(const host_fare_table *ft, uint8_t card_type, uint16_t entry,
                              uint16_t exit, const term_trip *cur, const uint8_t from_d[4],
                              const uint8_t from_t[3], uint32_t *fare, uint16_t *flags)
{
    host_fare_prev prev;
    uint32_t plain;
    int64_t min;
    int rc;

    rc = host_fare_compute(ft, card_type, entry, exit, NULL, &plain);
    if (rc == HOST_ERR_NOTFOUND)
        return TERM_ERR_PARAMS;
    if (rc != 0)
        return TERM_ERR_ARG;
    *fare = plain;
    if (discounted(ft, card_type))
        *flags |= TERM_F_DISCOUNT;
    if (cur->last_operator == 0)
        return 0;
    min = term_minutes_between(cur->last_date, cur->last_time, from_d, from_t);
    if (min < 0 || min > UINT32_MAX)
        return 0; /* no valid previous trip before this one */
    prev.operator_id = cur->last_operator;
    prev.minutes_since = (uint32_t)min;
    if (host_fare_compute(ft, card_type, entry, exit, &prev, fare) != 0)
        *fare = plain;
    if (*fare < plain)
        *flags |= TERM_F_TRANSFER;
    return 0;
}

int term_transit_quote(const host_fare_table *ft, int tap, uint32_t operator_id, uint16_t station,
                       const uint8_t tid[6], uint8_t card_type, const term_trip *cur,
                       const uint8_t date[4], const uint8_t time[3], uint32_t min_entry,
                       term_fare_quote *q)
{
    uint32_t fare = 0, hold;
    int rc;

    if (ft == NULL || tid == NULL || cur == NULL || date == NULL || time == NULL || q == NULL)
        return TERM_ERR_ARG;
    memset(q, 0, sizeof *q);
    q->next = *cur;
    switch (tap) {
    case TERM_TAP_ENTRY:
        /* The station must be in the table (the fare at exit depends on it). */
        if (host_fare_compute(ft, card_type, station, station, NULL, &fare) != 0)
            return TERM_ERR_PARAMS;
        if (cur->flags & TERM_TRIP_OPEN) {
            /* A trip left open (no exit tap): charged the maximum fare now. */
            q->amount = ft->max_fare;
            q->flags |= TERM_F_PENALTY;
        }
        hold = ft->max_fare > min_entry ? ft->max_fare : min_entry;
        q->need = q->amount + hold;
        q->entry_station = station;
        q->next.flags |= TERM_TRIP_OPEN;
        q->next.trip_operator = operator_id;
        q->next.entry_station = station;
        memcpy(q->next.entry_terminal, tid, 6);
        memcpy(q->next.entry_date, date, 4);
        memcpy(q->next.entry_time, time, 3);
        return 0;
    case TERM_TAP_EXIT:
        if (!(cur->flags & TERM_TRIP_OPEN) || cur->trip_operator != operator_id) {
            /* No entry on this network: the maximum fare (no exit without entry). */
            if (host_fare_compute(ft, card_type, station, station, NULL, &fare) != 0)
                return TERM_ERR_PARAMS;
            q->amount = ft->max_fare;
            q->flags |= TERM_F_PENALTY;
        } else {
            rc = fare_with_transfer(ft, card_type, cur->entry_station, station, cur,
                                    cur->entry_date, cur->entry_time, &q->amount, &q->flags);
            if (rc == TERM_ERR_PARAMS &&
                host_fare_compute(ft, card_type, station, station, NULL, &fare) == 0) {
                /* The entry station is no longer in the table: the maximum fare. */
                q->amount = ft->max_fare;
                q->flags = TERM_F_PENALTY;
                rc = 0;
            }
            if (rc != 0)
                return rc;
            q->entry_station = cur->entry_station;
        }
        q->need = q->amount;
        q->exit_station = station;
        q->next.flags &= (uint8_t)~TERM_TRIP_OPEN;
        break;
    case TERM_TAP_BUS:
        rc = fare_with_transfer(ft, card_type, station, station, cur, date, time, &q->amount,
                                &q->flags);
        if (rc != 0)
            return rc;
        q->need = q->amount;
        q->entry_station = station;
        break;
    default:
        return TERM_ERR_ARG;
    }
    /* Exit and bus: this trip becomes the last completed one. */
    q->next.last_operator = operator_id;
    memcpy(q->next.last_date, date, 4);
    memcpy(q->next.last_time, time, 3);
    q->next.last_station = station;
    q->next.last_fare = q->amount;
    return 0;
}
