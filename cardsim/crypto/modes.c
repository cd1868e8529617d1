/*
 * obol card OS: the ECB and CBC modes of operation (NIST SP 800-38A; ISO/IEC 10116),
 * written once for DES, AES and SM4, which each pass their one-block function.
 */
#include "crypto_internal.h"

#include <string.h>

void cos__ecb(cos__block_fn block, const void *key, size_t bs, const uint8_t *in, uint8_t *out,
              size_t len)
{
    for (size_t off = 0; off + bs <= len; off += bs)
        block(key, in + off, out + off);
}

void cos__cbc(cos__block_fn block, const void *key, size_t bs, int encrypt, uint8_t *iv,
              const uint8_t *in, uint8_t *out, size_t len)
{
    uint8_t buf[16];
    for (size_t off = 0; off + bs <= len; off += bs) {
        if (encrypt) {
            for (size_t i = 0; i < bs; i++)
                buf[i] = in[off + i] ^ iv[i];
            block(key, buf, out + off);
            memcpy(iv, out + off, bs);
        } else {
            memcpy(buf, in + off, bs); /* IN may be OUT: keep the ciphertext for the next IV */
            block(key, buf, out + off);
            for (size_t i = 0; i < bs; i++) {
                out[off + i] ^= iv[i];
                iv[i] = buf[i];
            }
        }
    }
    cos_wipe(buf, sizeof buf);
}
