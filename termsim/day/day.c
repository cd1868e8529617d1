/*
 * obol: the day in miniature (term_day.h): the platform, its terminals and cards, and
 * the day's events played through the terminal kernel. The checks are in day_check.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "day_internal.h"
#include "obol/cos_profile.h"
#include "obol/host_crypto.h"
#include "obol/host_issue.h"
#include "obol/host_param.h"
#include "obol/host_term.h"
#include "obol/obol_rom.h"

/* TEST KEYS: the values of profiles/test-keys.profile and termsim/profiles/term-keys.
 * They are published and protect nothing. */
static const uint8_t TEST_MPK01[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
                                       0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10};
static const uint8_t TEST_MPK02[16] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                       0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22};
static const uint8_t TEST_MLK01[16] = {0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
                                       0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44};
static const uint8_t TEST_MTK01[16] = {0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
                                       0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66};
static const uint8_t TEST_MMK01[16] = {0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77,
                                       0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88};

#define CARD_NVM 8192u

int day_fail(day *d, int rc, const char *fmt, ...)
{
    va_list ap;

    if (d->err != NULL && d->errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(d->err, d->errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static void logf_(day *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(day *d, const char *fmt, ...)
{
    va_list ap;

    if (d->o->log == NULL)
        return;
    va_start(ap, fmt);
    vfprintf(d->o->log, fmt, ap);
    va_end(ap);
    fputc('\n', d->o->log);
}

/* splitmix64: small, seeded, the same everywhere. */
static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned below(uint64_t *s, unsigned n)
{
    return (unsigned)(rnd(s) % n);
}

/* ---- the host link ------------------------------------------------------------------- */

static int link_call(void *ctx, const uint8_t *req, size_t len, const uint8_t **rsp, size_t *rsplen)
{
    day_link *l = ctx;
    size_t n = 0;
    int rc;

    free(l->reply);
    l->reply = NULL;
    rc = host_server_handle(l->srv, req, len, &l->reply, &n);
    if (l->reply == NULL)
        return rc == HOST_ERR_NOMEM ? TERM_ERR_NOMEM : TERM_ERR_OFFLINE;
    /* The acknowledgement of a batch is lost now and then: the host took the batch. */
    if (len > 3 && req[3] == HOST_MSG_BATCH && l->drop_per_mille &&
        below(&l->rng, 1000) < l->drop_per_mille) {
        l->dropped++;
        return TERM_ERR_OFFLINE;
    }
    *rsp = l->reply;
    *rsplen = n;
    return 0;
}

/* The security module's MAC for APPLICATION BLOCK: the card's maintenance key is
 * Div(TEST-MMK-01, serial); the card OS checks an ISO/IEC 9797-1 algorithm 3 MAC with
 * the challenge as ICV. */
static int block_mac(void *ctx, const uint8_t serial[8], const uint8_t issuer[8],
                     const uint8_t *challenge, size_t chlen, const uint8_t *data, size_t len,
                     uint8_t mac[4])
{
    uint8_t key[16], icv[8] = {0}, m[8];
    int rc;

    (void)ctx;
    (void)issuer;
    memcpy(icv, challenge, chlen < 8 ? chlen : 8);
    rc = host_pboc_diversify(TEST_MMK01, serial, key);
    if (rc == 0)
        rc = host_mac_alg3(key, icv, data, len, m);
    host_wipe(key, sizeof key);
    if (rc == 0)
        memcpy(mac, m, 4);
    return rc;
}

/* ---- cards ------------------------------------------------------------------------------ */

static int card_open(day *d, day_card *c, const char *profile, uint64_t serial)
{
    cos_card_config cfg;
    char path[512], msg[256];
    int rc;

    if ((rc = cos_host_open_mem(&c->host, CARD_NVM, 64, serial)) != 0)
        return day_fail(d, TERM_ERR_NOMEM, "card %016llx: no memory", (unsigned long long)serial);
    cos_host_config(&c->host, obol_rom_classes, obol_rom_nclasses, &cfg);
    if ((rc = cos_card_attach(&c->card, &cfg)) != 0)
        return day_fail(d, TERM_ERR_ARG, "card attach: %d", rc);
    snprintf(path, sizeof path, "%s/%s.profile", term_sim_profile_dir(), profile);
    if ((rc = cos_profile_apply(&c->card, path, serial, msg, sizeof msg)) != 0)
        return day_fail(d, TERM_ERR_ARG, "personalizing %016llx: %s", (unsigned long long)serial,
                        msg);
    c->serial = serial;
    return 0;
}

static uint16_t card_tx(day_card *c, const uint8_t *cmd, size_t len, uint8_t *r)
{
    uint8_t buf[300];
    size_t n = 0;

    if (cos_transmit(&c->card, 0, cmd, len, buf, sizeof buf, &n) != 0 || n < 2)
        return 0;
    if (r != NULL)
        memcpy(r, buf, n - 2);
    return (uint16_t)(buf[n - 2] << 8 | buf[n - 1]);
}

int day_card_balance(day_card *c, uint32_t *balance)
{
    static const uint8_t sel[] = {0x00, 0xA4, 0x04, 0x00, 0x09, 0xA0, 0x00, 0x00,
                                  0x00, 0x03, 0x86, 0x98, 0x07, 0x01, 0x00};
    uint8_t atr[64], r[16];
    size_t n;
    uint16_t sw;
    int rc = TERM_ERR_PROTO;

    cos_power_off(&c->card);
    if (cos_power_on(&c->card, COS_IF_CONTACTLESS, 0, atr, sizeof atr, &n) != 0)
        return TERM_ERR_READER;
    /* A blocked application answers SELECT with 6283 and refuses GET BALANCE: its
     * balance cannot be read (TERM_ERR_PROTO). */
    sw = card_tx(c, sel, sizeof sel, NULL);
    if (sw == 0x9000 && card_tx(c, (const uint8_t *)"\x80\x5C\x00\x02\x04", 5, r) == 0x9000) {
        *balance = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
        rc = 0;
    }
    cos_power_off(&c->card);
    return rc;
}

/* ---- the platform ---------------------------------------------------------------------- */

static int import_key(day *d, uint8_t usage, uint8_t version, uint8_t levels, const uint8_t *k)
{
    host_key_id id = {DAY_ISSUER, HOST_INDUSTRY_TRANSIT, usage, version};
    int rc = host_hsm_key_import(d->hsm, &id, levels, "TEST key (obol day)", k, NULL);

    return rc == 0 ? 0 : day_fail(d, rc, "key import: %s", host_strerror(rc));
}

static void fare_metro(host_fare_table *ft)
{
    static const uint32_t z[3][3] = {{200, 300, 500}, {300, 200, 400}, {500, 400, 300}};

    memset(ft, 0, sizeof *ft);
    ft->operator_id = OP_METRO;
    ft->kind = HOST_FARE_ZONE;
    ft->max_fare = 800;
    ft->n_zones = 3;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            ft->zone_fares[i][j] = z[i][j];
    ft->n_stations = 4;
    for (int i = 0; i < 4; i++) {
        ft->stations[i].id = (uint16_t)(101 + i);
        ft->stations[i].zone = (uint8_t)(i < 2 ? 0 : i - 1);
    }
    ft->n_discounts = 2;
    ft->discounts[0].card_type = 1;
    ft->discounts[0].percent_paid = 50;
    ft->discounts[1].card_type = 2;
    ft->discounts[1].percent_paid = 0;
    ft->n_transfers = 1;
    ft->transfers[0].from_operator = OP_BUS;
    ft->transfers[0].window_min = 60;
    ft->transfers[0].discount = 100;
}

static void fare_bus(host_fare_table *ft)
{
    memset(ft, 0, sizeof *ft);
    ft->operator_id = OP_BUS;
    ft->kind = HOST_FARE_ZONE;
    ft->max_fare = 200;
    ft->n_zones = 1;
    ft->zone_fares[0][0] = 200;
    ft->n_stations = 3;
    for (int i = 0; i < 3; i++)
        ft->stations[i].id = (uint16_t)(1 + i);
    ft->n_discounts = 2;
    ft->discounts[0].card_type = 1;
    ft->discounts[0].percent_paid = 50;
    ft->discounts[1].card_type = 2;
    ft->discounts[1].percent_paid = 0;
    ft->n_transfers = 1;
    ft->transfers[0].from_operator = OP_METRO;
    ft->transfers[0].window_min = 60;
    ft->transfers[0].discount = 100;
}

static const struct {
    const char *name;
    term_kind kind;
    uint16_t station;
    uint32_t op;
    uint8_t host_kind;
} TERMS[NTERMS] = {
    [T_IN1] = {"entry gate 101", TERM_GATE_ENTRY, 101, OP_METRO, HOST_TERM_GATE},
    [T_IN2] = {"entry gate 102", TERM_GATE_ENTRY, 102, OP_METRO, HOST_TERM_GATE},
    [T_OUT1] = {"exit gate 103", TERM_GATE_EXIT, 103, OP_METRO, HOST_TERM_GATE},
    [T_OUT2] = {"exit gate 104", TERM_GATE_EXIT, 104, OP_METRO, HOST_TERM_GATE},
    [T_BUS] = {"bus validator", TERM_BUS, 2, OP_BUS, HOST_TERM_BUS},
    [T_POS] = {"shop POS", TERM_POS, 0, OP_SHOP, HOST_TERM_POS},
};

static uint64_t psam_serial(int i)
{
    return 0x0000000000D00001ull + (uint64_t)i;
}

static int platform(day *d)
{
    uint8_t skey[32];
    host_fare_table ft;
    host_term_params p;
    int rc;

    if (d->o->db != NULL) {
        snprintf(d->dbpath, sizeof d->dbpath, "%s", d->o->db);
    } else {
        strcpy(d->dir, "/tmp/obol-day-XXXXXX");
        if (mkdtemp(d->dir) == NULL)
            return day_fail(d, TERM_ERR_IO, "cannot make a temporary directory");
        snprintf(d->dbpath, sizeof d->dbpath, "%s/platform.db", d->dir);
    }
    if ((rc = host_db_open(d->dbpath, NULL, &d->db)) != 0)
        return day_fail(d, rc, "%s: %s", d->dbpath, host_strerror(rc));
    host_db_set_time(d->db, DAY_MIDNIGHT / 1000000000);
    /* A TEST storage key made from the seed: the database is a test platform. */
    for (int i = 0; i < 32; i++)
        skey[i] = (uint8_t)(d->o->seed >> (8 * (i % 8))) ^ (uint8_t)(0xA5 + i);
    rc = host_hsm_open(d->db, skey, &d->hsm);
    host_wipe(skey, sizeof skey);
    if (rc != 0)
        return day_fail(d, rc, "HSM: %s", host_strerror(rc));
    if ((rc = host_server_new(d->db, d->hsm, &d->link.srv)) != 0)
        return day_fail(d, rc, "server: %s", host_strerror(rc));
    if ((rc = host_issuer_add(d->db, DAY_ISSUER, "TEST city", 0x31000001u)) != 0)
        return day_fail(d, rc, "issuer: %s (a fresh database is needed)", host_strerror(rc));
    /* The masters the profiles disperse from: purchase v1 (two levels, as the PSAM's
     * psam_purchase2 key) and v2, load v1, TAC v1/v2 (one level). */
    if ((rc = import_key(d, HOST_KEY_PURCHASE, 1, 2, TEST_MPK01)) != 0 ||
        (rc = import_key(d, HOST_KEY_PURCHASE, 2, 1, TEST_MPK02)) != 0 ||
        (rc = import_key(d, HOST_KEY_LOAD, 1, 1, TEST_MLK01)) != 0 ||
        (rc = import_key(d, HOST_KEY_TAC, 1, 1, TEST_MTK01)) != 0 ||
        (rc = import_key(d, HOST_KEY_TAC, 2, 1, TEST_MTK01)) != 0)
        return rc;
    if ((rc = host_operator_add(d->db, OP_METRO, "TEST metro")) != 0 ||
        (rc = host_operator_add(d->db, OP_BUS, "TEST bus")) != 0 ||
        (rc = host_operator_add(d->db, OP_SHOP, "TEST shop")) != 0)
        return day_fail(d, rc, "operators: %s", host_strerror(rc));
    for (int i = 0; i < NTERMS; i++) {
        host_terminal ht;
        memset(&ht, 0, sizeof ht);
        ht.id = psam_serial(i) & 0xFFFFFFFFFFFFull;
        ht.operator_id = TERMS[i].op;
        ht.kind = TERMS[i].host_kind;
        ht.station = TERMS[i].station;
        ht.param_set = TERMS[i].op;
        ht.in_service = 1;
        if ((rc = host_terminal_add(d->db, &ht)) != 0)
            return day_fail(d, rc, "terminal: %s", host_strerror(rc));
    }
    fare_metro(&ft);
    if ((rc = host_param_fare_publish(d->db, &ft, NULL)) != 0)
        return day_fail(d, rc, "metro fares: %s", host_strerror(rc));
    fare_bus(&ft);
    if ((rc = host_param_fare_publish(d->db, &ft, NULL)) != 0)
        return day_fail(d, rc, "bus fares: %s", host_strerror(rc));
    for (uint32_t op = OP_METRO; op <= OP_SHOP; op++) {
        memset(&p, 0, sizeof p);
        p.set_id = op;
        p.operator_id = op;
        p.max_offline_amount = 100000;
        p.purchase_key_index = 1;
        p.purchase_key_version = 1;
        p.upload_interval_s = 7200;
        p.max_batch_records = 40;
        p.blacklist_max_age_h = 24;
        for (int i = 0; i < 8; i++)
            p.issuer[i] = (uint8_t)(DAY_ISSUER >> (56 - 8 * i));
        if ((rc = host_param_term_publish(d->db, &p, NULL)) != 0)
            return day_fail(d, rc, "parameters: %s", host_strerror(rc));
    }
    return 0;
}

/* ---- terminals and cards -------------------------------------------------------------- */

static int terminals(day *d)
{
    term_store_options so = {.mode = TERM_STORE_SIM};
    int rc;

    if ((rc = term_store_open(NULL, &so, &d->store)) != 0)
        return day_fail(d, rc, "terminal store: %s", term_strerror(rc));
    for (int i = 0; i < NTERMS; i++) {
        day_term *x = &d->terms[i];
        term_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.kind = TERMS[i].kind;
        cfg.station = TERMS[i].station;
        cfg.operator_id = TERMS[i].op;
        cfg.pin_free_limit = 5000;
        cfg.utc_offset_min = 480;
        cfg.host = link_call;
        cfg.host_ctx = &d->link;
        cfg.block_mac = block_mac;
        if ((rc = card_open(d, &x->psam, "term-psam", psam_serial(i))) != 0)
            return rc;
        term_simreader_init(&x->card_rd, "card", TERM_IF_CONTACTLESS);
        term_simreader_init(&x->psam_rd, "psam", TERM_IF_CONTACT);
        term_simreader_insert(&x->psam_rd, &x->psam.card);
        cfg.card = &x->card_rd.base;
        cfg.psam = &x->psam_rd.base;
        cfg.store = d->store;
        if ((rc = term_open(&cfg, DAY_MIDNIGHT, &x->t)) != 0)
            return day_fail(d, rc, "%s: %s", TERMS[i].name, term_strerror(rc));
        x->op = TERMS[i].op;
    }
    d->f->terminals = NTERMS;
    return 0;
}

static int cards(day *d)
{
    static const char *const profile[3] = {"transit-card", "transit-student", "transit-senior"};
    host_issue_req req;
    host_perso p;
    int rc;

    d->cards = calloc(d->ncards, sizeof *d->cards);
    if (d->cards == NULL)
        return day_fail(d, TERM_ERR_NOMEM, "no memory for %u cards", d->ncards);
    for (unsigned i = 0; i < d->ncards; i++) {
        uint8_t type = (uint8_t)(i % 6 == 4 ? 1 : i % 6 == 5 ? 2 : 0);
        memset(&req, 0, sizeof req);
        req.issuer = DAY_ISSUER;
        req.industry = HOST_INDUSTRY_TRANSIT;
        req.card_type = type;
        req.key_version = 1;
        req.expiry = 20361231;
        if ((rc = host_issue_card(d->db, d->hsm, &req, &p)) != 0)
            return day_fail(d, rc, "issuing card %u: %s", i, host_strerror(rc));
        host_wipe(&p.keys, sizeof p.keys);
        if ((rc = host_card_set_state(d->db, p.serial, HOST_CARD_ACTIVE, 0)) != 0)
            return day_fail(d, rc, "activating: %s", host_strerror(rc));
        if ((rc = card_open(d, &d->cards[i], profile[type], p.serial)) != 0)
            return rc;
        d->cards[i].type = type;
    }
    d->f->cards = d->ncards;
    return 0;
}

/* ---- the day's events ------------------------------------------------------------------ */

enum { EV_SYNC, EV_LOAD, EV_BUS, EV_IN, EV_OUT, EV_BUY, EV_LOST, EV_UPLOAD };

typedef struct event {
    int64_t at;
    uint32_t seq;
    uint32_t card;
    uint8_t what;
    uint8_t arg;
    uint32_t amount;
} event;

typedef struct events {
    event *v;
    size_t n, cap;
} events;

static int add(events *e, int64_t at, uint8_t what, uint32_t card, uint8_t arg, uint32_t amount)
{
    if (e->n == e->cap) {
        size_t nc = e->cap ? 2 * e->cap : 256;
        event *v = realloc(e->v, nc * sizeof *v);
        if (v == NULL)
            return TERM_ERR_NOMEM;
        e->v = v;
        e->cap = nc;
    }
    e->v[e->n] = (event){at, (uint32_t)e->n, card, what, arg, amount};
    e->n++;
    return 0;
}

static int cmp_event(const void *a, const void *b)
{
    const event *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Every card's day, in its own order; the day's events sorted by time. */
static int plan(day *d, events *e)
{
    int rc = 0;

    for (int h = 6; h <= 22 && rc == 0; h += 4) /* syncs and uploads */
        rc = add(e, DAY_MIDNIGHT + h * 60 * DAY_MIN, h == 6 ? EV_SYNC : EV_UPLOAD, 0, 0, 0);
    if (rc == 0 && d->ncards >= 2) {
        /* Card 1 is reported lost at noon, and somebody tries it at a gate at 13:00. */
        rc = add(e, DAY_MIDNIGHT + 12 * 60 * DAY_MIN, EV_LOST, 1, 0, 0);
        if (rc == 0)
            rc = add(e, DAY_MIDNIGHT + 13 * 60 * DAY_MIN, EV_IN, 1, 0, 0);
    }
    for (unsigned c = 0; c < d->ncards && rc == 0; c++) {
        int64_t t = DAY_MIDNIGHT + (int64_t)(7 * 60 + below(&d->rng, 60)) * DAY_MIN;
        unsigned trips = 1 + below(&d->rng, 3);
        rc = add(e, t, EV_LOAD, c, 0, 5000);
        t += (int64_t)(5 + below(&d->rng, 30)) * DAY_MIN;
        for (unsigned k = 0; k < trips && rc == 0; k++) {
            if (below(&d->rng, 3) == 0) {
                rc = add(e, t, EV_BUS, c, 0, 0);
                t += (int64_t)(10 + below(&d->rng, 40)) * DAY_MIN;
            }
            if (rc == 0)
                rc = add(e, t, EV_IN, c, (uint8_t)below(&d->rng, 2), 0);
            t += (int64_t)(10 + below(&d->rng, 40)) * DAY_MIN;
            if (rc == 0)
                rc = add(e, t, EV_OUT, c, (uint8_t)below(&d->rng, 2), 0);
            t += (int64_t)(60 + below(&d->rng, 180)) * DAY_MIN;
            if (rc == 0 && below(&d->rng, 2) == 0) {
                rc = add(e, t, EV_BUY, c, 0, 100 + 10 * below(&d->rng, 300));
                t += (int64_t)(10 + below(&d->rng, 60)) * DAY_MIN;
            }
        }
    }
    if (rc != 0)
        return day_fail(d, rc, "no memory for the day's events");
    qsort(e->v, e->n, sizeof *e->v, cmp_event);
    return 0;
}

static void tally(day *d, const term_result *r)
{
    term_day_figures *f = d->f;

    if (r->status == TERM_APPROVED) {
        if (r->flags & TERM_F_RECOVERED)
            f->recovered++;
        switch (r->kind) {
        case TERM_TXN_ENTRY:
            f->entries++;
            break;
        case TERM_TXN_EXIT:
            f->exits++;
            break;
        case TERM_TXN_BUS:
            f->bus_rides++;
            break;
        case TERM_TXN_LOAD:
            f->loads++;
            break;
        default:
            f->purchases++;
            break;
        }
        f->transfers += (r->flags & TERM_F_TRANSFER) != 0;
        f->discounts += (r->flags & TERM_F_DISCOUNT) != 0;
        f->penalties += (r->flags & TERM_F_PENALTY) != 0;
        return;
    }
    f->declined++;
    f->no_funds += r->reason == TERM_R_NO_FUNDS;
    f->blacklisted += r->reason == TERM_R_BLACKLISTED || r->reason == TERM_R_APP_BLOCKED;
    f->blocked += (r->flags & TERM_F_BLOCKED) != 0;
}

static int sync_all(day *d, int64_t at)
{
    for (int i = 0; i < NTERMS; i++) {
        int rc = term_sync(d->terms[i].t, at, NULL);
        if (rc != 0)
            return day_fail(d, rc, "%s: sync: %s", TERMS[i].name, term_strerror(rc));
    }
    return 0;
}

/* Uploads every terminal's journal; a lost acknowledgement waits for the next round. */
static int upload_all(day *d, int64_t at, int until_done)
{
    for (int round = 0; round < (until_done ? 50 : 1); round++) {
        int pending = 0;
        for (int i = 0; i < NTERMS; i++) {
            term_upload_stats st;
            int rc;
            memset(&st, 0, sizeof st);
            rc = term_upload(d->terms[i].t, at, &st);
            d->f->batches += st.batches_acked;
            d->f->resends += st.retries;
            d->f->records_uploaded += st.records_acked;
            if (rc == TERM_ERR_OFFLINE)
                pending = 1;
            else if (rc != 0)
                return day_fail(d, rc, "%s: upload: %s", TERMS[i].name, term_strerror(rc));
        }
        if (!pending || !until_done)
            return 0; /* the lost ones go again at the next upload */
        at += DAY_MIN;
    }
    return day_fail(d, TERM_ERR_OFFLINE, "uploads never acknowledged");
}

/* One card at one terminal. */
static int present(day *d, int ti, day_card *c, int64_t at, const event *ev, term_result *r)
{
    day_term *x = &d->terms[ti];
    int rc;

    term_simreader_insert(&x->card_rd, &c->card);
    switch (ev->what) {
    case EV_LOAD:
        rc = term_load(x->t, at, ev->amount, 2, r);
        break;
    case EV_BUY:
        rc = term_purchase(x->t, at, ev->amount, r);
        break;
    default:
        rc = term_tap(x->t, at, r);
        break;
    }
    term_simreader_remove(&x->card_rd);
    return rc;
}

static int play(day *d, const events *e)
{
    int torn = 0, rc;

    for (size_t i = 0; i < e->n; i++) {
        const event *ev = &e->v[i];
        day_card *c = &d->cards[ev->card];
        term_result r;
        int ti;
        host_db_set_time(d->db, ev->at / 1000000000);
        switch (ev->what) {
        case EV_SYNC:
            if ((rc = sync_all(d, ev->at)) != 0)
                return rc;
            continue;
        case EV_UPLOAD:
            if ((rc = upload_all(d, ev->at, 0)) != 0 || (rc = sync_all(d, ev->at)) != 0)
                return rc;
            continue;
        case EV_LOST:
            /* Reported lost: the host lists it, the terminals take the new list. */
            rc = host_card_set_state(d->db, c->serial, HOST_CARD_LOST, 1);
            if (rc != 0)
                return day_fail(d, rc, "card lost: %s", host_strerror(rc));
            logf_(d, "12:00 card %016llx reported lost", (unsigned long long)c->serial);
            if ((rc = sync_all(d, ev->at + DAY_MIN)) != 0)
                return rc;
            continue;
        case EV_LOAD:
        case EV_BUY:
            ti = T_POS;
            break;
        case EV_BUS:
            ti = T_BUS;
            break;
        case EV_IN:
            ti = ev->arg ? T_IN2 : T_IN1;
            break;
        default:
            ti = ev->arg ? T_OUT2 : T_OUT1;
            break;
        }
        /* The first exit of the day's first card: pulled away right after DEBIT. */
        if (ev->what == EV_OUT && ev->card == 0 && !torn) {
            torn = 1;
            term_simreader_tear_on(&d->terms[ti].card_rd, 0x54, TERM_TEAR_AFTER);
            rc = present(d, ti, c, ev->at, ev, &r);
            if (rc != TERM_ERR_CARD_LOST || r.status != TERM_PENDING)
                return day_fail(d, TERM_ERR_STATE, "the torn exit was not left pending (%s)",
                                term_strerror(rc));
            /* ...and tapped again three seconds later. */
            rc = present(d, ti, c, ev->at + 3000000000, ev, &r);
        } else {
            rc = present(d, ti, c, ev->at, ev, &r);
        }
        if (rc != 0)
            return day_fail(d, rc, "%s: %s", TERMS[ti].name, term_strerror(rc));
        tally(d, &r);
    }
    return 0;
}

/* ---- the run --------------------------------------------------------------------------- */

static void teardown(day *d)
{
    for (int i = 0; i < NTERMS; i++) {
        term_close(d->terms[i].t);
        cos_host_close(&d->terms[i].psam.host);
    }
    term_store_close(d->store);
    if (d->cards != NULL)
        for (unsigned i = 0; i < d->ncards; i++)
            cos_host_close(&d->cards[i].host);
    free(d->cards);
    free(d->link.reply);
    host_server_free(d->link.srv);
    host_hsm_close(d->hsm);
    host_db_close(d->db);
    if (d->dir[0] != '\0') {
        char p[600];
        unlink(d->dbpath);
        snprintf(p, sizeof p, "%s-wal", d->dbpath);
        unlink(p);
        snprintf(p, sizeof p, "%s-shm", d->dbpath);
        unlink(p);
        rmdir(d->dir);
    }
}

int term_day_run(const term_day_options *o, term_day_figures *f, char *err, size_t errlen)
{
    events e = {NULL, 0, 0};
    day d;
    int rc;

    if (o == NULL || f == NULL || (o->cards != 0 && (o->cards < 2 || o->cards > 10000)))
        return TERM_ERR_ARG;
    memset(f, 0, sizeof *f);
    memset(&d, 0, sizeof d);
    d.o = o;
    d.f = f;
    d.err = err;
    d.errlen = errlen;
    d.ncards = o->cards ? o->cards : 24;
    d.rng = o->seed ^ 0x0B01DA7ull;
    d.link.rng = o->seed ^ 0x11E7ull;
    d.link.drop_per_mille = 150;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if ((rc = platform(&d)) != 0 || (rc = terminals(&d)) != 0 || (rc = cards(&d)) != 0)
        goto out;
    logf_(&d, "06:00 platform ready: %u cards issued and personalized, %d terminals", d.ncards,
          NTERMS);
    if ((rc = plan(&d, &e)) != 0 || (rc = play(&d, &e)) != 0)
        goto out;
    logf_(&d, "23:00 day played: %zu events", e.n);
    if ((rc = upload_all(&d, DAY_MIDNIGHT + 23 * 60 * DAY_MIN, 1)) != 0)
        goto out;
    logf_(&d, "23:30 journals uploaded (%u acknowledgements lost and resent)", d.link.dropped);
    rc = day_check(&d);
out:
    free(e.v);
    teardown(&d);
    return rc;
}
