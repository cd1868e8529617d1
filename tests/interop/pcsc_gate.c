/*
 * obol interop test tool: one bus-validator tap run by the terminal kernel (termsim)
 * through PC/SC: the card in one reader, the PSAM in another, both reached with the
 * PC/SC reader backend (term_reader_pcsc.h). With obol's cards served by `obol card
 * serve` through vpcd this is the whole stack: termsim -> libpcsclite -> pcscd ->
 * vpcd -> obol's card OS.
 *
 *   pcsc_gate CARD_READER PSAM_READER [TRACE]
 *
 * The terminal: a bus validator at stop 1 of a flat-fare table (200 fen; operator 2),
 * an in-memory store, Beijing time. Prints "APPROVED amount=N balance=B->A ttn=T
 * tac=HEX" (or the decision and reason) and, with TRACE, writes the kernel's reader
 * trace (trace_term.h). Exit: 0 approved, 1 anything else, 2 usage.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "obol/host_fare.h"
#include "obol/host_proto.h"
#include "obol/term.h"
#include "obol/term_reader_pcsc.h"
#include "obol/term_store.h"
#include "obol/trace.h"
#include "obol/trace_term.h"

static void bus_fares(host_fare_table *ft)
{
    memset(ft, 0, sizeof(*ft));
    ft->operator_id = 2;
    ft->kind = HOST_FARE_ZONE;
    ft->max_fare = 200;
    ft->n_zones = 1;
    ft->zone_fares[0][0] = 200;
    ft->n_stations = 3;
    for (int i = 0; i < 3; i++)
        ft->stations[i].id = (uint16_t)(1 + i);
}

int main(int argc, char **argv)
{
    term_pcsc *card = NULL, *psam = NULL;
    term_store *store = NULL;
    term *t = NULL;
    trace_writer w;
    trace_term tt;
    int tracing = 0, rc = 1;
    char err[1024];
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: pcsc_gate CARD_READER PSAM_READER [TRACE]\n");
        return 2;
    }
    if (term_pcsc_open(&card, argv[1], "card", TERM_IF_CONTACTLESS, err, sizeof(err)) != 0 ||
        term_pcsc_open(&psam, argv[2], "psam", TERM_IF_CONTACT, err, sizeof(err)) != 0) {
        fprintf(stderr, "pcsc_gate: %s\n", err);
        goto out;
    }
    if (argc == 4) {
        if (trace_writer_open(&w, argv[3], "pcsc_gate (termsim over PC/SC)", 0) != 0) {
            fprintf(stderr, "pcsc_gate: cannot write %s\n", argv[3]);
            goto out;
        }
        tracing = 1;
        trace_term_init(&tt, &w);
        term_reader_set_trace(term_pcsc_reader(card), trace_term_hook, &tt);
        term_reader_set_trace(term_pcsc_reader(psam), trace_term_hook, &tt);
    }
    term_store_options so = {.mode = TERM_STORE_SIM};
    int r = term_store_open(NULL, &so, &store);
    if (r != 0) {
        fprintf(stderr, "pcsc_gate: store: %s\n", term_strerror(r));
        goto out;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    term_config cfg = {.kind = TERM_BUS,
                       .card = term_pcsc_reader(card),
                       .psam = term_pcsc_reader(psam),
                       .store = store,
                       .station = 1,
                       .operator_id = 2,
                       .utc_offset_min = 480};
    if ((r = term_open(&cfg, now, &t)) != 0) {
        fprintf(stderr, "pcsc_gate: term_open: %s (%s)\n", term_strerror(r),
                term_pcsc_errmsg(psam));
        goto out;
    }
    host_fare_table ft;
    uint8_t payload[8192];
    size_t n;
    bus_fares(&ft);
    if (host_fare_encode(&ft, payload, sizeof(payload), &n) != 0 ||
        (r = term_install_params(t, HOST_PARAM_FARE, 1, payload, n)) != 0) {
        fprintf(stderr, "pcsc_gate: cannot install the fare table\n");
        goto out;
    }
    term_result res;
    memset(&res, 0, sizeof(res));
    r = term_tap(t, now, &res);
    if (r != 0 && r != TERM_ERR_CARD_LOST) {
        fprintf(stderr, "pcsc_gate: term_tap: %s (%s)\n", term_strerror(r), term_pcsc_errmsg(card));
        goto out;
    }
    if (res.status == TERM_APPROVED) {
        printf("APPROVED amount=%u balance=%u->%u ttn=%u tac=%02X%02X%02X%02X serial=%llu "
               "duration_us=%lld\n",
               res.amount, res.balance_before, res.balance_after, res.ttn, res.tac[0], res.tac[1],
               res.tac[2], res.tac[3], (unsigned long long)res.serial,
               (long long)(res.duration / 1000));
        rc = 0;
    } else {
        printf("%s reason=%s sw=%04X\n", res.status == TERM_DECLINED ? "DECLINED" : "PENDING",
               term_reason_name(res.reason), res.sw);
    }
out:
    term_close(t);
    term_store_close(store);
    term_pcsc_close(card);
    term_pcsc_close(psam);
    if (tracing) {
        if (trace_term_free(&tt) != 0 || trace_writer_close(&w) != 0) {
            fprintf(stderr, "pcsc_gate: writing the trace failed\n");
            rc = 1;
        }
    }
    return rc;
}
