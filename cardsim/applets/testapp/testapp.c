/* obol test applet (see testapp.h). */
#include "testapp.h"

#include <string.h>

#define SW(x)       ((int)(x))
#define RAM_SELECTS 0
#define RAM_DATA    8

static int install(cos_ctx *x, const uint8_t *p, size_t len)
{
    cos_obj o;
    int rc = cos_obj_create(x, 0x0001, (uint16_t)len, &o);
    if (rc == 0 && len)
        rc = cos_obj_write(x, &o, 0, p, (uint16_t)len);
    if (rc < 0)
        return rc;
    cos_ef_spec log = {0x0101, 1, COS_EF_CYCLIC, COS_AC_ALWAYS, COS_AC_NEVER, 0, 8, 4, NULL, 0};
    cos_ef_spec bin = {0x0102, 2, COS_EF_TRANSPARENT, COS_AC_ALWAYS, COS_AC_ALWAYS, 16, 0, 0,
                       NULL,   0};
    rc = cos_ef_create(x, &log, NULL);
    if (rc == 0)
        rc = cos_ef_create(x, &bin, NULL);
    return rc;
}

static int select_(cos_ctx *x)
{
    /* RAM is zeroed at each selection, so this counts selections since the last one
     * on this channel: always 1 after select, unless RAM leaked. */
    x->ram[RAM_SELECTS]++;
    return 0;
}

static int fw_result(int rc)
{
    return rc == COS_ERR_ACCESS ? SW(COS_SW_SECURITY) : rc;
}

static int put(cos_ctx *x, const cos_apdu *a)
{
    uint16_t id = (uint16_t)(a->p1 << 8 | a->p2);
    cos_obj o;
    int rc = cos_obj_open(x, id, &o);

    if (a->nc == 0)
        return SW(COS_SW_WRONG_LENGTH);
    if (rc == 0 && o.len != a->nc)
        return SW(COS_SW_WRONG_DATA);
    if ((rc = cos_txn_begin(x)) < 0)
        return rc;
    if (cos_obj_open(x, id, &o) == COS_ERR_NOT_FOUND)
        rc = cos_obj_create(x, id, a->nc, &o);
    if (rc == 0)
        rc = cos_obj_write(x, &o, 0, a->data, a->nc);
    if (rc < 0)
        return rc; /* the OS aborts the transaction */
    rc = cos_txn_commit(x);
    return rc < 0 ? rc : SW(COS_SW_OK);
}

static int get(cos_ctx *x, const cos_apdu *a, cos_resp *r)
{
    uint8_t buf[256];
    cos_obj o;
    int rc = cos_obj_open(x, (uint16_t)(a->p1 << 8 | a->p2), &o);

    if (rc == COS_ERR_NOT_FOUND)
        return SW(COS_SW_REF_NOT_FOUND);
    if (rc < 0)
        return rc;
    if (o.len > sizeof buf)
        return COS_ERR_BUFFER;
    rc = cos_obj_read(x, &o, 0, buf, o.len);
    if (rc == 0)
        rc = cos_resp_put(r, buf, o.len);
    return rc < 0 ? rc : SW(COS_SW_OK);
}

static int peek(cos_ctx *x, const cos_apdu *a, cos_resp *r)
{
    uint8_t buf[4];
    int rc;

    if (a->nc != 2)
        return SW(COS_SW_WRONG_LENGTH);
    if (a->ins == 0x14) {
        cos_obj o = {(cos_oid)(a->data[0] << 8 | a->data[1]), 1};
        rc = cos_obj_read(x, &o, 0, buf, 1);
        if (rc == 0)
            return cos_resp_put(r, buf, 1) < 0 ? COS_ERR_BUFFER : SW(COS_SW_OK);
    } else {
        cos_ef e = {(cos_oid)(a->data[0] << 8 | a->data[1]), COS_EF_TRANSPARENT, 0, 0, 0, 16};
        rc = cos_ef_read(x, &e, 0, buf, 4);
    }
    if (rc < 0)
        return fw_result(rc);
    rc = cos_resp_put(r, buf, 4);
    return rc < 0 ? rc : SW(COS_SW_OK);
}

static int txn(cos_ctx *x, const cos_apdu *a)
{
    cos_obj o;
    uint8_t v;
    int rc;

    if (a->nc != 1)
        return SW(COS_SW_WRONG_LENGTH);
    v = a->data[0];
    rc = cos_obj_open(x, a->p2, &o);
    if (rc == COS_ERR_NOT_FOUND)
        rc = cos_obj_create(x, a->p2, 2, &o);
    if (rc == 0)
        rc = cos_txn_begin(x);
    if (rc == 0)
        rc = cos_obj_write(x, &o, 0, &v, 1);
    if (rc == 0)
        rc = cos_obj_write(x, &o, 1, &v, 1);
    if (rc < 0)
        return rc;
    switch (a->p1) {
    case 0:
        rc = cos_txn_commit(x);
        break;
    case 1:
        rc = cos_txn_abort(x);
        break;
    case 2:
        return SW(COS_SW_OK);
    default:
        return COS_ERR_APPLET;
    }
    return rc < 0 ? rc : SW(COS_SW_OK);
}

static int credit(cos_ctx *x, const cos_apdu *a, cos_resp *r)
{
    uint8_t bal[4], rec[8];
    uint32_t v;
    cos_obj o;
    cos_ef log;
    int rc;

    if (a->nc != 4)
        return SW(COS_SW_WRONG_LENGTH);
    /* Balance (created at the first credit) and log change together or not at all:
     * the PBOC pattern. The creation belongs inside the transaction too. */
    rc = cos_txn_begin(x);
    if (rc < 0)
        return rc;
    rc = cos_obj_open(x, 0x00C0, &o);
    if (rc == COS_ERR_NOT_FOUND)
        rc = cos_obj_create(x, 0x00C0, 4, &o);
    if (rc == 0)
        rc = cos_ef_open_sfi(x, 1, &log);
    if (rc == 0)
        rc = cos_obj_read(x, &o, 0, bal, 4);
    if (rc < 0)
        return rc; /* the OS aborts the open transaction */
    v = ((uint32_t)bal[0] << 24 | (uint32_t)bal[1] << 16 | (uint32_t)bal[2] << 8 | bal[3]) +
        ((uint32_t)a->data[0] << 24 | (uint32_t)a->data[1] << 16 | (uint32_t)a->data[2] << 8 |
         a->data[3]);
    bal[0] = (uint8_t)(v >> 24);
    bal[1] = (uint8_t)(v >> 16);
    bal[2] = (uint8_t)(v >> 8);
    bal[3] = (uint8_t)v;
    memcpy(rec, bal, 4);
    memcpy(rec + 4, a->data, 4);
    rc = cos_obj_write(x, &o, 0, bal, 4);
    if (rc == 0)
        rc = cos_ef_append_record(x, &log, rec, 8);
    if (rc == 0)
        rc = cos_txn_commit(x);
    if (rc == 0)
        rc = cos_resp_put(r, bal, 4);
    return rc < 0 ? rc : SW(COS_SW_OK);
}

static int process(cos_ctx *x, const cos_apdu *a, cos_resp *r)
{
    uint8_t aid[COS_AID_MAX];
    int rc;

    /* Proprietary class without secure messaging, on any channel (80-83). */
    if ((a->cla & 0xFC) != 0x80)
        return COS_PROCESS_OS;
    switch (a->ins) {
    case 0x10:
        return put(x, a);
    case 0x12:
        return get(x, a, r);
    case 0x14:
    case 0x16:
        return peek(x, a, r);
    case 0x18:
        if (a->nc == 0 || a->nc > COS_AID_MAX)
            return SW(COS_SW_WRONG_LENGTH);
        rc = cos_share_grant(x, a->data, a->nc, a->p1);
        return rc < 0 ? rc : SW(COS_SW_OK);
    case 0x1A:
        if (a->nc == 0 || a->nc > COS_AID_MAX)
            return SW(COS_SW_WRONG_LENGTH);
        rc = cos_share_call(x, a->data, a->nc, a->p1, (const uint8_t *)"hi", 2, r);
        if (rc == COS_ERR_NOT_FOUND)
            return SW(COS_SW_FILE_NOT_FOUND);
        return rc < 0 ? fw_result(rc) : rc == 0 ? SW(COS_SW_OK) : rc;
    case 0x1C:
        return txn(x, a);
    case 0x2E:
        return COS_ERR_APPLET;
    case 0x20:
        return credit(x, a, r);
    case 0x22:
        if (a->p1 == 0) {
            if (a->nc > COS_APPLET_RAM - RAM_DATA)
                return SW(COS_SW_WRONG_LENGTH);
            memcpy(x->ram + RAM_DATA, a->data, a->nc);
            return SW(COS_SW_OK);
        }
        rc = cos_resp_put(r, x->ram + RAM_DATA, 8);
        return rc < 0 ? rc : SW(COS_SW_OK);
    case 0x24:
        rc = cos_resp_u8(r, x->ram[RAM_SELECTS]);
        return rc < 0 ? rc : SW(COS_SW_OK);
    case 0x26:
        rc = cos_app_aid(x, aid);
        if (rc >= 0)
            rc = cos_resp_put(r, aid, (size_t)rc);
        return rc < 0 ? rc : SW(COS_SW_OK);
    default:
        return SW(COS_SW_INS_UNSUPPORTED);
    }
}

/* Interface 1: the server's data object 0001 (its install parameter) followed by the
 * client's AID, so the test sees both sides. */
static int share(cos_ctx *x, const uint8_t *client, size_t clen, uint8_t iface, const uint8_t *in,
                 size_t inlen, cos_resp *out)
{
    uint8_t b[16];
    cos_obj o;
    int rc;

    (void)in;
    (void)inlen;
    if (iface != 1)
        return SW(COS_SW_FUNC_UNSUPPORTED);
    rc = cos_obj_open(x, 0x0001, &o);
    if (rc == 0 && o.len <= sizeof b)
        rc = cos_obj_read(x, &o, 0, b, o.len);
    if (rc == 0)
        rc = cos_resp_put(out, b, o.len);
    if (rc == 0)
        rc = cos_resp_put(out, client, clen);
    return rc;
}

const cos_applet_class testapp_class = {
    TESTAPP_CLASS, 0, 0, NULL, "testapp", install, select_, NULL, process, NULL, share,
};
