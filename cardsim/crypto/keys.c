/*
 * obol card OS: key derivation and key check values. PBOC key dispersion turns an
 * issuer master key into a card's own key; check values (GlobalPlatform PUT KEY) let
 * the card and the host confirm a key without revealing it.
 */
#include <obol/cos_crypto.h>

#include <string.h>

/* JR/T 0025 (PBOC 2.0) key dispersion: the left half of the card key is the factor
 * encrypted under the 16-byte master key with two-key 3DES, the right half its bitwise
 * complement encrypted the same way. */
void cos_pboc_disperse(const uint8_t mk[16], const uint8_t factor[8], uint8_t out[16])
{
    cos_des_key k;
    uint8_t f[16];
    cos_des_setkey(&k, mk, 16);
    for (int i = 0; i < 8; i++) {
        f[i] = factor[i];
        f[8 + i] = (uint8_t)~factor[i];
    }
    cos_des_ecb(&k, 1, f, out, 16);
    cos_wipe(&k, sizeof k);
    cos_wipe(f, sizeof f);
}

/* GlobalPlatform Card Specification, key check value of a DES key: the leftmost three
 * bytes of the key applied to eight zero bytes. */
int cos_des_kcv(const uint8_t *key, size_t keylen, uint8_t out[3])
{
    cos_des_key k;
    uint8_t blk[8] = {0};
    if (cos_des_setkey(&k, key, keylen) != 0)
        return -1;
    cos_des_encrypt(&k, blk, blk);
    memcpy(out, blk, 3);
    cos_wipe(&k, sizeof k);
    return 0;
}

/* GlobalPlatform Card Specification Amendment D (SCP03), key check value of an AES key:
 * the leftmost three bytes of the key applied to sixteen 01 bytes. */
int cos_aes_kcv(const uint8_t *key, size_t keylen, uint8_t out[3])
{
    cos_aes_key k;
    uint8_t blk[16];
    if (cos_aes_setkey(&k, key, keylen) != 0)
        return -1;
    memset(blk, 0x01, sizeof blk);
    cos_aes_encrypt(&k, blk, blk);
    memcpy(out, blk, 3);
    cos_wipe(&k, sizeof k);
    return 0;
}
