/*
 * obol host platform: off-card cryptography on OpenSSL 3 libcrypto.
 *
 * The host's crypto is deliberately independent of the card's freestanding code
 * (cardsim's cos_crypto.h): every simulated transaction has the card compute a MAC or
 * TAC with its own code and the host verify it with this one, so a bug on either side
 * shows up as a failed verification instead of two agreeing wrongs.
 *
 * Contents:
 *   - block cipher helpers (DES/3DES, AES) and MACs (ISO/IEC 9797-1 algorithms 1 and 3,
 *     AES-CMAC), GlobalPlatform key check values;
 *   - PBOC 2.0 (JR/T 0025) electronic purse: key dispersion, session keys SESLK/SESPK,
 *     MAC1/MAC2/TAC for load, purchase (05/06) and composite purchase (09);
 *   - a prepared MAC key for fast TAC verification at settlement.
 *
 * Conventions: every function returns 0 or a negative HOST_ERR_* code (host_error.h);
 * OpenSSL errors are translated to HOST_ERR_CRYPTO/HOST_ERR_NOMEM and its error queue
 * is cleared, so nothing OpenSSL-specific leaks to callers. All buffers belong to the
 * caller; outputs may alias inputs where noted. Functions are reentrant and keep no
 * state between calls (the prepared key is caller-owned). Key material on the stack is
 * wiped before return.
 */
#ifndef OBOL_HOST_CRYPTO_H
#define OBOL_HOST_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_error.h"

/* ---- Block ciphers ---------------------------------------------------------------- */

/* DES/3DES in ECB or CBC mode over LEN bytes (a multiple of 8, may be 0). KEYLEN is 8
 * (single DES, computed as DES-EDE3 with K||K||K so it runs in OpenSSL's default
 * provider), 16 (two-key 3DES K1 K2 K1) or 24. ENCRYPT is 1 or 0. IV is 8 bytes, NULL
 * meaning zero; it is not updated. IN and OUT may be the same buffer.
 * Returns 0, HOST_ERR_ARG for a bad key length or LEN, HOST_ERR_CRYPTO/NOMEM. */
int host_des_ecb(const uint8_t *key, size_t keylen, int encrypt, const uint8_t *in, uint8_t *out,
                 size_t len);
int host_des_cbc(const uint8_t *key, size_t keylen, int encrypt, const uint8_t *iv,
                 const uint8_t *in, uint8_t *out, size_t len);

/* AES-128/192/256 (KEYLEN 16, 24, 32) in ECB or CBC mode over LEN bytes (a multiple of
 * 16). IV is 16 bytes, NULL meaning zero. Same rules as the DES helpers. */
int host_aes_ecb(const uint8_t *key, size_t keylen, int encrypt, const uint8_t *in, uint8_t *out,
                 size_t len);
int host_aes_cbc(const uint8_t *key, size_t keylen, int encrypt, const uint8_t *iv,
                 const uint8_t *in, uint8_t *out, size_t len);

/* ---- MACs ------------------------------------------------------------------------- */

/* ISO/IEC 9797-1 MAC algorithm 1 (CBC-MAC) with padding method 2 (always `80 00..`):
 * single DES for KEYLEN 8, 3DES ("full triple-DES MAC", GP CS B.1.2.1) for 16 or 24.
 * ICV is 8 bytes, NULL meaning zero. Writes the full 8-byte final block to MAC. */
int host_mac_alg1(const uint8_t *key, size_t keylen, const uint8_t *icv, const uint8_t *data,
                  size_t len, uint8_t mac[8]);

/* ISO/IEC 9797-1 MAC algorithm 3 ("retail MAC", GP CS B.1.2.2) with padding method 2:
 * single-DES CBC under the left half of the 16-byte KEY, then the last block decrypted
 * with the right half and encrypted again with the left. ICV NULL means zero. */
int host_mac_alg3(const uint8_t key[16], const uint8_t *icv, const uint8_t *data, size_t len,
                  uint8_t mac[8]);

/* AES-CMAC (NIST SP 800-38B) with the full 16-byte output. KEYLEN 16, 24 or 32. */
int host_aes_cmac(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len,
                  uint8_t mac[16]);

/* GlobalPlatform key check values (GP CS 2.3 B.6 for DES, Amendment D 7.2 for AES):
 * DES: 3DES(key, 00 x 8)[:3] (KEYLEN 8/16/24); AES: AES(key, 01 x 16)[:3]. */
int host_kcv_des(const uint8_t *key, size_t keylen, uint8_t kcv[3]);
int host_kcv_aes(const uint8_t *key, size_t keylen, uint8_t kcv[3]);

/* Constant-time comparison of two LEN-byte buffers: 0 when equal, HOST_ERR_MAC when not. */
int host_verify_equal(const uint8_t *a, const uint8_t *b, size_t len);

/* Overwrites LEN bytes with zeros in a way the compiler keeps (OPENSSL_cleanse). */
void host_wipe(void *p, size_t len);

/* ---- PBOC 2.0 electronic purse (JR/T 0025 part 1) --------------------------------- */

/* Transaction types (the "type" byte MACed in MAC1/MAC2/TAC). */
enum {
    HOST_PBOC_ED_LOAD = 0x01,
    HOST_PBOC_EP_LOAD = 0x02,
    HOST_PBOC_ED_PURCHASE = 0x05,
    HOST_PBOC_EP_PURCHASE = 0x06,
    HOST_PBOC_CAPP_PURCHASE = 0x09
};

/* The purse MAC: ISO/IEC 9797-1 algorithm 1, single-DES CBC-MAC under the 8-byte KEY
 * (a session key or the XOR-reduced TAC key), zero ICV, always padded `80 00..`,
 * leftmost 4 bytes kept. */
int host_pboc_mac(const uint8_t key[8], const uint8_t *data, size_t len, uint8_t mac[4]);

/* Key dispersion (diversification) of the 16-byte master key MK by the 8-byte factor F:
 * left = 3DES(MK, F), right = 3DES(MK, NOT F). OUT may alias MK. */
int host_pboc_diversify(const uint8_t mk[16], const uint8_t factor[8], uint8_t out[16]);

/* Two-level dispersion: K1 = Div(MK, ISSUER), out = Div(K1, SERIAL). ISSUER is the
 * 8-byte issuer/city code, SERIAL the rightmost 8 bytes of the application serial
 * number. The order (issuer first, then card) is the project's pinned choice; see the
 * test "dispersion two levels" and PROTOCOLS.md. */
int host_pboc_diversify2(const uint8_t mk[16], const uint8_t issuer[8], const uint8_t serial[8],
                         uint8_t out[16]);

/* TAC key: the card's 16-byte DTK reduced to a single-DES key, left half XOR right. */
int host_pboc_tac_key(const uint8_t dtk[16], uint8_t out[8]);

/* SESLK = 3DES(DLK, card random(4) || online counter(2) || 80 00). */
int host_pboc_seslk(const uint8_t dlk[16], const uint8_t random[4], uint16_t online_counter,
                    uint8_t out[8]);

/* SESPK = 3DES(DPK, card random(4) || offline counter(2) || rightmost 2 bytes of the
 * terminal transaction number). OFFLINE_COUNTER is the value INITIALIZE FOR PURCHASE
 * returned (before the card's increment). */
int host_pboc_sespk(const uint8_t dpk[16], const uint8_t random[4], uint16_t offline_counter,
                    uint32_t ttn, uint8_t out[8]);

/* One purchase (type 05, 06 or 09). Multi-byte numbers are host integers; they are
 * MACed big-endian. DATE is YYYYMMDD and TIME hhmmss, both BCD as sent on the wire. */
typedef struct host_pboc_purchase {
    uint32_t amount;
    uint8_t type;
    uint8_t terminal_id[6];
    uint32_t ttn; /* terminal transaction number from the PSAM */
    uint8_t date[4];
    uint8_t time[3];
} host_pboc_purchase;

/* MAC1 (PSAM side): MAC(SESPK, amount || type || terminal id || date || time). */
int host_pboc_purchase_mac1(const uint8_t sespk[8], const host_pboc_purchase *p, uint8_t mac1[4]);
/* MAC2 (card side): MAC(SESPK, amount). */
int host_pboc_purchase_mac2(const uint8_t sespk[8], uint32_t amount, uint8_t mac2[4]);
/* TAC: MAC(DTK left XOR right, amount || type || terminal id || ttn || date || time). */
int host_pboc_purchase_tac(const uint8_t dtk[16], const host_pboc_purchase *p, uint8_t tac[4]);
/* Verification counterparts: 0 when the value matches, HOST_ERR_MAC when not. */
int host_pboc_purchase_mac1_verify(const uint8_t sespk[8], const host_pboc_purchase *p,
                                   const uint8_t mac1[4]);
int host_pboc_purchase_mac2_verify(const uint8_t sespk[8], uint32_t amount, const uint8_t mac2[4]);
int host_pboc_purchase_tac_verify(const uint8_t dtk[16], const host_pboc_purchase *p,
                                  const uint8_t tac[4]);

/* One load (type 01 or 02). ONLINE_COUNTER is the value INITIALIZE FOR LOAD returned,
 * before the card's increment; the new balance MACed in the TAC is old + amount. */
typedef struct host_pboc_load {
    uint32_t old_balance;
    uint32_t amount;
    uint16_t online_counter;
    uint8_t type;
    uint8_t terminal_id[6];
    uint8_t date[4];
    uint8_t time[3];
} host_pboc_load;

/* MAC1 (card side): MAC(SESLK, old balance || amount || type || terminal id). */
int host_pboc_load_mac1(const uint8_t seslk[8], const host_pboc_load *l, uint8_t mac1[4]);
/* MAC2 (host side): MAC(SESLK, amount || type || terminal id || date || time). */
int host_pboc_load_mac2(const uint8_t seslk[8], const host_pboc_load *l, uint8_t mac2[4]);
/* TAC: MAC(DTK left XOR right, new balance || online counter || amount || type ||
 * terminal id || date || time). HOST_ERR_ARG when old balance + amount overflows. */
int host_pboc_load_tac(const uint8_t dtk[16], const host_pboc_load *l, uint8_t tac[4]);
int host_pboc_load_mac1_verify(const uint8_t seslk[8], const host_pboc_load *l,
                               const uint8_t mac1[4]);
int host_pboc_load_tac_verify(const uint8_t dtk[16], const host_pboc_load *l, const uint8_t tac[4]);

/* ---- Prepared MAC key (settlement fast path) -------------------------------------- */

/* A single-DES PBOC MAC key with its OpenSSL cipher context set up once, so a TAC
 * verification costs the MAC blocks and no per-call fetch or allocation. Owned by the
 * caller: host_pboc_key_init() allocates, host_pboc_key_free() releases and wipes.
 * Not thread-safe: one per thread. Two ways to use it:
 *   - one prepared key per hot card (fastest; about 1 KiB of OpenSSL state each), or
 *   - one per thread, re-keyed with host_pboc_key_set() from a cache of 8-byte TAC
 *     keys (cheap in memory; the re-key costs three DES key schedules). */
struct evp_cipher_ctx_st;
typedef struct host_pboc_key {
    struct evp_cipher_ctx_st *ctx;
} host_pboc_key;

/* An optional OpenSSL library context of its own with the legacy provider loaded, so
 * prepared keys run single DES in one pass instead of DES-EDE3's three (about 2.5x
 * faster TAC checks). Nothing global is touched: the default library context stays
 * as it is. Owned by the caller; may be shared by threads; free it after every key
 * made from it. Returns HOST_ERR_UNSUPPORTED when OpenSSL's legacy module is not
 * installed: callers then use host_pboc_key_init(), which needs no provider. */
typedef struct host_crypto_lib host_crypto_lib;
int host_crypto_lib_new(host_crypto_lib **out);
void host_crypto_lib_free(host_crypto_lib *lib);

/* Allocates the context and sets KEY (8 bytes), DES-EDE3 with K||K||K in the default
 * provider. On failure *K is left empty. */
int host_pboc_key_init(host_pboc_key *k, const uint8_t key[8]);
/* The same with single DES from LIB (LIB NULL: as host_pboc_key_init()). */
int host_pboc_key_init_lib(host_pboc_key *k, host_crypto_lib *lib, const uint8_t key[8]);
/* As host_pboc_key_init() with the TAC key derived from the 16-byte DTK. */
int host_pboc_key_init_tac(host_pboc_key *k, const uint8_t dtk[16]);
/* Replaces the key of an initialized K (either kind). */
int host_pboc_key_set(host_pboc_key *k, const uint8_t key[8]);
/* Releases K; safe on a zeroed or already-freed key. */
void host_pboc_key_free(host_pboc_key *k);
/* host_pboc_mac() under the prepared key. */
int host_pboc_key_mac(host_pboc_key *k, const uint8_t *data, size_t len, uint8_t mac[4]);
/* Purchase TAC verification under a prepared TAC key: 0 or HOST_ERR_MAC. */
int host_pboc_key_purchase_tac_verify(host_pboc_key *k, const host_pboc_purchase *p,
                                      const uint8_t tac[4]);

#endif /* OBOL_HOST_CRYPTO_H */
