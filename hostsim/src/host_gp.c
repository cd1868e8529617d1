/*
 * obol host platform: GlobalPlatform secure channel session, the protocol-neutral
 * part: session set-up and wiping, INITIALIZE UPDATE, the state machine, and short
 * APDU parsing. The SCP02 and SCP03 specifics are in host_scp02.c and host_scp03.c.
 */
#include <string.h>

#include "obol/host_crypto.h"
#include "obol/host_gp.h"
#include "host_gp_internal.h"

int host__apdu_parse(const uint8_t *in, size_t len, host__apdu *a)
{
    if (in == NULL || a == NULL || len < 4)
        return HOST_ERR_ARG;
    memset(a, 0, sizeof *a);
    a->cla = in[0];
    a->ins = in[1];
    a->p1 = in[2];
    a->p2 = in[3];
    if (len == 4)
        return 0; /* case 1 */
    if (len == 5) {
        a->has_le = 1; /* case 2 */
        a->le = in[4];
        return 0;
    }
    /* Cases 3 and 4, short form only: Lc 00 would announce extended length. */
    a->lc = in[4];
    if (a->lc == 0)
        return HOST_ERR_ARG;
    a->data = in + 5;
    if (len == 5 + a->lc)
        return 0;
    if (len == 6 + a->lc) {
        a->has_le = 1;
        a->le = in[5 + a->lc];
        return 0;
    }
    return HOST_ERR_ARG;
}

int host__apdu_emit(const host__apdu *a, uint8_t cla, const uint8_t *data, size_t dlen,
                    const uint8_t *mac, size_t maclen, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t n = 5 + dlen + maclen + (a->has_le ? 1 : 0);

    if (dlen + maclen > 255)
        return HOST_ERR_ARG;
    if (out == NULL || out_len == NULL)
        return HOST_ERR_ARG;
    if (n > cap)
        return HOST_ERR_NOSPACE;
    out[0] = cla;
    out[1] = a->ins;
    out[2] = a->p1;
    out[3] = a->p2;
    out[4] = (uint8_t)(dlen + maclen);
    if (dlen > 0)
        memmove(out + 5, data, dlen);
    if (maclen > 0)
        memcpy(out + 5 + dlen, mac, maclen);
    if (a->has_le)
        out[5 + dlen + maclen] = a->le;
    *out_len = n;
    return 0;
}

int host__copy_out(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
    if (out == NULL || out_len == NULL)
        return HOST_ERR_ARG;
    if (n > cap)
        return HOST_ERR_NOSPACE;
    if (n > 0)
        memmove(out, in, n);
    *out_len = n;
    return 0;
}

int host_gp_session_init(host_gp_session *s, int scp, uint8_t i, const host_gp_keys *keys,
                         const uint8_t *aid, size_t aid_len)
{
    if (s == NULL || keys == NULL || aid_len > sizeof s->aid || (aid == NULL && aid_len > 0))
        return HOST_ERR_ARG;
    memset(s, 0, sizeof *s);
    switch (scp) {
    case HOST_GP_SCP02:
        /* GP CS 2.3 E.1.1: i=15 and i=55 differ only in b7 (pseudo-random card
         * challenge). Other options (implicit initiation, MAC on the modified APDU,
         * ICV = MAC over AID) are not implemented. */
        if (keys->len != 16)
            return HOST_ERR_ARG;
        if (i != 0x15 && i != 0x55)
            return HOST_ERR_UNSUPPORTED;
        break;
    case HOST_GP_SCP03:
        if (keys->len != 16 && keys->len != 24 && keys->len != 32)
            return HOST_ERR_ARG;
        break;
    default:
        return HOST_ERR_UNSUPPORTED;
    }
    s->scp = scp;
    s->i = i;
    s->keys = *keys;
    if (aid_len > 0)
        memcpy(s->aid, aid, aid_len);
    s->aid_len = aid_len;
    s->state = HOST_GP_IDLE;
    return 0;
}

void host_gp_session_wipe(host_gp_session *s)
{
    host_wipe(s, s != NULL ? sizeof *s : 0);
}

int host_gp_init_update(host_gp_session *s, const uint8_t host_challenge[8], uint8_t *out,
                        size_t cap, size_t *out_len)
{
    if (s == NULL || host_challenge == NULL || out == NULL || out_len == NULL)
        return HOST_ERR_ARG;
    if (s->state != HOST_GP_IDLE)
        return HOST_ERR_STATE;
    if (cap < 14)
        return HOST_ERR_NOSPACE;
    /* GP CS 2.3 E.5.1.1 / Amendment D 7.1.1: CLA 80, INS 50, P1 key version number,
     * P2 00 (key identifier), host challenge, Le 00. */
    out[0] = 0x80;
    out[1] = 0x50;
    out[2] = s->keys.kvn;
    out[3] = 0x00;
    out[4] = 0x08;
    memcpy(out + 5, host_challenge, 8);
    out[13] = 0x00;
    memcpy(s->host_challenge, host_challenge, 8);
    *out_len = 14;
    s->state = HOST_GP_INIT_SENT;
    return 0;
}

static int sw_ok(const uint8_t *rsp, size_t rsp_len)
{
    return rsp[rsp_len - 2] == 0x90 && rsp[rsp_len - 1] == 0x00;
}

int host_gp_open(host_gp_session *s, const uint8_t *rsp, size_t rsp_len, uint8_t level,
                 uint8_t *out, size_t cap, size_t *out_len)
{
    int rc;

    if (s == NULL || rsp == NULL || out == NULL || out_len == NULL)
        return HOST_ERR_ARG;
    if (s->state != HOST_GP_INIT_SENT)
        return HOST_ERR_STATE;
    if (rsp_len < 2)
        return HOST_ERR_PROTO;
    if (!sw_ok(rsp, rsp_len)) {
        s->state = HOST_GP_FAILED;
        return HOST_ERR_SW;
    }
    if (s->scp == HOST_GP_SCP02)
        rc = host__scp02_open(s, rsp, rsp_len - 2, level, out, cap, out_len);
    else
        rc = host__scp03_open(s, rsp, rsp_len - 2, level, out, cap, out_len);
    if (rc == HOST_ERR_CRYPTOGRAM || rc == HOST_ERR_CHALLENGE)
        s->state = HOST_GP_FAILED;
    else if (rc == 0)
        s->state = HOST_GP_AUTH_SENT;
    return rc;
}

int host_gp_confirm(host_gp_session *s, const uint8_t *rsp, size_t rsp_len)
{
    if (s == NULL || rsp == NULL)
        return HOST_ERR_ARG;
    if (s->state != HOST_GP_AUTH_SENT)
        return HOST_ERR_STATE;
    /* EXTERNAL AUTHENTICATE answers with a status word only (GP CS 2.3 E.5.2.4,
     * Amendment D 7.1.2.4); no R-MAC covers it. */
    if (rsp_len != 2) {
        s->state = HOST_GP_FAILED;
        return HOST_ERR_PROTO;
    }
    if (!sw_ok(rsp, rsp_len)) {
        s->state = HOST_GP_FAILED;
        return HOST_ERR_SW;
    }
    s->state = HOST_GP_OPEN;
    return 0;
}

int host_gp_wrap(host_gp_session *s, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
                 size_t *out_len)
{
    host__apdu a;
    int rc;

    if (s == NULL || out == NULL || out_len == NULL)
        return HOST_ERR_ARG;
    if (s->state != HOST_GP_OPEN)
        return HOST_ERR_STATE;
    rc = host__apdu_parse(in, in_len, &a);
    if (rc != 0)
        return rc;
    if (s->scp == HOST_GP_SCP02)
        return host__scp02_wrap(s, &a, in, in_len, out, cap, out_len);
    return host__scp03_wrap(s, &a, in, in_len, out, cap, out_len);
}

int host_gp_unwrap(host_gp_session *s, const uint8_t *rsp, size_t rsp_len, uint8_t *out, size_t cap,
                   size_t *out_len)
{
    int rc;

    if (s == NULL || rsp == NULL || out == NULL || out_len == NULL)
        return HOST_ERR_ARG;
    if (s->state != HOST_GP_OPEN)
        return HOST_ERR_STATE;
    if (rsp_len < 2)
        return HOST_ERR_PROTO;
    if (s->scp == HOST_GP_SCP02)
        rc = host__scp02_unwrap(s, rsp, rsp_len, out, cap, out_len);
    else
        rc = host__scp03_unwrap(s, rsp, rsp_len, out, cap, out_len);
    /* A response that fails its integrity check ends the channel, as it does on the
     * card side (GP CS 2.3 E.4.5, Amendment D 6.2.5). */
    if (rc == HOST_ERR_RMAC || rc == HOST_ERR_PROTO || rc == HOST_ERR_PADDING)
        s->state = HOST_GP_FAILED;
    return rc;
}
