/*
 * Card OS benchmarks: APDUs per second for a read-only command (READ BINARY of 16
 * bytes by SFI on the default test card, in memory) and the size of a card's RAM
 * state. Prints BENCH card.apdus_per_sec (median of 5 runs of about half a second)
 * and BENCH card.ram_bytes, and the NVM bytes the default card uses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "obol/cos.h"
#include "obol/cos_host.h"
#include "obol/cos_perso.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    static cos_card card;
    cos_host h;
    cos_card_config cfg;
    if (cos_host_open_mem(&h, 16384, 64, 1) != 0)
        return 1;
    cos_host_config(&h, NULL, 0, &cfg);
    uint8_t atr[64], rsp[COS_RESP_MAX + 2];
    size_t n;
    if (cos_card_attach(&card, &cfg) != 0 || cos_perso_default(&card, 0, 0) != 0 ||
        cos_power_on(&card, COS_IF_CONTACTLESS, 0, atr, sizeof(atr), &n) != 0) {
        fprintf(stderr, "bench_card: cannot set up the default card\n");
        return 1;
    }
    /* READ BINARY, SFI 1 (P1 = 0x80 | 1), offset 0, 16 bytes: read always. */
    static const uint8_t cmd[] = {0x00, 0xB0, 0x81, 0x00, 0x10};
    if (cos_transmit(&card, 1, cmd, sizeof(cmd), rsp, sizeof(rsp), &n) != 0 || n != 18 ||
        rsp[16] != 0x90) {
        fprintf(stderr, "bench_card: READ BINARY did not answer 9000\n");
        return 1;
    }
    double runs[5];
    for (int r = 0; r < 5; r++) {
        uint64_t count = 0;
        double t0 = now_s(), t1;
        do {
            for (int i = 0; i < 10000; i++)
                cos_transmit(&card, count + (uint64_t)i, cmd, sizeof(cmd), rsp, sizeof(rsp), &n);
            count += 10000;
            t1 = now_s();
        } while (t1 - t0 < 0.5);
        runs[r] = (double)count / (t1 - t0);
    }
    qsort(runs, 5, sizeof(runs[0]), cmp);
    printf("BENCH card.apdus_per_sec %.0f APDUs/s\n", runs[2]);
    printf("BENCH card.ram_bytes %zu bytes\n", sizeof(cos_card));
    cos_host_close(&h);
    return 0;
}
