/*
 * obol card OS: declarations shared between the files of cardsim/crypto (cos__ names).
 *
 * Big-endian word access and rotations used by every algorithm, the Merkle-Damgard
 * buffering and padding that SHA-256 and SM3 share around their compression functions,
 * and the ECB/CBC loops that DES, AES and SM4 share around their block functions.
 * Freestanding like the rest of obol_crypto: no heap, no globals.
 */
#ifndef OBOL_CRYPTO_INTERNAL_H
#define OBOL_CRYPTO_INTERNAL_H

#include <obol/cos_crypto.h>

#include <stddef.h>
#include <stdint.h>

static inline uint32_t cos__rotl32(uint32_t x, unsigned n)
{
    return (x << (n & 31)) | (x >> ((32 - n) & 31));
}

static inline uint32_t cos__rotr32(uint32_t x, unsigned n)
{
    return (x >> (n & 31)) | (x << ((32 - n) & 31));
}

static inline uint32_t cos__load32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void cos__store32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---- Merkle-Damgard hashing with 64-byte blocks and 8 words of state (md.c) ---- */

/* A compression function: folds one 64-byte BLOCK into the chaining value H. */
typedef void (*cos__md_compress)(uint32_t h[8], const uint8_t block[64]);

/* Absorbs LEN bytes of DATA into C, calling COMPRESS for every full block. C must have
 * been initialised by the algorithm's init (chaining value set, counters zero). */
void cos__md_update(cos_sha256_ctx *c, cos__md_compress compress, const void *data, size_t len);

/* Pads as SHA-256 and SM3 both do (append 80, zeros to 56 mod 64 bytes, the 64-bit
 * big-endian bit length), compresses the last block(s), writes the 32-byte digest to
 * OUT and wipes C. */
void cos__md_final(cos_sha256_ctx *c, cos__md_compress compress, uint8_t out[32]);

/* ---- ECB and CBC over a block cipher of 8 or 16 bytes (modes.c) ---- */

/* One block through the cipher under KEY, whatever the key's type and direction is. IN
 * and OUT may be the same buffer. */
typedef void (*cos__block_fn)(const void *key, const uint8_t *in, uint8_t *out);

/* ECB: every whole block of BS bytes in IN (LEN rounded down) through BLOCK. */
void cos__ecb(cos__block_fn block, const void *key, size_t bs, const uint8_t *in, uint8_t *out,
              size_t len);

/* CBC (NIST SP 800-38A, 6.2) over the whole blocks of IN; BLOCK encrypts when ENCRYPT
 * is set and decrypts otherwise. IV (BS bytes) is left holding the last ciphertext
 * block. Decryption keeps a copy of each ciphertext block before the output is written
 * so that IN and OUT may be the same buffer. BS is at most 16. */
void cos__cbc(cos__block_fn block, const void *key, size_t bs, int encrypt, uint8_t *iv,
              const uint8_t *in, uint8_t *out, size_t len);

#endif
