/*
 * Throughput of obol's card crypto on the host, and the headline comparison of its
 * triple DES against OpenSSL's (EVP des-ede, ECB, same key, same run). Each figure is
 * the median of 5 runs of about 0.5 s; the triple DES runs alternate between obol and
 * OpenSSL so drift in clock speed hits both alike. Output: `BENCH <name> <value> <unit>`.
 */
#include <obol/cos_crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUF_LEN  4096 /* bytes per call: 512 DES blocks, 256 AES/SM4 blocks */
#define RUNS     5
#define RUN_SECS 0.5

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One measured operation: processes BUF_LEN bytes of BUF (in place) per call. */
typedef struct bench_op {
    void (*fn)(struct bench_op *op, uint8_t *buf);
    cos_des_key des;
    cos_aes_key aes;
    cos_sm4_key sm4;
    EVP_CIPHER_CTX *evp;
} bench_op;

/* Calls OP repeatedly for about RUN_SECS; returns calls per second. */
static double run_once(bench_op *op, uint8_t *buf)
{
    long calls = 0;
    double t0 = now(), t;
    do {
        op->fn(op, buf);
        calls++;
        t = now();
    } while (t - t0 < RUN_SECS);
    return (double)calls / (t - t0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static double measure(bench_op *op, uint8_t *buf)
{
    double v[RUNS];
    for (int i = 0; i < RUNS; i++)
        v[i] = run_once(op, buf);
    return median(v, RUNS);
}

static void op_tdes(bench_op *op, uint8_t *buf)
{
    cos_des_ecb(&op->des, 1, buf, buf, BUF_LEN);
}

static void op_openssl_tdes(bench_op *op, uint8_t *buf)
{
    int n = 0;
    if (EVP_EncryptUpdate(op->evp, buf, &n, buf, BUF_LEN) != 1 || n != BUF_LEN) {
        fprintf(stderr, "bench_crypto: EVP_EncryptUpdate failed\n");
        exit(1);
    }
}

static void op_aes(bench_op *op, uint8_t *buf)
{
    cos_aes_ecb(&op->aes, 1, buf, buf, BUF_LEN);
}

static void op_sm4(bench_op *op, uint8_t *buf)
{
    cos_sm4_ecb(&op->sm4, 1, buf, buf, BUF_LEN);
}

static void op_sha256(bench_op *op, uint8_t *buf)
{
    (void)op;
    cos_sha256(buf, BUF_LEN, buf);
}

static void op_sm3(bench_op *op, uint8_t *buf)
{
    (void)op;
    cos_sm3(buf, BUF_LEN, buf);
}

/* A PBOC purchase MAC1 as the card computes it, key schedule included: MAC algorithm 1
 * over 18 bytes under an 8-byte session key; BUF_LEN / 18 of them per call. */
static void op_pboc_mac(bench_op *op, uint8_t *buf)
{
    (void)op;
    for (size_t off = 0; off + 18 + 8 <= BUF_LEN; off += 18)
        cos_mac_alg1(buf + off + 18, 8, NULL, buf + off, 18, buf + off);
}

int main(void)
{
    static const uint8_t key[32] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                                    0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
                                    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                    0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00};
    static uint8_t buf_a[BUF_LEN], buf_b[BUF_LEN];
    bench_op op;
    memset(&op, 0, sizeof op);
    for (size_t i = 0; i < BUF_LEN; i++)
        buf_a[i] = buf_b[i] = (uint8_t)(i * 31 + 7);

    /* Two-key triple DES, obol vs OpenSSL, alternating runs. */
    cos_des_setkey(&op.des, key, 16);
    op.evp = EVP_CIPHER_CTX_new();
    if (!op.evp || EVP_EncryptInit_ex(op.evp, EVP_des_ede_ecb(), NULL, key, NULL) != 1) {
        fprintf(stderr, "bench_crypto: OpenSSL des-ede unavailable\n");
        return 1;
    }
    EVP_CIPHER_CTX_set_padding(op.evp, 0);
    double ours[RUNS], theirs[RUNS];
    for (int i = 0; i < RUNS; i++) {
        op.fn = op_tdes;
        ours[i] = run_once(&op, buf_a) * (BUF_LEN / 8);
        op.fn = op_openssl_tdes;
        theirs[i] = run_once(&op, buf_b) * (BUF_LEN / 8);
    }
    double mo = median(ours, RUNS), mt = median(theirs, RUNS);
    printf("BENCH crypto.tdes_blocks_per_sec %.0f blocks/s\n", mo);
    printf("BENCH crypto.openssl_tdes_blocks_per_sec %.0f blocks/s\n", mt);
    printf("BENCH crypto.tdes_vs_openssl %.3f x\n", mo / mt);
    fflush(stdout);
    EVP_CIPHER_CTX_free(op.evp);
    op.evp = NULL;

    cos_des_setkey(&op.des, key, 8);
    op.fn = op_tdes;
    printf("BENCH crypto.des_blocks_per_sec %.0f blocks/s\n", measure(&op, buf_a) * (BUF_LEN / 8));

    cos_aes_setkey(&op.aes, key, 16);
    op.fn = op_aes;
    printf("BENCH crypto.aes128_blocks_per_sec %.0f blocks/s\n",
           measure(&op, buf_a) * (BUF_LEN / 16));

    cos_sm4_setkey(&op.sm4, key);
    op.fn = op_sm4;
    printf("BENCH crypto.sm4_blocks_per_sec %.0f blocks/s\n", measure(&op, buf_a) * (BUF_LEN / 16));

    op.fn = op_sha256;
    printf("BENCH crypto.sha256_bytes_per_sec %.0f B/s\n", measure(&op, buf_a) * BUF_LEN);

    op.fn = op_sm3;
    printf("BENCH crypto.sm3_bytes_per_sec %.0f B/s\n", measure(&op, buf_a) * BUF_LEN);

    op.fn = op_pboc_mac;
    printf("BENCH crypto.pboc_mac_per_sec %.0f MACs/s\n",
           measure(&op, buf_a) * (double)((BUF_LEN - 8) / 18));
    cos_wipe(&op, sizeof op);
    return 0;
}
