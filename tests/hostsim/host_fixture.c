/*
 * obol tests: the platform fixture and the host_crypto "card" (host_fixture.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "host_fixture.h"
#include "obol/host_crypto.h"
#include "obol/host_term.h"

/* TEST keys: values from nowhere but this file; labelled TEST in the store. */
const uint8_t FX_MPK[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
                            0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10};
const uint8_t FX_MLK[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                            0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11};
const uint8_t FX_MTK[16] = {0x0F, 0x1E, 0x2D, 0x3C, 0x4B, 0x5A, 0x69, 0x78,
                            0x87, 0x96, 0xA5, 0xB4, 0xC3, 0xD2, 0xE1, 0xF0};
const uint8_t FX_KMC[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                            0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
const uint8_t FX_STORAGE_KEY[32] = {'o', 'b', 'o', 'l', ' ', 'T', 'E', 'S', 'T', ' ', 's',
                                    't', 'o', 'r', 'a', 'g', 'e', ' ', 'k', 'e', 'y', 0};

void fx_open_bare(fx *f, const host_db_options *opt)
{
    int rc;

    rc = host_db_open(f->path, opt, &f->db);
    cr_assert_eq(rc, 0, "host_db_open: %s", host_strerror(rc));
    rc = host_hsm_open(f->db, FX_STORAGE_KEY, &f->hsm);
    cr_assert_eq(rc, 0, "host_hsm_open: %s", host_strerror(rc));
    cr_assert_eq(host_server_new(f->db, f->hsm, &f->srv), 0);
}

static void add_key(fx *f, uint8_t usage, uint8_t version, const uint8_t key[16])
{
    host_key_id id = {FX_ISSUER, HOST_INDUSTRY_TRANSIT, usage, version};
    int rc = host_hsm_key_import(f->hsm, &id, 1, "TEST key (obol fixture)", key, NULL);

    cr_assert_eq(rc, 0, "key import: %s", host_strerror(rc));
}

static void add_terminal(fx *f, uint64_t id, uint32_t op, uint8_t kind, uint16_t station)
{
    host_terminal t;

    memset(&t, 0, sizeof t);
    t.id = id;
    t.operator_id = op;
    t.kind = kind;
    t.station = station;
    t.param_set = op;
    t.in_service = 1;
    cr_assert_eq(host_terminal_add(f->db, &t), 0);
}

void fx_open(fx *f, const host_db_options *opt)
{
    memset(f, 0, sizeof *f);
    strcpy(f->dir, "/tmp/obol-host-XXXXXX");
    cr_assert_not_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/platform.db", f->dir);
    fx_open_bare(f, opt);
    /* A fixed clock: 2026-11-22 08:30:00 UTC. */
    host_db_set_time(f->db, 1795336200);
    cr_assert_eq(host_issuer_add(f->db, FX_ISSUER, "TEST city", FX_PREFIX), 0);
    add_key(f, HOST_KEY_PURCHASE, 1, FX_MPK);
    add_key(f, HOST_KEY_LOAD, 1, FX_MLK);
    add_key(f, HOST_KEY_TAC, 1, FX_MTK);
    add_key(f, HOST_KEY_GP, FX_KVN, FX_KMC);
    cr_assert_eq(host_operator_add(f->db, FX_METRO, "TEST metro"), 0);
    cr_assert_eq(host_operator_add(f->db, FX_BUSCO, "TEST bus"), 0);
    add_terminal(f, FX_GATE_A, FX_METRO, HOST_TERM_GATE, 101);
    add_terminal(f, FX_GATE_B, FX_METRO, HOST_TERM_GATE, 102);
    add_terminal(f, FX_BUS, FX_BUSCO, HOST_TERM_BUS, 0);
    add_terminal(f, FX_LOADER, FX_METRO, HOST_TERM_LOAD, 101);
}

void fx_close_handles(fx *f)
{
    host_server_free(f->srv);
    host_hsm_close(f->hsm);
    host_db_close(f->db);
    f->srv = NULL;
    f->hsm = NULL;
    f->db = NULL;
}

void fx_close(fx *f)
{
    char p[200];

    fx_close_handles(f);
    unlink(f->path);
    snprintf(p, sizeof p, "%s-wal", f->path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", f->path);
    unlink(p);
    rmdir(f->dir);
}

void fx_card_issue(fx *f, fx_card *c, uint8_t type, uint32_t balance)
{
    host_issue_req req;
    int rc;

    memset(c, 0, sizeof *c);
    memset(&req, 0, sizeof req);
    req.issuer = FX_ISSUER;
    req.industry = HOST_INDUSTRY_TRANSIT;
    req.card_type = type;
    req.key_version = 1;
    req.gp_kvn = FX_KVN;
    req.initial_balance = balance;
    req.max_balance = 100000;
    req.expiry = 20301231;
    rc = host_issue_card(f->db, f->hsm, &req, &c->p);
    cr_assert_eq(rc, 0, "issue: %s", host_strerror(rc));
    cr_assert_eq(host_card_set_state(f->db, c->p.serial, HOST_CARD_ACTIVE, 0), 0);
    c->balance = balance;
}

static void be(uint8_t *p, uint64_t v, int n)
{
    int i;

    for (i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

void fx_card_purchase(fx_card *c, uint64_t terminal, uint32_t op, uint32_t ttn, uint32_t amount,
                      uint8_t type, uint32_t date, uint32_t time, host_txn *out)
{
    host_pboc_purchase p;

    cr_assert_geq(c->balance, amount, "test card has no funds");
    memset(&p, 0, sizeof p);
    p.amount = amount;
    p.type = type;
    be(p.terminal_id, terminal, 6);
    p.ttn = ttn;
    cr_assert_eq(host_date_bcd(date, p.date), 0);
    cr_assert_eq(host_time_bcd(time, p.time), 0);
    memset(out, 0, sizeof *out);
    cr_assert_eq(host_pboc_purchase_tac(c->p.keys.dtk, &p, out->tac), 0);
    out->serial = c->p.serial;
    out->card_type = c->p.card_type;
    out->type = type;
    out->counter = c->offline;
    out->amount = amount;
    out->terminal = terminal;
    out->ttn = ttn;
    memcpy(out->date, p.date, 4);
    memcpy(out->time, p.time, 3);
    out->balance_before = c->balance;
    out->balance_after = c->balance - amount;
    out->key_version = c->p.keys.version;
    out->operator_id = op;
    if (type == HOST_PBOC_CAPP_PURCHASE) {
        out->entry_station = 101;
        out->exit_station = 102;
    }
    c->balance -= amount;
    c->offline++;
}

int fx_card_load(fx *f, fx_card *c, uint64_t terminal, uint32_t op, uint32_t ttn, uint32_t amount,
                 uint32_t date, uint32_t time, host_txn *out, uint8_t *reason)
{
    host_msg_load_req q;
    host_pboc_load l;
    host_msg reply;
    uint8_t seslk[8], mac2[4], frame[128], *raw = NULL;
    size_t n;

    memset(&l, 0, sizeof l);
    l.old_balance = c->balance;
    l.amount = amount;
    l.online_counter = c->online;
    l.type = HOST_PBOC_EP_LOAD;
    be(l.terminal_id, terminal, 6);
    cr_assert_eq(host_date_bcd(date, l.date), 0);
    cr_assert_eq(host_time_bcd(time, l.time), 0);

    memset(&q, 0, sizeof q);
    q.terminal = terminal;
    q.serial = c->p.serial;
    q.type = l.type;
    q.key_version = c->p.keys.version;
    /* The card's random: any 4 bytes; a function of the counter keeps runs equal. */
    be(q.random, 0x5A000000u | ((uint32_t)c->online << 8) | (c->p.serial & 0xFF), 4);
    q.online_counter = c->online;
    q.old_balance = c->balance;
    q.amount = amount;
    memcpy(q.date, l.date, 4);
    memcpy(q.time, l.time, 3);
    q.ttn = ttn;
    q.operator_id = op;
    cr_assert_eq(host_pboc_seslk(c->p.keys.dlk, q.random, c->online, seslk), 0);
    cr_assert_eq(host_pboc_load_mac1(seslk, &l, q.mac1), 0);
    cr_assert_eq(host_proto_encode_load_req(7, &q, frame, sizeof frame, &n), 0);
    fx_call(f, frame, n, &reply, &raw);
    cr_assert_eq(reply.type, HOST_MSG_LOAD_REPLY);
    cr_assert_eq(reply.id, 7u);
    cr_assert_eq(reply.u.load_reply.serial, c->p.serial);
    if (reason != NULL)
        *reason = reply.u.load_reply.reason;
    if (reply.u.load_reply.status != HOST_LOAD_APPROVED) {
        free(raw);
        return reply.u.load_reply.status;
    }
    /* CREDIT FOR LOAD: the card checks MAC2 before it credits. */
    cr_assert_eq(host_pboc_load_mac2(seslk, &l, mac2), 0);
    cr_assert_arr_eq(mac2, reply.u.load_reply.mac2, 4, "MAC2 from the host does not verify");
    free(raw);

    memset(out, 0, sizeof *out);
    cr_assert_eq(host_pboc_load_tac(c->p.keys.dtk, &l, out->tac), 0);
    out->serial = c->p.serial;
    out->card_type = c->p.card_type;
    out->type = l.type;
    out->counter = c->online;
    out->amount = amount;
    out->terminal = terminal;
    out->ttn = ttn;
    memcpy(out->date, l.date, 4);
    memcpy(out->time, l.time, 3);
    out->balance_before = c->balance;
    out->balance_after = c->balance + amount;
    out->key_version = c->p.keys.version;
    out->operator_id = op;
    c->balance += amount;
    c->online++;
    return HOST_LOAD_APPROVED;
}

void fx_call(fx *f, const uint8_t *req, size_t len, host_msg *reply, uint8_t **raw)
{
    size_t n;
    int rc, reason;

    rc = host_server_handle(f->srv, req, len, raw, &n);
    cr_assert_eq(rc, 0, "server: %s (%s)", host_strerror(rc), host_db_errmsg(f->db));
    cr_assert_not_null(*raw);
    rc = host_proto_decode(*raw, n, reply, &reason);
    cr_assert_eq(rc, 0, "reply does not decode: %s", host_reason_name(reason));
}

uint8_t *fx_batch_frame(uint64_t terminal, uint32_t seq, const host_txn *t, size_t n, size_t *len)
{
    host_msg_batch b;
    size_t cap = host_proto_batch_size(n);
    uint8_t *buf = malloc(cap);

    cr_assert_not_null(buf);
    memset(&b, 0, sizeof b);
    b.terminal = terminal;
    b.seq = seq;
    cr_assert_eq(host_proto_encode_batch(1000 + seq, &b, t, n, buf, cap, len), 0);
    return buf;
}
