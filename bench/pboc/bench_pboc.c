/*
 * obol benchmark: PBOC purchases per second and bytes per purse card.
 *
 *   pboc.purchases_per_sec  full purchases on one core: a tap that SELECTs the purse,
 *                           reads EF 0015, INITIALIZE FOR PURCHASE, INIT SAM FOR
 *                           PURCHASE on the PSAM, DEBIT FOR PURCHASE, CREDIT SAM FOR
 *                           PURCHASE; every APDU through cos_transmit(), the card's own
 *                           crypto, NVM transactions on the host port. Cards are taken
 *                           round robin from a pool (an offline counter allows 65535
 *                           purchases per card). Median of 5 runs of about 0.5 s;
 *                           target >= 100 k/s.
 *   pboc.card_bytes         sizeof(cos_card) + the smallest NVM image the purse profile
 *                           fits in with room for a load and a purchase; target <= 8 KB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "obol/cos_host.h"
#include "obol/cos_profile.h"
#include "obol/host_crypto.h"
#include "obol/obol_rom.h"

enum { NCARDS = 64, RUNS = 5 };
#define NVM 8192u

typedef struct card {
    cos_host host;
    cos_card card;
} card;

/* TEST KEY: TEST-MLK-01 of profiles/test-keys.profile, to load the purses. */
static const uint8_t test_mlk01[16] = {0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
                                       0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44};
static const uint8_t purse_aid[] = {0xA0, 0x00, 0x00, 0x00, 0x03, 0x86, 0x98, 0x07, 0x01};
static const uint8_t psam_aid[] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x50, 0x53, 0x41, 0x4D, 0x01};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One APDU; returns the status word, or -1 on a transport error. */
static int tx(cos_card *c, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen)
{
    uint8_t buf[300];
    size_t n = 0;

    if (cos_transmit(c, 0, cmd, len, buf, sizeof buf, &n) != 0 || n < 2)
        return -1;
    if (rsp != NULL)
        memcpy(rsp, buf, n - 2);
    if (rlen != NULL)
        *rlen = n - 2;
    return buf[n - 2] << 8 | buf[n - 1];
}

static int select_aid(cos_card *c, const uint8_t *aid, size_t len)
{
    uint8_t cmd[32] = {0x00, 0xA4, 0x04, 0x00, (uint8_t)len};
    memcpy(cmd + 5, aid, len);
    cmd[5 + len] = 0;
    return tx(c, cmd, 6 + len, NULL, NULL);
}

/* Attaches C to an NVM image of SIZE bytes personalized with PROFILE; powered on. */
static int open_card(card *c, const char *profile, uint32_t size, uint64_t serial)
{
    cos_card_config cfg;
    char err[256];
    uint8_t atr[64];
    size_t n;
    int rc;

    if (cos_host_open_mem(&c->host, size, 64, serial) != 0)
        return -1;
    cos_host_config(&c->host, obol_rom_classes, obol_rom_nclasses, &cfg);
    if (cos_card_attach(&c->card, &cfg) != 0)
        return -1;
    rc = cos_profile_apply(&c->card, profile, serial, err, sizeof err);
    if (rc != 0)
        return rc;
    return cos_power_on(&c->card, COS_IF_CONTACTLESS, 0, atr, sizeof atr, &n);
}

/* Loads AMOUNT into the EP (the host side with OpenSSL). Returns 0 or -1. */
static int load(cos_card *c, uint32_t amount)
{
    uint8_t cmd[32] = {0x80, 0x50, 0x00, 0x02, 0x0B, 0x01}, r[64], ids[30], dlk[16], s[8];
    host_pboc_load l;
    size_t n;

    if (select_aid(c, purse_aid, sizeof purse_aid) != 0x9000)
        return -1;
    if (tx(c, (const uint8_t *)"\x00\xB0\x95\x00\x1E", 5, ids, &n) != 0x9000)
        return -1;
    cmd[6] = (uint8_t)(amount >> 24);
    cmd[7] = (uint8_t)(amount >> 16);
    cmd[8] = (uint8_t)(amount >> 8);
    cmd[9] = (uint8_t)amount;
    memset(cmd + 10, 0x11, 6);
    cmd[16] = 0x10;
    if (tx(c, cmd, 17, r, &n) != 0x9000)
        return -1;
    memset(&l, 0, sizeof l);
    l.old_balance = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
    l.amount = amount;
    l.online_counter = (uint16_t)(r[4] << 8 | r[5]);
    l.type = 2;
    memset(l.terminal_id, 0x11, 6);
    host_pboc_diversify(test_mlk01, ids + 12, dlk);
    host_pboc_seslk(dlk, r + 8, l.online_counter, s);
    memcpy(cmd, "\x80\x52\x00\x00\x0B\x20\x26\x11\x22\x09\x00\x00", 12);
    memcpy(l.date, cmd + 5, 4);
    memcpy(l.time, cmd + 9, 3);
    host_pboc_load_mac2(s, &l, cmd + 12);
    cmd[16] = 4;
    return tx(c, cmd, 17, r, &n) == 0x9000 ? 0 : -1;
}

/* One full purchase of 1 on card C with the PSAM P (selected). Returns 0 or -1. */
static int purchase(cos_card *c, cos_card *p, const uint8_t tid[6])
{
    uint8_t cmd[64], r[64], ids[30];
    size_t n;

    if (select_aid(c, purse_aid, sizeof purse_aid) != 0x9000)
        return -1;
    if (tx(c, (const uint8_t *)"\x00\xB0\x95\x00\x1E", 5, ids, &n) != 0x9000)
        return -1;
    memcpy(cmd, "\x80\x50\x01\x02\x0B\x01\x00\x00\x00\x01", 10);
    memcpy(cmd + 10, tid, 6);
    cmd[16] = 0x0F;
    if (tx(c, cmd, 17, r, &n) != 0x9000)
        return -1;
    memcpy(cmd, "\x80\x70\x00\x00\x24", 5);
    memcpy(cmd + 5, r + 11, 4);
    memcpy(cmd + 9, r + 4, 2);
    memcpy(cmd + 11, "\x00\x00\x00\x01\x06\x20\x26\x11\x22\x08\x30\x00", 12);
    cmd[23] = r[9];
    cmd[24] = r[10];
    memcpy(cmd + 25, ids + 12, 8);
    memcpy(cmd + 33, ids, 8);
    cmd[41] = 8;
    if (tx(p, cmd, 42, r, &n) != 0x9000)
        return -1;
    memcpy(cmd, "\x80\x54\x01\x00\x0F", 5);
    memcpy(cmd + 5, r, 4);
    memcpy(cmd + 9, "\x20\x26\x11\x22\x08\x30\x00", 7);
    memcpy(cmd + 16, r + 4, 4);
    cmd[20] = 8;
    if (tx(c, cmd, 21, r, &n) != 0x9000)
        return -1;
    memcpy(cmd, "\x80\x72\x00\x00\x04", 5);
    memcpy(cmd + 5, r + 4, 4);
    return tx(p, cmd, 9, NULL, NULL) == 0x9000 ? 0 : -1;
}

/* The smallest image (multiple of 64 bytes) the purse profile fits in with a load and
 * a purchase working; 0 when none up to 16 KiB. */
static uint32_t smallest_image(card *psam, const uint8_t tid[6])
{
    uint32_t lo = 256, hi = 16384;
    card *c = malloc(sizeof *c);

    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2 / 64 * 64;
        int ok;
        if (mid < lo)
            mid = lo;
        ok = open_card(c, "purse", mid, 7) == 0 && load(&c->card, 1000) == 0 &&
             purchase(&c->card, &psam->card, tid) == 0;
        cos_power_off(&c->card);
        cos_host_close(&c->host);
        if (ok)
            hi = mid;
        else
            lo = mid + 64;
    }
    free(c);
    return hi;
}

int main(void)
{
    card *cards = calloc(NCARDS, sizeof *cards), psam;
    uint8_t tid[6];
    double rates[RUNS];
    size_t n;
    long total = 0;
    int i, k = 0;
    uint32_t img;

    if (cards == NULL || open_card(&psam, "psam", NVM, 0) != 0 ||
        select_aid(&psam.card, psam_aid, sizeof psam_aid) != 0x9000 ||
        tx(&psam.card, (const uint8_t *)"\x00\xB0\x96\x00\x06", 5, tid, &n) != 0x9000) {
        fprintf(stderr, "bench_pboc: PSAM setup failed\n");
        return 1;
    }
    for (i = 0; i < NCARDS; i++)
        if (open_card(&cards[i], "purse", NVM, 1000 + (uint64_t)i) != 0 ||
            load(&cards[i].card, 100000000) != 0) {
            fprintf(stderr, "bench_pboc: card setup failed\n");
            return 1;
        }
    for (int run = 0; run < RUNS; run++) {
        double t0 = now(), t;
        long cnt = 0;
        do {
            for (i = 0; i < 1000; i++) {
                if (purchase(&cards[k].card, &psam.card, tid) != 0) {
                    fprintf(stderr, "bench_pboc: purchase %ld failed\n", total + cnt);
                    return 1;
                }
                k = (k + 1) % NCARDS;
            }
            cnt += 1000;
            t = now();
        } while (t - t0 < 0.5);
        rates[run] = (double)cnt / (t - t0);
        total += cnt;
        if (total > (long)NCARDS * 60000) /* offline counters near their end */
            break;
    }
    qsort(rates, RUNS, sizeof rates[0], cmp_double);
    printf("BENCH pboc.purchases_per_sec %.0f purchases/s\n", rates[RUNS / 2]);
    fflush(stdout);
    img = smallest_image(&psam, tid);
    fprintf(stderr, "bench_pboc: sizeof(cos_card) %zu + smallest purse image %u bytes\n",
            sizeof(cos_card), img);
    fflush(stderr);
    printf("BENCH pboc.card_bytes %zu bytes\n", sizeof(cos_card) + img);
    for (i = 0; i < NCARDS; i++)
        cos_host_close(&cards[i].host);
    cos_host_close(&psam.host);
    free(cards);
    return 0;
}
