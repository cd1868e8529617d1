/*
 * obol tests: independent reference computations for the hostsim tests.
 *
 * The formulas of PBOC and GlobalPlatform coded straight from the specifications on
 * raw OpenSSL block operations (one block at a time, chaining and padding by hand,
 * CMAC built from AES-ECB per NIST SP 800-38B), sharing no code with obol_host. A
 * library result that matches these and the published vectors is pinned twice.
 */
#ifndef OBOL_TEST_HOST_REF_H
#define OBOL_TEST_HOST_REF_H

#include <stddef.h>
#include <stdint.h>

/* Parses a hex string (spaces allowed) into OUT; returns the byte count. Aborts the
 * test on malformed input or overflow. */
size_t ref_hex(const char *hex, uint8_t *out, size_t cap);

/* One-block ciphers. DES: KEYLEN 8 (single), 16 or 24. AES: 16, 24, 32. */
void ref_des_block(const uint8_t *key, size_t keylen, int encrypt, const uint8_t in[8],
                   uint8_t out[8]);
void ref_aes_block(const uint8_t *key, size_t keylen, int encrypt, const uint8_t in[16],
                   uint8_t out[16]);

/* ISO/IEC 9797-1 algorithm 1 with padding method 2 (KEYLEN 8 or 16), and algorithm 3
 * (retail MAC, 16-byte key); ICV NULL = zero. */
void ref_mac1(const uint8_t *key, size_t keylen, const uint8_t *icv, const uint8_t *msg, size_t len,
              uint8_t mac[8]);
void ref_mac3(const uint8_t key[16], const uint8_t *icv, const uint8_t *msg, size_t len,
              uint8_t mac[8]);

/* AES-CMAC from AES-ECB (NIST SP 800-38B). */
void ref_cmac(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t len, uint8_t mac[16]);

/* CBC over LEN bytes (multiple of the block), IV NULL = zero. */
void ref_des_cbc(const uint8_t key[16], int encrypt, const uint8_t *iv, const uint8_t *in,
                 uint8_t *out, size_t len);
void ref_aes_cbc(const uint8_t *key, size_t keylen, int encrypt, const uint8_t *iv,
                 const uint8_t *in, uint8_t *out, size_t len);

/* SCP03 KDF (Amendment D 4.1.5) with L bits of output. */
void ref_scp03_kdf(const uint8_t *key, size_t keylen, uint8_t constant, const uint8_t *ctx,
                   size_t ctxlen, size_t lbits, uint8_t *out);

#endif /* OBOL_TEST_HOST_REF_H */
