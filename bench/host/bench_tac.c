/*
 * obol benchmark: host TAC verifications per second on one core.
 *
 * Settlement verifies every purchase TAC the cards produced. The host caches each
 * card's keys, so deriving the TAC key is not per transaction; one verification is one
 * MAC over the 22-byte TAC input under the card's TAC key and a constant-time compare.
 * Figures (median of 5 runs of about 0.5 s each; the target is >= 500 k/s):
 *   host.tac_verifications_per_sec             a prepared key per card, single DES
 *                                              from host_crypto_lib (the legacy
 *                                              provider) when it loads, else DES-EDE3
 *   host.tac_verifications_rekey_per_sec       one context per thread re-keyed from a
 *                                              cache of 8-byte TAC keys, same cipher
 *   host.tac_verifications_ede3_per_sec        prepared keys, DES-EDE3 K||K||K in the
 *   host.tac_verifications_ede3_rekey_per_sec  default provider (no legacy module)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "obol/host_crypto.h"

enum { NCARDS = 64, NTX = 1024, RUNS = 5 };

typedef struct tx {
    host_pboc_purchase p;
    uint8_t tac[4];
    int card;
} tx;

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

/* One run: verify transactions round-robin for about 0.5 s; returns verifications/s,
 * or -1 if any verification failed. */
static double run(tx *txs, host_pboc_key *keys, const uint8_t (*tac_keys)[8], int rekey)
{
    double t0 = now(), t;
    long n = 0;
    int i;

    do {
        for (i = 0; i < NTX; i++) {
            tx *x = &txs[i];
            host_pboc_key *k = rekey ? &keys[0] : &keys[x->card];
            if (rekey && host_pboc_key_set(k, tac_keys[x->card]) != 0)
                return -1;
            if (host_pboc_key_purchase_tac_verify(k, &x->p, x->tac) != 0)
                return -1;
        }
        n += NTX;
        t = now();
    } while (t - t0 < 0.5);
    return (double)n / (t - t0);
}

static int measure(const char *name, tx *txs, host_pboc_key *keys, const uint8_t (*tac_keys)[8],
                   int rekey)
{
    double r[RUNS];
    int i;

    for (i = 0; i < RUNS; i++) {
        r[i] = run(txs, keys, tac_keys, rekey);
        if (r[i] < 0) {
            fprintf(stderr, "bench_tac: a TAC failed to verify\n");
            return 1;
        }
    }
    qsort(r, RUNS, sizeof r[0], cmp_double);
    printf("BENCH %s %.0f verifications/s\n", name, r[RUNS / 2]);
    return 0;
}

/* Prepares one key per card (from LIB when not NULL) and measures both ways. */
static int bench_engine(const char *prepared_name, const char *rekey_name, host_crypto_lib *lib,
                        tx *txs, const uint8_t (*tac_keys)[8])
{
    static host_pboc_key keys[NCARDS];
    int i, rc = 1;

    memset(keys, 0, sizeof keys);
    for (i = 0; i < NCARDS; i++)
        if (host_pboc_key_init_lib(&keys[i], lib, tac_keys[i]) != 0)
            goto done;
    rc = measure(prepared_name, txs, keys, tac_keys, 0);
    if (rc == 0)
        rc = measure(rekey_name, txs, keys, tac_keys, 1);
done:
    for (i = 0; i < NCARDS; i++)
        host_pboc_key_free(&keys[i]);
    return rc;
}

int main(void)
{
    static tx txs[NTX];
    static uint8_t dtk[NCARDS][16], tac_keys[NCARDS][8];
    host_crypto_lib *lib = NULL;
    unsigned seed = 12345;
    int i, rc;

    /* Test keys and transactions from a fixed LCG: the figure must not depend on data. */
    for (i = 0; i < NCARDS; i++) {
        int j;
        for (j = 0; j < 16; j++) {
            seed = seed * 1103515245u + 12345u;
            dtk[i][j] = (uint8_t)(seed >> 16);
        }
        if (host_pboc_tac_key(dtk[i], tac_keys[i]) != 0)
            return 1;
    }
    for (i = 0; i < NTX; i++) {
        tx *x = &txs[i];
        memset(x, 0, sizeof *x);
        x->card = i % NCARDS;
        x->p.amount = 100u + (uint32_t)i;
        x->p.type = HOST_PBOC_EP_PURCHASE;
        memcpy(x->p.terminal_id, "\x11\x22\x33\x44\x55\x66", 6);
        x->p.ttn = (uint32_t)i;
        memcpy(x->p.date, "\x20\x26\x11\x22", 4);
        memcpy(x->p.time, "\x08\x30\x00", 3);
        if (host_pboc_purchase_tac(dtk[x->card], &x->p, x->tac) != 0)
            return 1;
    }
    if (host_crypto_lib_new(&lib) != 0) {
        fprintf(stderr, "bench_tac: no legacy provider, single DES runs as DES-EDE3\n");
        lib = NULL;
    }
    rc = bench_engine("host.tac_verifications_per_sec", "host.tac_verifications_rekey_per_sec", lib,
                      txs, (const uint8_t(*)[8])tac_keys);
    if (rc == 0 && lib != NULL)
        rc = bench_engine("host.tac_verifications_ede3_per_sec",
                          "host.tac_verifications_ede3_rekey_per_sec", NULL, txs,
                          (const uint8_t(*)[8])tac_keys);
    host_crypto_lib_free(lib);
    return rc;
}
