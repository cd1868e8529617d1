/*
 * obol termsim tests: the trip record and the fare model as pure functions
 * (term_transit.h): record codec, the calendar arithmetic behind transfer windows,
 * and the decisions for entry, exit and bus taps on zone and distance tables.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "tt.h"
#include "obol/term_transit.h"

static const uint8_t TID[6] = {0, 0, 0, 0x11, 0, 1};

Test(transit, record_roundtrip_and_blank)
{
    uint8_t rec[TERM_TRIP_RECLEN], blank[64];
    term_trip a, b;

    memset(&a, 0, sizeof a);
    a.flags = TERM_TRIP_OPEN;
    a.trip_operator = 0x01020304;
    a.entry_station = 0x0506;
    memcpy(a.entry_terminal, TID, 6);
    memcpy(a.entry_date, "\x20\x26\x11\x22", 4);
    memcpy(a.entry_time, "\x08\x30\x00", 3);
    a.last_operator = 2;
    memcpy(a.last_date, "\x20\x26\x11\x21", 4);
    memcpy(a.last_time, "\x23\x59\x59", 3);
    a.last_station = 7;
    a.last_fare = 190;
    term_trip_encode(&a, rec);
    cr_assert_eq(rec[0], TERM_TRIP_FORMAT);
    cr_assert_eq(term_trip_decode(rec, sizeof rec, &b), 0);
    cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
    memset(blank, 0, sizeof blank);
    cr_assert_eq(term_trip_decode(blank, sizeof blank, &b), 0);
    cr_assert_eq(b.flags, 0);
    cr_assert_eq(b.last_operator, 0);
    blank[0] = 0x7F;
    cr_assert_eq(term_trip_decode(blank, sizeof blank, &b), TERM_ERR_PROTO);
    rec[15] = 0xAB; /* not BCD */
    cr_assert_eq(term_trip_decode(rec, sizeof rec, &b), TERM_ERR_PROTO);
    cr_assert_eq(term_trip_decode(rec, 47, &b), TERM_ERR_ARG);
}

Test(transit, minutes_between)
{
    cr_assert_eq(
        term_minutes_between((const uint8_t *)"\x20\x26\x11\x22", (const uint8_t *)"\x08\x00\x00",
                             (const uint8_t *)"\x20\x26\x11\x22", (const uint8_t *)"\x08\x45\x59"),
        45);
    /* across midnight, the end of February in a leap year, and a year */
    cr_assert_eq(
        term_minutes_between((const uint8_t *)"\x20\x26\x12\x31", (const uint8_t *)"\x23\x50\x00",
                             (const uint8_t *)"\x20\x27\x01\x01", (const uint8_t *)"\x00\x10\x00"),
        20);
    cr_assert_eq(
        term_minutes_between((const uint8_t *)"\x20\x28\x02\x28", (const uint8_t *)"\x12\x00\x00",
                             (const uint8_t *)"\x20\x28\x03\x01", (const uint8_t *)"\x12\x00\x00"),
        2 * 1440);
    cr_assert_eq(
        term_minutes_between((const uint8_t *)"\x20\x27\x01\x01", (const uint8_t *)"\x00\x00\x00",
                             (const uint8_t *)"\x20\x26\x01\x01", (const uint8_t *)"\x00\x00\x00"),
        -365 * 1440);
    cr_assert_eq(
        term_minutes_between((const uint8_t *)"\x20\x26\x13\x01", (const uint8_t *)"\x00\x00\x00",
                             (const uint8_t *)"\x20\x26\x01\x01", (const uint8_t *)"\x00\x00\x00"),
        INT64_MIN);
}

static void quote(const host_fare_table *ft, int tap, uint16_t station, uint8_t type,
                  const term_trip *cur, const char *hhmm, term_fare_quote *q, int want_rc)
{
    uint8_t tm[3] = {(uint8_t)((hhmm[0] - '0') << 4 | (hhmm[1] - '0')),
                     (uint8_t)((hhmm[2] - '0') << 4 | (hhmm[3] - '0')), 0};
    int rc = term_transit_quote(ft, tap, ft->operator_id, station, TID, type, cur,
                                (const uint8_t *)"\x20\x26\x11\x22", tm, 0, q);

    cr_assert_eq(rc, want_rc, "quote: %s", term_strerror(rc));
}

Test(transit, zone_fares_discounts_transfers_penalties)
{
    host_fare_table ft;
    term_fare_quote q, q2;
    term_trip blank, after_bus;

    tt_fare_metro(&ft);
    memset(&blank, 0, sizeof blank);
    /* entry: nothing taken, the maximum fare held */
    quote(&ft, TERM_TAP_ENTRY, 103, 0, &blank, "0800", &q, 0);
    cr_assert_eq(q.amount, 0);
    cr_assert_eq(q.need, 800);
    cr_assert(q.next.flags & TERM_TRIP_OPEN);
    cr_assert_eq(q.next.entry_station, 103);
    /* exit 103 -> 101: zone 1 -> 0, 3 yuan; student half; senior free */
    quote(&ft, TERM_TAP_EXIT, 101, 0, &q.next, "0830", &q2, 0);
    cr_assert_eq(q2.amount, 300);
    cr_assert_eq(q2.flags, 0);
    cr_assert_eq(q2.next.flags & TERM_TRIP_OPEN, 0);
    cr_assert_eq(q2.next.last_operator, TT_METRO);
    cr_assert_eq(q2.next.last_fare, 300);
    quote(&ft, TERM_TAP_EXIT, 101, 1, &q.next, "0830", &q2, 0);
    cr_assert_eq(q2.amount, 150);
    cr_assert_eq(q2.flags, TERM_F_DISCOUNT);
    quote(&ft, TERM_TAP_EXIT, 101, 2, &q.next, "0830", &q2, 0);
    cr_assert_eq(q2.amount, 0);
    /* a bus trip that ended 60 minutes before the entry: the transfer applies (within
     * the window, inclusive); 61 minutes: it does not */
    after_bus = blank;
    after_bus.last_operator = TT_BUS;
    memcpy(after_bus.last_date, "\x20\x26\x11\x22", 4);
    memcpy(after_bus.last_time, "\x07\x00\x00", 3);
    quote(&ft, TERM_TAP_ENTRY, 103, 0, &after_bus, "0800", &q, 0);
    quote(&ft, TERM_TAP_EXIT, 104, 0, &q.next, "0840", &q2, 0);
    cr_assert_eq(q2.amount, 400 - 100);
    cr_assert_eq(q2.flags, TERM_F_TRANSFER);
    quote(&ft, TERM_TAP_ENTRY, 103, 0, &after_bus, "0801", &q, 0);
    quote(&ft, TERM_TAP_EXIT, 104, 0, &q.next, "0840", &q2, 0);
    cr_assert_eq(q2.amount, 400);
    /* exit without entry, entry over an open trip: the maximum fare */
    quote(&ft, TERM_TAP_EXIT, 104, 0, &blank, "0900", &q2, 0);
    cr_assert_eq(q2.amount, 800);
    cr_assert_eq(q2.flags, TERM_F_PENALTY);
    cr_assert_eq(q2.entry_station, 0);
    quote(&ft, TERM_TAP_ENTRY, 101, 0, &q.next, "0900", &q2, 0);
    cr_assert_eq(q2.amount, 800);
    cr_assert_eq(q2.need, 1600);
    /* stations the table does not know */
    quote(&ft, TERM_TAP_ENTRY, 999, 0, &blank, "0900", &q2, TERM_ERR_PARAMS);
    quote(&ft, TERM_TAP_EXIT, 999, 0, &q.next, "0900", &q2, TERM_ERR_PARAMS);
}

Test(transit, distance_table_and_bus)
{
    host_fare_table ft, bus;
    term_fare_quote q, q2;
    term_trip blank;

    memset(&ft, 0, sizeof ft);
    ft.operator_id = 5;
    ft.kind = HOST_FARE_DISTANCE;
    ft.max_fare = 900;
    ft.n_stations = 3;
    ft.stations[0].id = 1, ft.stations[0].position = 0;
    ft.stations[1].id = 2, ft.stations[1].position = 6000;
    ft.stations[2].id = 3, ft.stations[2].position = 25000;
    ft.n_bands = 3;
    ft.bands[0].up_to = 6000, ft.bands[0].fare = 300;
    ft.bands[1].up_to = 12000, ft.bands[1].fare = 400;
    ft.bands[2].up_to = 32000, ft.bands[2].fare = 600;
    cr_assert_eq(host_fare_check(&ft), 0);
    memset(&blank, 0, sizeof blank);
    quote(&ft, TERM_TAP_ENTRY, 1, 0, &blank, "1000", &q, 0);
    quote(&ft, TERM_TAP_EXIT, 2, 0, &q.next, "1010", &q2, 0);
    cr_assert_eq(q2.amount, 300);
    quote(&ft, TERM_TAP_EXIT, 3, 0, &q.next, "1030", &q2, 0);
    cr_assert_eq(q2.amount, 600);
    /* bus after that metro trip: flat 2 yuan less the transfer */
    tt_fare_bus(&bus);
    q2.next.last_operator = TT_METRO;
    quote(&bus, TERM_TAP_BUS, 3, 0, &q2.next, "1100", &q, 0);
    cr_assert_eq(q.amount, 100);
    cr_assert_eq(q.flags, TERM_F_TRANSFER);
    cr_assert_eq(q.next.last_operator, TT_BUS);
    cr_assert_eq(q.entry_station, 3);
}
