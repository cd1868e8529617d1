/*
 * obol card OS: a digest of the NVM image's logical content (cos_nvm_digest()), the
 * yardstick of the tearing tests: free space and the journal are not observable,
 * so they are left out; everything else (card state, options, every live object
 * with its place, header and body) goes in.
 */
#include "cos_internal.h"

#include "obol/cos_crypto.h"

int cos_nvm_digest(cos_card *c, uint8_t out[32])
{
    cos_sha256_ctx h;
    cos__obj o = {0};
    uint8_t buf[64];
    int rc;

    if (!c || !out)
        return COS_ERR_PARAM;
    if (c->power != 1)
        return COS_ERR_NOT_POWERED;
    cos_sha256_init(&h);
    rc = cos__nvm_read(c, 0, buf, COS__HDR_SIZE);
    if (rc < 0)
        return rc;
    cos_sha256_update(&h, buf, COS__HDR_SIZE);
    while ((rc = cos__obj_next(c, &o)) == 1) {
        uint8_t pos[4];
        cos__put32(pos, o.off);
        cos_sha256_update(&h, pos, sizeof pos);
        for (uint32_t at = 0; at < o.size;) {
            uint32_t n = o.size - at < sizeof buf ? o.size - at : (uint32_t)sizeof buf;
            rc = cos__nvm_read(c, o.off + at, buf, n);
            if (rc < 0)
                return rc;
            cos_sha256_update(&h, buf, n);
            at += n;
        }
    }
    if (rc < 0)
        return rc;
    cos_sha256_final(&h, out);
    return 0;
}
