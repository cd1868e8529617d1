/*
 * obol termsim tests: shared helpers (tt.h).
 */
#include "tt.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "obol/cos_profile.h"
#include "obol/host_crypto.h"
#include "obol/obol_rom.h"

const uint8_t tt_mpk01[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
                              0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10};
const uint8_t tt_mlk01[16] = {0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
                              0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44};
const uint8_t tt_mtk01[16] = {0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
                              0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66};
const uint8_t tt_mmk01[16] = {0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77,
                              0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88};

static const uint8_t purse_aid[] = {0xA0, 0x00, 0x00, 0x00, 0x03, 0x86, 0x98, 0x07, 0x01};

void tt_card_open(tt_card *c, const char *name, uint64_t serial, const char *image)
{
    cos_card_config cfg;
    char path[512], err[256];
    int rc, fresh = 1;

    memset(c, 0, sizeof *c);
    if (image != NULL) {
        fresh = access(image, F_OK) != 0;
        rc = cos_host_open_file(&c->host, image, 8192, 64, serial ^ 0x5EED);
    } else {
        rc = cos_host_open_mem(&c->host, 8192, 64, serial ^ 0x5EED);
    }
    cr_assert_eq(rc, 0, "cos_host_open: %d", rc);
    cos_host_config(&c->host, obol_rom_classes, obol_rom_nclasses, &cfg);
    cr_assert_eq(cos_card_attach(&c->card, &cfg), 0);
    if (fresh) {
        if (strchr(name, '/') != NULL)
            snprintf(path, sizeof path, "%s", name);
        else
            snprintf(path, sizeof path, "%s/%s.profile", term_sim_profile_dir(), name);
        rc = cos_profile_apply(&c->card, path, serial, err, sizeof err);
        cr_assert_eq(rc, 0, "profile %s: %s (%d)", path, err, rc);
    }
    c->serial = serial;
}

void tt_card_close(tt_card *c)
{
    cos_power_off(&c->card);
    cos_host_close(&c->host);
}

static uint16_t tx(tt_card *c, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen)
{
    uint8_t buf[300];
    size_t n = 0;

    cr_assert_eq(cos_transmit(&c->card, 0, cmd, len, buf, sizeof buf, &n), 0);
    cr_assert_geq(n, 2);
    if (rsp != NULL)
        memcpy(rsp, buf, n - 2);
    if (rlen != NULL)
        *rlen = n - 2;
    return (uint16_t)(buf[n - 2] << 8 | buf[n - 1]);
}

static void select_purse(tt_card *c, uint8_t serial[8])
{
    uint8_t cmd[32] = {0x00, 0xA4, 0x04, 0x00, sizeof purse_aid}, r[64];
    uint8_t atr[64];
    size_t n;

    cos_power_off(&c->card);
    cr_assert_eq(cos_power_on(&c->card, COS_IF_CONTACTLESS, 0, atr, sizeof atr, &n), 0);
    memcpy(cmd + 5, purse_aid, sizeof purse_aid);
    cmd[5 + sizeof purse_aid] = 0;
    cr_assert_eq(tx(c, cmd, 6 + sizeof purse_aid, NULL, NULL), 0x9000);
    cr_assert_eq(tx(c, (const uint8_t *)"\x00\xB0\x95\x00\x1E", 5, r, &n), 0x9000);
    if (serial != NULL)
        memcpy(serial, r + 12, 8);
}

void tt_card_fund(tt_card *c, uint32_t amount)
{
    uint8_t cmd[32] = {0x80, 0x50, 0x00, 0x02, 0x0B, 0x01}, r[32], serial[8], dlk[16], seslk[8];
    uint8_t tid[6] = {0, 0, 0, 0, 0, 1}, mac2[4];
    host_pboc_load l;
    size_t n;

    select_purse(c, serial);
    cmd[6] = (uint8_t)(amount >> 24);
    cmd[7] = (uint8_t)(amount >> 16);
    cmd[8] = (uint8_t)(amount >> 8);
    cmd[9] = (uint8_t)amount;
    memcpy(cmd + 10, tid, 6);
    cmd[16] = 0x10;
    cr_assert_eq(tx(c, cmd, 17, r, &n), 0x9000);
    memset(&l, 0, sizeof l);
    l.old_balance = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
    l.online_counter = (uint16_t)(r[4] << 8 | r[5]);
    l.amount = amount;
    l.type = HOST_PBOC_EP_LOAD;
    memcpy(l.terminal_id, tid, 6);
    memcpy(l.date, "\x20\x26\x11\x21", 4);
    memcpy(l.time, "\x07\x00\x00", 3);
    cr_assert_eq(host_pboc_diversify(tt_mlk01, serial, dlk), 0);
    cr_assert_eq(host_pboc_seslk(dlk, r + 8, l.online_counter, seslk), 0);
    cr_assert_eq(host_pboc_load_mac2(seslk, &l, mac2), 0);
    memcpy(cmd, "\x80\x52\x00\x00\x0B", 5);
    memcpy(cmd + 5, l.date, 4);
    memcpy(cmd + 9, l.time, 3);
    memcpy(cmd + 12, mac2, 4);
    cmd[16] = 0x04;
    cr_assert_eq(tx(c, cmd, 17, r, &n), 0x9000);
    cos_power_off(&c->card);
}

uint32_t tt_card_balance(tt_card *c)
{
    uint8_t r[8];
    size_t n;
    uint32_t b;

    select_purse(c, NULL);
    cr_assert_eq(tx(c, (const uint8_t *)"\x80\x5C\x00\x02\x04", 5, r, &n), 0x9000);
    b = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
    cos_power_off(&c->card);
    return b;
}

void tt_term_open(tt_term *x, const term_config *cfg, uint64_t psam_serial, term_store *store)
{
    tt_term_open_img(x, cfg, psam_serial, NULL, store);
}

void tt_term_open_img(tt_term *x, const term_config *cfg, uint64_t psam_serial,
                      const char *psam_image, term_store *store)
{
    int rc;

    memset(x, 0, sizeof *x);
    tt_card_open(&x->psam, "term-psam", psam_serial, psam_image);
    term_simreader_init(&x->card_rd, "card", TERM_IF_CONTACTLESS);
    term_simreader_init(&x->psam_rd, "psam", TERM_IF_CONTACT);
    term_simreader_insert(&x->psam_rd, &x->psam.card);
    x->cfg = *cfg;
    if (cfg->kind == TERM_STB)
        x->card_rd.base.iface = TERM_IF_CONTACT;
    x->cfg.card = &x->card_rd.base;
    x->cfg.psam = &x->psam_rd.base;
    x->cfg.store = store;
    if (x->cfg.utc_offset_min == 0)
        x->cfg.utc_offset_min = TT_BEIJING;
    rc = term_open(&x->cfg, TT_T0, &x->t);
    cr_assert_eq(rc, 0, "term_open: %s", term_strerror(rc));
}

void tt_term_restart(tt_term *x)
{
    int rc;

    term_close(x->t);
    x->t = NULL;
    rc = term_open(&x->cfg, TT_T0, &x->t);
    cr_assert_eq(rc, 0, "term_open: %s", term_strerror(rc));
}

void tt_term_close(tt_term *x)
{
    term_close(x->t);
    tt_card_close(&x->psam);
}

void tt_fare_metro(host_fare_table *ft)
{
    static const uint32_t z[3][3] = {{200, 300, 500}, {300, 200, 400}, {500, 400, 300}};

    memset(ft, 0, sizeof *ft);
    ft->operator_id = TT_METRO;
    ft->kind = HOST_FARE_ZONE;
    ft->max_fare = 800;
    ft->n_zones = 3;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            ft->zone_fares[i][j] = z[i][j];
    /* stations 101, 102 in zone 0; 103 in zone 1; 104 in zone 2 */
    ft->n_stations = 4;
    for (int i = 0; i < 4; i++) {
        ft->stations[i].id = (uint16_t)(101 + i);
        ft->stations[i].zone = (uint8_t)(i < 2 ? 0 : i - 1);
    }
    ft->n_discounts = 2;
    ft->discounts[0].card_type = 1; /* student: half fare */
    ft->discounts[0].percent_paid = 50;
    ft->discounts[1].card_type = 2; /* senior: free */
    ft->discounts[1].percent_paid = 0;
    ft->n_transfers = 1;
    ft->transfers[0].from_operator = TT_BUS;
    ft->transfers[0].window_min = 60;
    ft->transfers[0].discount = 100;
}

void tt_fare_bus(host_fare_table *ft)
{
    memset(ft, 0, sizeof *ft);
    ft->operator_id = TT_BUS;
    ft->kind = HOST_FARE_ZONE;
    ft->max_fare = 200;
    ft->n_zones = 1;
    ft->zone_fares[0][0] = 200;
    ft->n_stations = 3;
    for (int i = 0; i < 3; i++)
        ft->stations[i].id = (uint16_t)(1 + i);
    ft->n_discounts = 1;
    ft->discounts[0].card_type = 1;
    ft->discounts[0].percent_paid = 50;
    ft->n_transfers = 1;
    ft->transfers[0].from_operator = TT_METRO;
    ft->transfers[0].window_min = 60;
    ft->transfers[0].discount = 100;
}

void tt_install_fare(term *t, const host_fare_table *ft, uint32_t version)
{
    uint8_t buf[8192];
    size_t n;

    cr_assert_eq(host_fare_encode(ft, buf, sizeof buf, &n), 0);
    cr_assert_eq(term_install_params(t, HOST_PARAM_FARE, version, buf, n), 0);
}

int tt_block_mac(void *ctx, const uint8_t serial[8], const uint8_t issuer[8],
                 const uint8_t *challenge, size_t chlen, const uint8_t *data, size_t len,
                 uint8_t mac[4])
{
    uint8_t key[16], icv[8] = {0}, m[8];
    int rc;

    (void)ctx;
    (void)issuer;
    /* The card OS's line protection with a 16-byte key: ISO/IEC 9797-1 algorithm 3,
     * ICV = the challenge padded with zeros (cardsim/src/sec.c). */
    memcpy(icv, challenge, chlen < 8 ? chlen : 8);
    rc = host_pboc_diversify(tt_mmk01, serial, key);
    if (rc == 0)
        rc = host_mac_alg3(key, icv, data, len, m);
    host_wipe(key, sizeof key);
    if (rc == 0)
        memcpy(mac, m, 4);
    return rc;
}

int tt_pin_ok(void *ctx, uint64_t serial, uint8_t *pin, size_t cap, size_t *len)
{
    (void)ctx;
    (void)serial;
    if (cap < 3)
        return -1;
    memcpy(pin, "\x12\x34\x56", 3);
    *len = 3;
    return 0;
}

void tt_expect_tac(const host_txn *r)
{
    uint8_t serial[8], dtk[16];

    for (int i = 0; i < 8; i++)
        serial[i] = (uint8_t)(r->serial >> (56 - 8 * i));
    cr_assert_eq(host_pboc_diversify(tt_mtk01, serial, dtk), 0);
    if (r->type == HOST_PBOC_EP_LOAD || r->type == HOST_PBOC_ED_LOAD) {
        host_pboc_load l;
        memset(&l, 0, sizeof l);
        l.old_balance = r->balance_before;
        l.amount = r->amount;
        l.online_counter = r->counter;
        l.type = r->type;
        for (int i = 0; i < 6; i++)
            l.terminal_id[i] = (uint8_t)(r->terminal >> (40 - 8 * i));
        memcpy(l.date, r->date, 4);
        memcpy(l.time, r->time, 3);
        cr_expect_eq(host_pboc_load_tac_verify(dtk, &l, r->tac), 0, "load TAC");
    } else {
        host_pboc_purchase p;
        memset(&p, 0, sizeof p);
        p.amount = r->amount;
        p.type = r->type;
        for (int i = 0; i < 6; i++)
            p.terminal_id[i] = (uint8_t)(r->terminal >> (40 - 8 * i));
        p.ttn = r->ttn;
        memcpy(p.date, r->date, 4);
        memcpy(p.time, r->time, 3);
        cr_expect_eq(host_pboc_purchase_tac_verify(dtk, &p, r->tac), 0, "purchase TAC");
    }
}

/* ---- the fake host -------------------------------------------------------------------- */

void tt_host_init(tt_host *h)
{
    memset(h, 0, sizeof *h);
}

void tt_host_free(tt_host *h)
{
    free(h->reply);
    h->reply = NULL;
}

static void put_reply(tt_host *h, size_t cap)
{
    free(h->reply);
    h->reply = malloc(cap);
    cr_assert_not_null(h->reply);
}

static void serve_batch(tt_host *h, const host_msg *m)
{
    host_msg_batch_ack a;
    uint32_t i;

    memset(&a, 0, sizeof a);
    a.terminal = m->u.batch.terminal;
    a.seq = m->u.batch.seq;
    a.records = (uint16_t)m->u.batch.count;
    a.status = HOST_ACK_ACCEPTED;
    for (i = 0; i < h->seen_n; i++)
        if (h->seen_seq[i] == a.seq && h->seen_term[i] == a.terminal)
            a.status = HOST_ACK_REPEATED;
    if (a.status == HOST_ACK_ACCEPTED) {
        cr_assert_lt(h->seen_n, 64);
        h->seen_seq[h->seen_n] = a.seq;
        h->seen_term[h->seen_n++] = a.terminal;
        h->batches++;
        h->records += m->u.batch.count;
        for (i = 0; i < m->u.batch.count; i++) {
            host_txn r;
            cr_assert_eq(host_proto_batch_txn(m, i, &r), 0);
            tt_expect_tac(&r);
        }
    } else {
        h->repeats++;
    }
    a.accepted = a.records;
    put_reply(h, host_proto_ack_size(0));
    cr_assert_eq(
        host_proto_encode_ack(m->id, &a, NULL, 0, h->reply, host_proto_ack_size(0), &h->reply_len),
        0);
}

static void serve_load(tt_host *h, const host_msg *m)
{
    const host_msg_load_req *q = &m->u.load_req;
    host_msg_load_reply r;
    host_pboc_load l;
    uint8_t serial[8], dlk[16], seslk[8];

    memset(&r, 0, sizeof r);
    r.serial = q->serial;
    r.online_counter = q->online_counter;
    for (int i = 0; i < 8; i++)
        serial[i] = (uint8_t)(q->serial >> (56 - 8 * i));
    memset(&l, 0, sizeof l);
    l.old_balance = q->old_balance;
    l.amount = q->amount;
    l.online_counter = q->online_counter;
    l.type = q->type;
    for (int i = 0; i < 6; i++)
        l.terminal_id[i] = (uint8_t)(q->terminal >> (40 - 8 * i));
    memcpy(l.date, q->date, 4);
    memcpy(l.time, q->time, 3);
    cr_assert_eq(host_pboc_diversify(tt_mlk01, serial, dlk), 0);
    cr_assert_eq(host_pboc_seslk(dlk, q->random, q->online_counter, seslk), 0);
    if (host_pboc_load_mac1_verify(seslk, &l, q->mac1) == 0 &&
        host_pboc_load_mac2(seslk, &l, r.mac2) == 0) {
        r.status = HOST_LOAD_APPROVED;
        h->loads++;
    } else {
        r.status = HOST_LOAD_DECLINED;
        r.reason = HOST_REASON_BAD_MAC1;
    }
    put_reply(h, 64);
    cr_assert_eq(host_proto_encode_load_reply(m->id, &r, h->reply, 64, &h->reply_len), 0);
}

static void serve_param(tt_host *h, const host_msg *m)
{
    host_msg_param_reply r;
    const uint8_t *p = m->u.param_req.kind == HOST_PARAM_FARE ? h->fare : h->params;
    size_t len = m->u.param_req.kind == HOST_PARAM_FARE ? h->fare_len : h->params_len;
    uint32_t v = m->u.param_req.kind == HOST_PARAM_FARE ? h->fare_version : h->params_version;

    memset(&r, 0, sizeof r);
    r.kind = m->u.param_req.kind;
    r.version = v;
    if (v == 0) {
        r.status = 1;
        r.reason = HOST_REASON_NOT_FOUND;
        len = 0;
    } else if (m->u.param_req.have_version == v) {
        r.current = 1;
        len = 0;
    }
    put_reply(h, host_proto_param_reply_size(len));
    cr_assert_eq(host_proto_encode_param_reply(m->id, &r, p, len, h->reply,
                                               host_proto_param_reply_size(len), &h->reply_len),
                 0);
}

static void serve_bl(tt_host *h, const host_msg *m)
{
    host_msg_bl_reply r;
    size_t n = h->bl_n;

    memset(&r, 0, sizeof r);
    r.to_version = h->bl_version;
    if (m->u.bl_req.have_version == h->bl_version) {
        r.kind = HOST_BL_CURRENT;
        n = 0;
    } else {
        r.kind = HOST_BL_LIST;
    }
    r.count = (uint32_t)n;
    put_reply(h, host_proto_bl_reply_size(n));
    cr_assert_eq(host_proto_encode_bl_reply(m->id, &r, h->bl, n, h->reply,
                                            host_proto_bl_reply_size(n), &h->reply_len),
                 0);
}

int tt_host_link(void *ctx, const uint8_t *req, size_t len, const uint8_t **rsp, size_t *rsplen)
{
    tt_host *h = ctx;
    host_msg m;
    int reason;

    if (h->drop_requests > 0) {
        h->drop_requests--;
        return TERM_ERR_OFFLINE;
    }
    cr_assert_eq(host_proto_decode(req, len, &m, &reason), 0, "bad request, reason %d", reason);
    switch (m.type) {
    case HOST_MSG_BATCH:
        serve_batch(h, &m);
        break;
    case HOST_MSG_LOAD_REQ:
        serve_load(h, &m);
        break;
    case HOST_MSG_PARAM_REQ:
        serve_param(h, &m);
        break;
    case HOST_MSG_BL_REQ:
        serve_bl(h, &m);
        break;
    default:
        cr_assert_fail("unexpected request type %d", m.type);
    }
    if (h->drop_replies > 0) {
        h->drop_replies--;
        return TERM_ERR_OFFLINE;
    }
    *rsp = h->reply;
    *rsplen = h->reply_len;
    return 0;
}
