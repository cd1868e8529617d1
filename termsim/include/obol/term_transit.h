/*
 * obol terminal kernel: the transit trip record and the gate fare model.
 *
 * A transit card carries one composite-application (CAPP) record, written only inside
 * a composite purchase (UPDATE CAPP DATA CACHE, then DEBIT FOR PURCHASE writes it in
 * the card's transaction, so record and money move together). obol's layout, 48
 * bytes (docs/terminal.md, "Trip record"), numbers big-endian, dates/times BCD:
 *
 *    0 format (1)            01; 00 with everything else zero: a blank record
 *    1 flags (1)             bit 0: a metro trip is open (entered, not yet exited)
 *    2 trip operator (4)     the open trip's operator
 *    6 entry station (2)
 *    8 entry terminal (6)
 *   14 entry date (4) time (3)
 *   21 last trip operator (4)   the last completed trip (metro exit or bus tap),
 *   25 last trip end date (4) time (3)   for transfer rules; operator 0: none
 *   32 last trip station (2)
 *   34 last trip fare (4)
 *   38 reserved (10)        zero
 *
 * The fare model (a PBOC purse cannot be credited offline, so the maximum fare is
 * held as a balance check, not deducted and refunded):
 *   entry  composite purchase of 0 writing the entry record; refused when the balance
 *          is below the maximum fare (or the parameters' minimum entry balance). An
 *          entry over a trip left open charges the maximum fare for it (PENALTY).
 *   exit   the fare from the fare table for entry -> exit station, the card type's
 *          discount, and a transfer rule against the last completed trip (measured
 *          from its end to this trip's entry); no open trip: the maximum fare
 *          (PENALTY). Writes the trip as the last completed trip.
 *   bus    the table's fare for the stop (a flat table: one zone), discount and
 *          transfer against the last completed trip; the tap is a completed trip.
 */
#ifndef OBOL_TERM_TRANSIT_H
#define OBOL_TERM_TRANSIT_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_fare.h"
#include "obol/term_error.h"

#define TERM_TRIP_RECLEN 48u
#define TERM_TRIP_FORMAT 0x01u
#define TERM_TRIP_OPEN   0x01u

typedef struct term_trip {
    uint8_t flags; /* TERM_TRIP_OPEN */
    uint32_t trip_operator;
    uint16_t entry_station;
    uint8_t entry_terminal[6];
    uint8_t entry_date[4], entry_time[3];
    uint32_t last_operator; /* 0: no completed trip */
    uint8_t last_date[4], last_time[3];
    uint16_t last_station;
    uint32_t last_fare;
} term_trip;

/* Decodes the LEN bytes of a card's record (LEN >= TERM_TRIP_RECLEN; a blank record
 * decodes as an empty trip). Returns 0 or TERM_ERR_PROTO (unknown format, bad BCD). */
int term_trip_decode(const uint8_t *rec, size_t len, term_trip *out);
/* Encodes T into the 48-byte record (bytes past 48 of a longer record are zero). */
void term_trip_encode(const term_trip *t, uint8_t out[TERM_TRIP_RECLEN]);

/* The decision for one tap. */
typedef struct term_fare_quote {
    uint32_t amount; /* to debit now, fen */
    uint32_t need;   /* balance the card must have (>= amount; the hold at entry) */
    uint16_t flags;  /* TERM_F_PENALTY, TERM_F_TRANSFER, TERM_F_DISCOUNT */
    uint16_t entry_station, exit_station;
    term_trip next; /* the record to write */
} term_fare_quote;

/* Which tap. */
enum { TERM_TAP_ENTRY = 1, TERM_TAP_EXIT = 2, TERM_TAP_BUS = 3 };

/* Decides a tap of kind TAP (TERM_TAP_*) at STATION of terminal TID on a card of
 * CARD_TYPE whose record is CUR, at local DATE/TIME (BCD), under fare table FT and
 * operator OPERATOR_ID; MIN_ENTRY is the parameters' minimum entry balance (0: none).
 * Pure: no I/O. Returns 0, TERM_ERR_PARAMS (the station is not in the table),
 * TERM_ERR_ARG. */
int term_transit_quote(const host_fare_table *ft, int tap, uint32_t operator_id, uint16_t station,
                       const uint8_t tid[6], uint8_t card_type, const term_trip *cur,
                       const uint8_t date[4], const uint8_t time[3], uint32_t min_entry,
                       term_fare_quote *q);

/* Minutes from BCD date/time A to B (negative when B is earlier); INT64_MIN when
 * either is not a valid date/time. */
int64_t term_minutes_between(const uint8_t ad[4], const uint8_t at[3], const uint8_t bd[4],
                             const uint8_t bt[3]);

#endif /* OBOL_TERM_TRANSIT_H */
