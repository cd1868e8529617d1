/*
 * obol core: the platform side of the world and the network between. The platform is
 * hostsim's (docs/host-platform.md): an SQLite database in memory, the HSM holding the
 * TEST master keys, the card registry, the blacklist service and clearing with TAC
 * verification through the HSM (OpenSSL: the card computed the TAC with obol's own
 * crypto) and duplicate detection by (card, counter) and (terminal, TTN). Terminals
 * talk to it with the terminal-host protocol (docs/host-protocol.md): batch uploads
 * every upload interval, blacklist requests every distribution interval. Each frame
 * crosses the group's link (latency, jitter, loss, outage windows, the timeline's host
 * outages); a lost acknowledgement makes the terminal send the same batch again, which
 * the platform answers REPEATED and counts once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/host_blacklist.h"
#include "obol/host_fare.h"
#include "obol/host_param.h"
#include "obol/host_db.h"
#include "obol/host_hsm.h"
#include "obol/host_issue.h"
#include "obol/host_proto.h"
#include "obol/host_server.h"
#include "obol/host_settle.h"
#include "obol/host_term.h"
#include "world_internal.h"

/* The scenario day (2026-11-23 00:00 UTC) in seconds since 1970: the platform clock. */
#define DAY_EPOCH 1795392000ll
#define ISSUER    0x1234567800000000ull /* the card profiles' issuer code */

int w_link_up(const world *w, int group, sim_time t)
{
    const scenario *sc = w->sc;
    for (size_t i = 0; i < sc->nevents; i++) {
        const scn_event *e = &sc->events[i];
        if (e->kind == SCN_EV_HOST_OUTAGE && t >= e->at && t < e->until)
            return 0;
    }
    const scn_link *lk = &sc->links[sc->groups[group].link];
    for (size_t i = 0; i < lk->noutage; i++)
        if (t >= lk->outage[i].from && t < lk->outage[i].to)
            return 0;
    return 1;
}

sim_time w_link_delay(world *w, int group, int *lost)
{
    const scn_link *lk = &w->sc->links[w->sc->groups[group].link];
    double ms = lk->latency_ms;
    if (lk->jitter_ms > 0)
        ms += sim_rng_uniform(&w->link_rng) * lk->jitter_ms;
    if (lk->loss > 0 && sim_rng_uniform(&w->link_rng) < lk->loss)
        *lost = 1;
    ms += w->sc->host_process_ms / 2;
    return (sim_time)(ms * (double)SIM_MS);
}

void w_host_clock(world *w)
{
    host_db_set_time(w->db, DAY_EPOCH + sim_now(w->s) / SIM_S);
}

static uint64_t tid_number(const uint8_t tid[6])
{
    uint64_t v = 0;
    for (int i = 0; i < 6; i++)
        v = v << 8 | tid[i];
    return v;
}

/* The TEST master keys the card and PSAM profiles are personalized from, imported
 * into the platform's HSM: (usage, version, dispersion levels, name). */
static const struct {
    uint8_t usage, version, levels;
    const char *name;
} master_keys[] = {
    {HOST_KEY_PURCHASE, 1, 2, "TEST-MPK-01"}, {HOST_KEY_PURCHASE, 2, 1, "TEST-MPK-02"},
    {HOST_KEY_LOAD, 1, 1, "TEST-MLK-01"},     {HOST_KEY_TAC, 1, 1, "TEST-MTK-01"},
    {HOST_KEY_TAC, 2, 1, "TEST-MTK-01"},
};

uint32_t w_group_operator(int g)
{
    return (uint32_t)g + 1;
}

/* Group G is an operator of its own: its terminal parameters and, for a metro line,
 * its fare table — stations a kilometre apart, the fare base + per-station x distance
 * up to the maximum (the scenario's <trip>), in distance bands. */
static int group_params(world *w, int g, char *msg, size_t cap)
{
    const scenario *sc = w->sc;
    const scn_group *gr = &sc->groups[g];
    uint32_t op = w_group_operator(g);
    char name[64];
    snprintf(name, sizeof(name), "TEST operator %s", gr->name);
    int rc = host_operator_add(w->db, op, name);
    if (rc == 0 && gr->kind == SCN_GATE && sc->has_trip) {
        static host_fare_table ft; /* large; filled and published at once */
        memset(&ft, 0, sizeof(ft));
        ft.operator_id = op;
        ft.kind = HOST_FARE_DISTANCE;
        ft.max_fare = sc->fare_max;
        int n = gr->stations < HOST_FARE_MAX_STATIONS ? gr->stations : HOST_FARE_MAX_STATIONS;
        ft.n_stations = (uint16_t)n;
        for (int i = 0; i < n; i++) {
            ft.stations[i].id = (uint16_t)(i + 1);
            ft.stations[i].position = (uint32_t)i * 1000u;
        }
        int nb = n < HOST_FARE_MAX_BANDS ? n : HOST_FARE_MAX_BANDS;
        for (int d = 0; d < nb; d++) {
            uint64_t f = sc->fare_base + (uint64_t)sc->fare_per_station * (uint64_t)d;
            ft.bands[d].up_to = d + 1 == nb ? 0xFFFFFFFFu : (uint32_t)d * 1000u;
            ft.bands[d].fare = f > sc->fare_max ? sc->fare_max : (uint32_t)f;
        }
        ft.n_bands = (uint16_t)nb;
        rc = host_param_fare_publish(w->db, &ft, NULL);
    }
    if (rc == 0) {
        host_term_params p;
        memset(&p, 0, sizeof(p));
        p.set_id = op;
        p.operator_id = op;
        p.max_offline_amount = 100000000;
        p.purchase_key_index = 1;
        p.purchase_key_version = 1;
        p.upload_interval_s =
            (uint16_t)(gr->upload_every / SIM_S > 65535 ? 65535 : gr->upload_every / SIM_S);
        p.max_batch_records = 500;
        p.blacklist_max_age_h = 48;
        for (int i = 0; i < 8; i++)
            p.issuer[i] = (uint8_t)(ISSUER >> (56 - 8 * i));
        rc = host_param_term_publish(w->db, &p, NULL);
    }
    if (rc != 0)
        snprintf(msg, cap, "operator %s: %s", gr->name, host_strerror(rc));
    return rc;
}

int w_host_settled(world *w, uint64_t *purchases, uint64_t *bad_tac)
{
    host_settlement rows[64];
    size_t n = 0;
    *purchases = 0;
    *bad_tac = 0;
    if (host_settle_run(w->db, 20261101, 20261231, rows, 64, &n) != 0)
        return -1;
    for (size_t i = 0; i < n && i < 64; i++)
        *purchases += (uint64_t)rows[i].purchases;
    int64_t bad = 0;
    if (host_exception_count(w->db, HOST_REASON_BAD_TAC, -1, &bad) == 0)
        *bad_tac = (uint64_t)bad;
    return 0;
}

int w_host_init(world *w)
{
    char msg[160];
    int rc;
    sim_rng_init(&w->link_rng, w->seed, W_STREAM_LINKS);
    /* The storage key only wraps the TEST keys of this database. */
    uint8_t storage[32];
    for (int i = 0; i < 32; i++)
        storage[i] = (uint8_t)(0xA5 ^ i);
    const char *db = w->opts->host_db != NULL ? w->opts->host_db : ":memory:";
    if ((rc = host_db_open(db, NULL, &w->db)) != 0 ||
        (rc = host_hsm_open(w->db, storage, &w->hsm)) != 0 ||
        (rc = host_server_new(w->db, w->hsm, &w->srv)) != 0) {
        snprintf(msg, sizeof(msg), "the platform could not start: %s", host_strerror(rc));
        goto fail;
    }
    host_db_set_time(w->db, DAY_EPOCH + w->sc->start / SIM_S);
    if ((rc = host_issuer_add(w->db, ISSUER, "TEST issuer", 0x12345678u)) != 0) {
        snprintf(msg, sizeof(msg), "platform set-up: %s", host_strerror(rc));
        goto fail;
    }
    for (size_t g = 0; g < w->sc->ngroups; g++)
        if ((rc = group_params(w, (int)g, msg, sizeof(msg))) != 0)
            goto fail;
    for (size_t i = 0; i < sizeof(master_keys) / sizeof(master_keys[0]); i++) {
        host_key_id id = {ISSUER, HOST_INDUSTRY_FINANCE, master_keys[i].usage,
                          master_keys[i].version};
        const uint8_t *key = master_keys[i].usage == HOST_KEY_LOAD  ? w->key_mlk
                             : master_keys[i].usage == HOST_KEY_TAC ? w->key_mtk
                             : master_keys[i].version == 1          ? w->key_mpk1
                                                                    : w->key_mpk2;
        char label[64];
        snprintf(label, sizeof(label), "%s (TEST KEY)", master_keys[i].name);
        if ((rc = host_hsm_key_import(w->hsm, &id, master_keys[i].levels, label, key, NULL)) != 0) {
            snprintf(msg, sizeof(msg), "importing %s: %s", master_keys[i].name, host_strerror(rc));
            goto fail;
        }
    }
    for (int i = 0; i < w->nterms; i++) {
        const w_term *t = &w->terms[i];
        const scn_group *g = &w->sc->groups[t->group];
        host_terminal ht;
        memset(&ht, 0, sizeof(ht));
        ht.id = w_term_id(i);
        ht.operator_id = w_group_operator(t->group);
        ht.param_set = w_group_operator(t->group);
        ht.kind = g->kind == SCN_GATE  ? HOST_TERM_GATE
                  : g->kind == SCN_STB ? HOST_TERM_STB
                                       : HOST_TERM_POS;
        ht.station = (uint16_t)(t->station + 1);
        ht.in_service = 1;
        if ((rc = host_terminal_add(w->db, &ht)) != 0) {
            snprintf(msg, sizeof(msg), "registering terminal %d: %s", i, host_strerror(rc));
            goto fail;
        }
    }
    return 0;
fail:
    w_fail(w, SIM_ERR_INVAL, "%s", msg);
    return SIM_ERR_INVAL;
}

void w_host_free(world *w)
{
    host_server_free(w->srv);
    host_hsm_close(w->hsm);
    host_db_close(w->db);
}

int w_host_issue(world *w, uint32_t idx)
{
    host_issue_req req;
    memset(&req, 0, sizeof(req));
    req.issuer = ISSUER;
    req.industry = HOST_INDUSTRY_FINANCE;
    req.serial = w->sc->serial_base + idx;
    req.key_version = 1;
    req.initial_balance = w->cards[idx].initial;
    req.max_balance = 100000000;
    req.expiry = 20361231;
    host_perso perso;
    w_host_clock(w);
    int rc = host_issue_card(w->db, w->hsm, &req, &perso);
    if (rc == 0)
        rc = host_card_set_state(w->db, req.serial, HOST_CARD_ACTIVE, 0);
    memset(&perso, 0, sizeof(perso)); /* the dispersed keys: the card has its own */
    if (rc != 0)
        w_fail(w, SIM_ERR_INVAL, "the platform could not issue card %llu: %s",
               (unsigned long long)req.serial, host_strerror(rc));
    return rc == 0 ? 0 : SIM_ERR_INVAL;
}

int w_host_implied(world *w, uint32_t idx, int64_t *implied)
{
    host_recon_card rc;
    if (host_recon_card_get(w->db, w->sc->serial_base + idx, &rc) != 0)
        return -1;
    *implied = rc.implied;
    return 0;
}

static void to_txn(const world *w, const w_rec *r, host_txn *x)
{
    memset(x, 0, sizeof(*x));
    x->serial = w->sc->serial_base + r->card;
    x->type = r->type;
    x->counter = r->counter;
    x->amount = r->amount;
    x->terminal = tid_number(r->tid);
    x->ttn = r->ttn;
    memcpy(x->date, r->date, 4);
    memcpy(x->time, r->time, 3);
    x->balance_before = r->balance;
    x->balance_after = r->balance - r->amount;
    memcpy(x->tac, r->tac, 4);
    x->key_version = r->kver;
    x->alg = r->alg;
    x->entry_station = r->entry_station;
    x->exit_station = r->exit_station;
    x->operator_id = w_group_operator(w->terms[r->term].group);
}

/* Sends frame REQ to the platform; the decoded reply in *M with its buffer in *BUF
 * (the caller frees it). */
static int exchange(world *w, const uint8_t *req, size_t len, host_msg *m, uint8_t **buf)
{
    size_t rlen = 0;
    *buf = NULL;
    w_host_clock(w);
    int rc = host_server_handle(w->srv, req, len, buf, &rlen);
    if (*buf == NULL)
        return rc != 0 ? rc : HOST_ERR_ARG;
    int reason;
    if (host_proto_decode(*buf, rlen, m, &reason) != 0)
        return HOST_ERR_BADMSG;
    return m->type == HOST_MSG_ERROR ? HOST_ERR_PROTO : 0;
}

int w_host_upload(world *w, int ti, const w_rec *rec, size_t n, uint32_t seq, int *duplicates)
{
    host_txn *tx = malloc((n ? n : 1) * sizeof(*tx));
    size_t cap = host_proto_batch_size(n);
    uint8_t *frame = malloc(cap), *reply = NULL;
    int accepted = -1;
    *duplicates = 0;
    if (tx == NULL || frame == NULL)
        goto out;
    for (size_t i = 0; i < n; i++)
        to_txn(w, &rec[i], &tx[i]);
    host_msg_batch b = {w_term_id(ti), seq, (uint32_t)n, NULL};
    size_t len;
    host_msg m;
    if (host_proto_encode_batch(++w->msg_id, &b, tx, n, frame, cap, &len) != 0 ||
        exchange(w, frame, len, &m, &reply) != 0 || m.type != HOST_MSG_BATCH_ACK ||
        m.u.ack.status == HOST_ACK_REJECTED)
        goto out;
    /* Every record not plainly accepted has a note. */
    uint8_t *fate = calloc(n ? n : 1, 1); /* HOST_NOTE_* per record, 0 accepted */
    if (fate == NULL)
        goto out;
    for (uint32_t i = 0; i < m.u.ack.n_notes; i++) {
        host_ack_note note;
        if (host_proto_ack_note(&m, i, &note) == 0 && note.index < n) {
            fate[note.index] = note.result;
            if (note.reason == HOST_REASON_BAD_TAC)
                w->bad_tac++;
            if (note.result == HOST_NOTE_REJECTED && w->host_refusal[0] == '\0')
                snprintf(w->host_refusal, sizeof(w->host_refusal),
                         "the platform refused the record of card %llu, counter %u: %s (%s)",
                         (unsigned long long)(w->sc->serial_base + rec[note.index].card),
                         rec[note.index].counter, host_reason_name(note.reason),
                         host_reason_str(note.reason));
        }
    }
    accepted = 0;
    if (m.u.ack.status == HOST_ACK_REPEATED) {
        *duplicates = (int)n;
    } else {
        for (size_t i = 0; i < n; i++) {
            if (fate[i] == HOST_NOTE_ACCEPTED || fate[i] == HOST_NOTE_FLAGGED)
                accepted++;
            else if (fate[i] == HOST_NOTE_DUPLICATE)
                (*duplicates)++;
        }
    }
    free(fate);
out:
    free(tx);
    free(frame);
    free(reply);
    return accepted;
}

void w_host_blacklist(world *w, uint32_t idx)
{
    uint32_t v;
    w_host_clock(w);
    int rc = host_blacklist_add(w->db, w->sc->serial_base + idx, HOST_BLR_LOST, &v);
    if (rc != 0)
        w_fail(w, SIM_ERR_INVAL, "the platform could not list card %u: %s", idx, host_strerror(rc));
}

/* ---- upload and blacklist distribution: the terminals' own (termsim) --------------------- */

static void upload_tick(sim *s, void *arg, uint64_t ti)
{
    world *w = arg;
    w_term *t = &w->terms[ti];
    const scn_group *g = &w->sc->groups[t->group];
    if (sim_now(s) < w->sc->end + w->sc->drain)
        sim_after(s, g->upload_every, upload_tick, w, ti, NULL);
    if (w_link_up(w, t->group, sim_now(s)) && w_term_upload(w, (int)ti) == 0)
        t->last_upload = sim_now(s);
}

static void bl_tick(sim *s, void *arg, uint64_t ti)
{
    world *w = arg;
    w_term *t = &w->terms[ti];
    const scn_group *g = &w->sc->groups[t->group];
    if (sim_now(s) < w->sc->end + w->sc->drain)
        sim_after(s, g->blacklist_every, bl_tick, w, ti, NULL);
    if (w_link_up(w, t->group, sim_now(s)))
        w_term_sync(w, (int)ti);
}

void w_host_close_day(world *w)
{
    /* Close of service: every terminal whose link is up sends what it still holds,
     * retrying a few times, as terminals do before they shut down for the night. */
    for (int i = 0; i < w->nterms; i++)
        for (int tries = 0; tries < 3 && w_link_up(w, w->terms[i].group, sim_now(w->s)); tries++)
            if (w_term_upload(w, i) == 0)
                break;
}

int w_host_start(world *w)
{
    for (int i = 0; i < w->nterms; i++) {
        w_term *t = &w->terms[i];
        const scn_group *g = &w->sc->groups[t->group];
        /* Each terminal starts its cycles at its own phase. */
        sim_time up = w->sc->start + (sim_time)(sim_rng_uniform(&t->rng) * (double)g->upload_every);
        sim_time bl =
            w->sc->start + (sim_time)(sim_rng_uniform(&t->rng) * (double)g->blacklist_every);
        int rc;
        if ((rc = sim_schedule(w->s, up, upload_tick, w, (uint64_t)i, NULL)) != 0 ||
            (rc = sim_schedule(w->s, bl, bl_tick, w, (uint64_t)i, NULL)) != 0)
            return rc;
    }
    return 0;
}
