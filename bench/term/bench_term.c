/*
 * obol benchmark: metro taps per second through the whole terminal stack.
 *
 *   term.taps_per_sec  an entry gate and an exit gate (each with its own PSAM in a
 *                      simulated contact slot) take taps from a pool of transit cards
 *                      in turn: application selection, EF 0015/0016, the trip record,
 *                      INITIALIZE FOR CAPP PURCHASE, UPDATE CAPP DATA CACHE, INIT SAM
 *                      FOR PURCHASE, journal PENDING, DEBIT FOR PURCHASE, CREDIT SAM
 *                      FOR PURCHASE, journal COMPLETE; every APDU through the card OS
 *                      (its own crypto, NVM transactions), the journal in an in-memory
 *                      store in simulation mode. Median of 5 runs of about 0.5 s of
 *                      this thread's CPU time (so the figure is per core, whatever
 *                      else runs on the machine); target >= 50 k/s per core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "obol/cos_host.h"
#include "obol/cos_profile.h"
#include "obol/host_crypto.h"
#include "obol/obol_rom.h"
#include "obol/term.h"
#include "obol/term_simreader.h"

enum { NCARDS = 64, RUNS = 5 };
#define NVM 4096u

typedef struct card {
    cos_host host;
    cos_card card;
} card;

/* TEST KEY: TEST-MLK-01 of profiles/test-keys.profile, to load the purses. */
static const uint8_t test_mlk01[16] = {0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
                                       0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44};
static const uint8_t purse_aid[] = {0xA0, 0x00, 0x00, 0x00, 0x03, 0x86, 0x98, 0x07, 0x01};

/* CPU time of this thread: "per core" whatever else the machine runs. */
static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_term: %s failed (%d)\n", what, rc);
    exit(1);
}

static uint16_t tx(card *c, const uint8_t *cmd, size_t len, uint8_t *rsp)
{
    uint8_t buf[300];
    size_t n = 0;

    if (cos_transmit(&c->card, 0, cmd, len, buf, sizeof buf, &n) != 0 || n < 2)
        die("cos_transmit", -1);
    if (rsp != NULL)
        memcpy(rsp, buf, n - 2);
    return (uint16_t)(buf[n - 2] << 8 | buf[n - 1]);
}

static void open_card(card *c, const char *profile, uint64_t serial)
{
    cos_card_config cfg;
    char path[512], err[256];
    int rc;

    if ((rc = cos_host_open_mem(&c->host, NVM, 64, serial)) != 0)
        die("cos_host_open_mem", rc);
    cos_host_config(&c->host, obol_rom_classes, obol_rom_nclasses, &cfg);
    if ((rc = cos_card_attach(&c->card, &cfg)) != 0)
        die("cos_card_attach", rc);
    snprintf(path, sizeof path, "%s/%s.profile", term_sim_profile_dir(), profile);
    if ((rc = cos_profile_apply(&c->card, path, serial, err, sizeof err)) != 0) {
        fprintf(stderr, "bench_term: %s\n", err);
        exit(1);
    }
}

/* Loads AMOUNT into the EP directly with the host's TEST load key. */
static void fund(card *c, uint32_t amount)
{
    uint8_t cmd[32] = {0x00, 0xA4, 0x04, 0x00, sizeof purse_aid}, r[64], atr[64], serial[8];
    uint8_t dlk[16], seslk[8];
    host_pboc_load l;
    size_t n;

    if (cos_power_on(&c->card, COS_IF_CONTACTLESS, 0, atr, sizeof atr, &n) != 0)
        die("cos_power_on", -1);
    memcpy(cmd + 5, purse_aid, sizeof purse_aid);
    cmd[5 + sizeof purse_aid] = 0;
    if (tx(c, cmd, 6 + sizeof purse_aid, NULL) != 0x9000 ||
        tx(c, (const uint8_t *)"\x00\xB0\x95\x00\x1E", 5, r) != 0x9000)
        die("select", -1);
    memcpy(serial, r + 12, 8);
    memcpy(cmd, "\x80\x50\x00\x02\x0B\x01", 6);
    cmd[6] = (uint8_t)(amount >> 24);
    cmd[7] = (uint8_t)(amount >> 16);
    cmd[8] = (uint8_t)(amount >> 8);
    cmd[9] = (uint8_t)amount;
    memset(cmd + 10, 0, 6);
    cmd[16] = 0x10;
    if (tx(c, cmd, 17, r) != 0x9000)
        die("INITIALIZE FOR LOAD", -1);
    memset(&l, 0, sizeof l);
    l.old_balance = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
    l.online_counter = (uint16_t)(r[4] << 8 | r[5]);
    l.amount = amount;
    l.type = HOST_PBOC_EP_LOAD;
    memcpy(l.date, "\x20\x26\x11\x21", 4);
    memcpy(l.time, "\x07\x00\x00", 3);
    if (host_pboc_diversify(test_mlk01, serial, dlk) != 0 ||
        host_pboc_seslk(dlk, r + 8, l.online_counter, seslk) != 0 ||
        host_pboc_load_mac2(seslk, &l, cmd + 12) != 0)
        die("MAC2", -1);
    memcpy(cmd, "\x80\x52\x00\x00\x0B", 5);
    memcpy(cmd + 5, l.date, 4);
    memcpy(cmd + 9, l.time, 3);
    cmd[16] = 0x04;
    if (tx(c, cmd, 17, r) != 0x9000)
        die("CREDIT FOR LOAD", -1);
    cos_power_off(&c->card);
}

/* The test fare table: 4 stations in 3 zones, maximum fare 8 yuan. */
static void fare_table(host_fare_table *ft)
{
    static const uint32_t z[3][3] = {{200, 300, 500}, {300, 200, 400}, {500, 400, 300}};

    memset(ft, 0, sizeof *ft);
    ft->operator_id = 1;
    ft->kind = HOST_FARE_ZONE;
    ft->max_fare = 800;
    ft->n_zones = 3;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            ft->zone_fares[i][j] = z[i][j];
    ft->n_stations = 4;
    for (int i = 0; i < 4; i++) {
        ft->stations[i].id = (uint16_t)(101 + i);
        ft->stations[i].zone = (uint8_t)(i < 2 ? 0 : i - 1);
    }
}

int main(void)
{
    static card cards[NCARDS], psam[2];
    term_simreader card_rd[2], psam_rd[2];
    term_store_options so = {.mode = TERM_STORE_SIM};
    host_fare_table ft;
    uint8_t payload[4096];
    size_t plen;
    term_store *store;
    term *gate[2];
    term_result r;
    double rates[RUNS];
    int64_t clock = (int64_t)1795307400 * 1000000000;
    long declined = 0;
    int rc;

    for (int i = 0; i < NCARDS; i++) {
        open_card(&cards[i], "transit-card", 0x0000000100000000ull + (uint64_t)i + 1);
        fund(&cards[i], 50000000);
    }
    if ((rc = term_store_open(NULL, &so, &store)) != 0)
        die("term_store_open", rc);
    fare_table(&ft);
    if ((rc = host_fare_encode(&ft, payload, sizeof payload, &plen)) != 0)
        die("host_fare_encode", rc);
    for (int k = 0; k < 2; k++) {
        term_config cfg = {.kind = k == 0 ? TERM_GATE_ENTRY : TERM_GATE_EXIT,
                           .station = k == 0 ? 101 : 104,
                           .operator_id = 1,
                           .utc_offset_min = 480};
        open_card(&psam[k], "term-psam", 0x0000000000119000ull + (uint64_t)k + 1);
        term_simreader_init(&card_rd[k], "card", TERM_IF_CONTACTLESS);
        term_simreader_init(&psam_rd[k], "psam", TERM_IF_CONTACT);
        term_simreader_insert(&psam_rd[k], &psam[k].card);
        cfg.card = &card_rd[k].base;
        cfg.psam = &psam_rd[k].base;
        cfg.store = store;
        if ((rc = term_open(&cfg, clock, &gate[k])) != 0)
            die("term_open", rc);
        if ((rc = term_install_params(gate[k], HOST_PARAM_FARE, 1, payload, plen)) != 0)
            die("term_install_params", rc);
    }
    for (int run = 0; run < RUNS; run++) {
        long taps = 0;
        double t0 = now_s(), t1;
        do {
            for (int j = 0; j < 256; j++, taps++) {
                int c = (int)(taps % NCARDS), k = (int)(taps / NCARDS % 2);
                clock += 1000000;
                term_simreader_insert(&card_rd[k], &cards[c].card);
                if ((rc = term_tap(gate[k], clock, &r)) != 0)
                    die("term_tap", rc);
                if (r.status != TERM_APPROVED)
                    declined++;
            }
            t1 = now_s();
        } while (t1 - t0 < 0.5);
        rates[run] = (double)taps / (t1 - t0);
    }
    if (declined != 0)
        die("taps declined", (int)declined);
    qsort(rates, RUNS, sizeof rates[0], cmp_double);
    printf("BENCH term.taps_per_sec %.0f taps/s\n", rates[RUNS / 2]);
    for (int k = 0; k < 2; k++)
        term_close(gate[k]);
    term_store_close(store);
    for (int i = 0; i < NCARDS; i++)
        cos_host_close(&cards[i].host);
    for (int k = 0; k < 2; k++)
        cos_host_close(&psam[k].host);
    return 0;
}
