/*
 * obol card OS: freestanding cryptography.
 *
 * The chip has no OpenSSL, so the card OS carries its own block ciphers, hashes and
 * MACs. Everything here is pure computation: no heap, no stdio, no globals beyond
 * constant tables, callable from the host build and the Cortex-M image alike.
 * Contexts are owned by the caller (usually on the stack) and must be wiped with
 * cos_wipe() after use when they hold key material.
 *
 * Block counts: functions that process data return nothing; the card OS counts
 * blocks itself (cost counters) at its crypto entry points in the HAL.
 */
#ifndef OBOL_COS_CRYPTO_H
#define OBOL_COS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* ---- DES / 3DES (FIPS 46-3, ANSI X9.52 / ISO/IEC 18033-3) ------------------------ */

/* A DES key schedule for single DES (keylen 8), two-key 3DES (16: K1 K2 K1) or
 * three-key 3DES (24). Single DES is kept as 3DES with K1 = K2 = K3 computed once. */
typedef struct cos_des_key {
    uint32_t ks[3][32];
    int single; /* 1 when keylen was 8: one DES pass instead of three */
} cos_des_key;

/* Expands KEY (keylen 8, 16 or 24 bytes; parity bits ignored). Returns 0, or -1 for
 * any other length. */
int cos_des_setkey(cos_des_key *k, const uint8_t *key, size_t keylen);
void cos_des_encrypt(const cos_des_key *k, const uint8_t in[8], uint8_t out[8]);
void cos_des_decrypt(const cos_des_key *k, const uint8_t in[8], uint8_t out[8]);
/* ECB / CBC over LEN bytes (a multiple of 8; in and out may be the same buffer).
 * IV (8 bytes) is updated in place for CBC so calls can be chained. */
void cos_des_ecb(const cos_des_key *k, int encrypt, const uint8_t *in, uint8_t *out, size_t len);
void cos_des_cbc(const cos_des_key *k, int encrypt, uint8_t iv[8], const uint8_t *in, uint8_t *out,
                 size_t len);

/* ---- AES-128/192/256 (FIPS 197) --------------------------------------------------- */
typedef struct cos_aes_key {
    uint32_t rk[60];
    int rounds; /* 10, 12 or 14 */
} cos_aes_key;

int cos_aes_setkey(cos_aes_key *k, const uint8_t *key, size_t keylen); /* 16/24/32; 0 or -1 */
void cos_aes_encrypt(const cos_aes_key *k, const uint8_t in[16], uint8_t out[16]);
void cos_aes_decrypt(const cos_aes_key *k, const uint8_t in[16], uint8_t out[16]);
void cos_aes_ecb(const cos_aes_key *k, int encrypt, const uint8_t *in, uint8_t *out, size_t len);
void cos_aes_cbc(const cos_aes_key *k, int encrypt, uint8_t iv[16], const uint8_t *in, uint8_t *out,
                 size_t len);

/* ---- SM4 (GB/T 32907-2016) -------------------------------------------------------- */
typedef struct cos_sm4_key {
    uint32_t rk[32];
} cos_sm4_key;

void cos_sm4_setkey(cos_sm4_key *k, const uint8_t key[16]);
void cos_sm4_encrypt(const cos_sm4_key *k, const uint8_t in[16], uint8_t out[16]);
void cos_sm4_decrypt(const cos_sm4_key *k, const uint8_t in[16], uint8_t out[16]);
void cos_sm4_ecb(const cos_sm4_key *k, int encrypt, const uint8_t *in, uint8_t *out, size_t len);
void cos_sm4_cbc(const cos_sm4_key *k, int encrypt, uint8_t iv[16], const uint8_t *in, uint8_t *out,
                 size_t len);

/* ---- SHA-256 (FIPS 180-4) and SM3 (GB/T 32905-2016) ------------------------------ */
typedef struct cos_sha256_ctx {
    uint32_t h[8];
    uint64_t bytes;
    uint8_t buf[64];
    size_t fill;
} cos_sha256_ctx;

void cos_sha256_init(cos_sha256_ctx *c);
void cos_sha256_update(cos_sha256_ctx *c, const void *data, size_t len);
void cos_sha256_final(cos_sha256_ctx *c, uint8_t out[32]);
void cos_sha256(const void *data, size_t len, uint8_t out[32]);

typedef cos_sha256_ctx cos_sm3_ctx; /* same shape: 8 words of state, 64-byte blocks */
void cos_sm3_init(cos_sm3_ctx *c);
void cos_sm3_update(cos_sm3_ctx *c, const void *data, size_t len);
void cos_sm3_final(cos_sm3_ctx *c, uint8_t out[32]);
void cos_sm3(const void *data, size_t len, uint8_t out[32]);

/* ---- MACs ------------------------------------------------------------------------- */

/* ISO/IEC 9797-1 MAC algorithm 1 (CBC-MAC) with padding method 2 (always append 80,
 * then 00 to a multiple of 8), under a DES key of 8, 16 or 24 bytes, initial value
 * ICV (8 bytes, NULL for zero). Writes the full 8-byte final block; callers keep the
 * leftmost 4 (PBOC) or 8 bytes. PBOC MAC1/MAC2/TAC use this with an 8-byte key. */
int cos_mac_alg1(const uint8_t *key, size_t keylen, const uint8_t *icv, const uint8_t *data,
                 size_t len, uint8_t out[8]);

/* ISO/IEC 9797-1 MAC algorithm 3 (retail MAC): single-DES CBC under the left half of
 * the 16-byte KEY, final block decrypted with the right half and encrypted with the
 * left; padding method 2; ICV as above. GlobalPlatform SCP02 C-MAC. */
int cos_mac_alg3(const uint8_t key[16], const uint8_t *icv, const uint8_t *data, size_t len,
                 uint8_t out[8]);

/* AES-CMAC (NIST SP 800-38B / RFC 4493) under an AES key of KEYLEN (16/24/32). */
int cos_aes_cmac(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len,
                 uint8_t out[16]);

/* ---- Key derivation, check values and helpers ------------------------------------- */

/* PBOC key dispersion (diversification) of a 16-byte master key MK by an 8-byte
 * factor F: left = 3DES(MK, F), right = 3DES(MK, NOT F). */
void cos_pboc_disperse(const uint8_t mk[16], const uint8_t factor[8], uint8_t out[16]);

/* Key check values (GlobalPlatform PUT KEY): DES/3DES KEY (8, 16 or 24 bytes) applied to
 * 00 x 8; AES KEY (16, 24 or 32 bytes) applied to 01 x 16; the leftmost 3 bytes are
 * written to OUT. Return 0, or -1 for a bad key length. */
int cos_des_kcv(const uint8_t *key, size_t keylen, uint8_t out[3]);
int cos_aes_kcv(const uint8_t *key, size_t keylen, uint8_t out[3]);

/* Constant-time comparison: 1 when the LEN bytes are equal, else 0. The time taken
 * depends only on LEN. */
int cos_ct_equal(const void *a, const void *b, size_t len);

/* Overwrites LEN bytes with zeros in a way the compiler cannot drop. */
void cos_wipe(void *p, size_t len);

#endif /* OBOL_COS_CRYPTO_H */
