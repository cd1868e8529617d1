/*
 * obol tests: the TSM (host_tsm.h) — campaigns delivered to cards over SCP03, exactly
 * once: a card that applied a script whose acknowledgement was lost is recognised by
 * GET STATUS in the next session and not given the script again; card errors are
 * retried up to the campaign's limit; delivery also works through the protocol's
 * OTA_FETCH / OTA_RESULT messages.
 *
 * The card is a small fake issuer security domain written here from the GP
 * specifications with the independent reference (host_ref.c): SCP03 card side
 * (session keys, cryptograms, C-MAC check with chaining), GET STATUS in response
 * format 2, INSTALL for install and make selectable, DELETE and SET STATUS.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "host_fixture.h"
#include "host_ref.h"
#include "obol/host_tsm.h"

static const uint8_t ISD[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
static const uint8_t ELF[7] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x50, 0x00};
static const uint8_t MOD[8] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x50, 0x00, 0x01};
static const uint8_t APP[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x50, 0x01, 0x01, 0x01};

typedef struct fake_app {
    uint8_t aid[16];
    size_t len;
    uint8_t lcs;
} fake_app;

typedef struct fake_card {
    uint8_t enc[16], mac[16];
    uint8_t s_mac[16], chain[16], ctx[16];
    int selected, authenticated;
    uint8_t counter;
    fake_app apps[8];
    size_t napps;
    int installs, deletes, commands;
    int fail_installs; /* answer the next N INSTALLs with 6A80 */
} fake_card;

static void fake_init(fake_card *c, const host_perso *p)
{
    memset(c, 0, sizeof *c);
    cr_assert(p->has_gp);
    memcpy(c->enc, p->gp.enc, 16);
    memcpy(c->mac, p->gp.mac, 16);
}

static size_t sw(uint8_t *rsp, size_t n, uint16_t v)
{
    rsp[n] = (uint8_t)(v >> 8);
    rsp[n + 1] = (uint8_t)v;
    return n + 2;
}

static fake_app *find_app(fake_card *c, const uint8_t *aid, size_t len)
{
    for (size_t i = 0; i < c->napps; i++)
        if (c->apps[i].len == len && memcmp(c->apps[i].aid, aid, len) == 0)
            return &c->apps[i];
    return NULL;
}

/* The plain content management command (after the C-MAC is checked and removed). */
static size_t fake_manage(fake_card *c, const uint8_t *h, const uint8_t *data, size_t lc,
                          uint8_t *rsp)
{
    fake_app *a;
    size_t n = 0;

    switch (h[1]) {
    case 0xF2: /* GET STATUS 40 02, 4F len AID */
        cr_assert_eq(h[2], 0x40);
        cr_assert_eq(h[3], 0x02);
        cr_assert_eq(data[0], 0x4F);
        a = find_app(c, data + 2, data[1]);
        if (a == NULL)
            return sw(rsp, 0, 0x6A88);
        rsp[n++] = 0xE3;
        rsp[n++] = (uint8_t)(2 + a->len + 4 + 3);
        rsp[n++] = 0x4F;
        rsp[n++] = (uint8_t)a->len;
        memcpy(rsp + n, a->aid, a->len);
        n += a->len;
        memcpy(rsp + n, "\x9F\x70\x01", 3);
        n += 3;
        rsp[n++] = a->lcs;
        memcpy(rsp + n, "\xC5\x01\x00", 3);
        n += 3;
        return sw(rsp, n, 0x9000);
    case 0xE6: { /* INSTALL [install and make selectable]: ELF, module, app, ... */
        size_t off = 0, elf, mod, app;
        cr_assert_eq(h[2], 0x0C);
        elf = data[off];
        off += 1 + elf;
        mod = data[off];
        off += 1 + mod;
        app = data[off];
        cr_assert_leq(off + 1 + app, lc);
        c->commands++;
        if (c->fail_installs > 0) {
            c->fail_installs--;
            return sw(rsp, 0, 0x6A80);
        }
        if (find_app(c, data + off + 1, app) != NULL)
            return sw(rsp, 0, 0x6985); /* installing twice is an error on a card */
        a = &c->apps[c->napps++];
        memcpy(a->aid, data + off + 1, app);
        a->len = app;
        a->lcs = 0x07;
        c->installs++;
        return sw(rsp, 0, 0x9000);
    }
    case 0xE4: /* DELETE 4F len AID */
        c->commands++;
        a = find_app(c, data + 2, data[1]);
        if (a == NULL)
            return sw(rsp, 0, 0x6A88);
        *a = c->apps[--c->napps];
        c->deletes++;
        return sw(rsp, 0, 0x9000);
    case 0xF0: /* SET STATUS 40 P2 AID */
        c->commands++;
        a = find_app(c, data, lc);
        if (a == NULL)
            return sw(rsp, 0, 0x6A88);
        a->lcs = (uint8_t)((h[3] & 0x80) ? (a->lcs | 0x80) : (a->lcs & 0x7F));
        return sw(rsp, 0, 0x9000);
    default:
        return sw(rsp, 0, 0x6D00);
    }
}

/* The card: one APDU in, the response out (data || SW). */
static size_t fake_apdu(fake_card *c, const uint8_t *apdu, size_t len, uint8_t *rsp)
{
    uint8_t buf[300], full[16];
    size_t lc = len > 4 ? apdu[4] : 0;

    if (apdu[1] == 0xA4) {
        c->selected = len >= 13 && memcmp(apdu + 5, ISD, 8) == 0;
        c->authenticated = 0;
        return sw(rsp, 0, c->selected ? 0x9000 : 0x6A82);
    }
    if (!c->selected)
        return sw(rsp, 0, 0x6985);
    if (apdu[0] == 0x80 && apdu[1] == 0x50) {
        uint8_t s_enc[16], cryptogram[8];
        c->authenticated = 0;
        memcpy(c->ctx, apdu + 5, 8);
        memset(c->ctx + 8, 0xC0 + ++c->counter, 8); /* card challenge */
        ref_scp03_kdf(c->enc, 16, 0x04, c->ctx, 16, 128, s_enc);
        ref_scp03_kdf(c->mac, 16, 0x06, c->ctx, 16, 128, c->s_mac);
        ref_scp03_kdf(c->s_mac, 16, 0x00, c->ctx, 16, 64, cryptogram);
        memset(c->chain, 0, 16);
        memset(rsp, 0, 10);
        rsp[10] = apdu[2] != 0 ? apdu[2] : FX_KVN;
        rsp[11] = 0x03;
        rsp[12] = 0x00;
        memcpy(rsp + 13, c->ctx + 8, 8);
        memcpy(rsp + 21, cryptogram, 8);
        return sw(rsp, 29, 0x9000);
    }
    /* Everything else comes with a C-MAC: CMAC(S-MAC, chain || header || data). */
    cr_assert_eq(apdu[0] & 0x04, 0x04, "command without secure messaging");
    cr_assert_geq(lc, 8u);
    memcpy(buf, c->chain, 16);
    memcpy(buf + 16, apdu, 5 + lc - 8);
    ref_cmac(c->s_mac, 16, buf, 16 + 5 + lc - 8, full);
    if (memcmp(full, apdu + 5 + lc - 8, 8) != 0)
        return sw(rsp, 0, 0x6982);
    memcpy(c->chain, full, 16);
    if (apdu[1] == 0x82) {
        uint8_t host_cg[8];
        ref_scp03_kdf(c->s_mac, 16, 0x01, c->ctx, 16, 64, host_cg);
        if (memcmp(host_cg, apdu + 5, 8) != 0)
            return sw(rsp, 0, 0x6300);
        c->authenticated = 1;
        return sw(rsp, 0, 0x9000);
    }
    if (!c->authenticated)
        return sw(rsp, 0, 0x6982);
    return fake_manage(c, apdu, apdu + 5, lc - 8, rsp);
}

/* Runs one session with card C. LOSE_AT: drop the response of the LOSE_AT-th command
 * (1-based; 0 = never), the card having executed it. Returns the session status. */
static int session(fx *f, fake_card *c, uint64_t serial, int lose_at, int *reason)
{
    host_tsm_session *s;
    uint8_t apdu[300], rsp[300];
    size_t n, m;
    int rc, k = 0, status;

    rc = host_tsm_begin(f->db, f->hsm, serial, NULL, &s);
    if (rc == HOST_ERR_NOTFOUND)
        return HOST_OTA_NONE;
    cr_assert_eq(rc, 0, "begin: %s", host_strerror(rc));
    while ((rc = host_tsm_next(s, apdu, sizeof apdu, &n)) == HOST_TSM_SEND) {
        m = fake_apdu(c, apdu, n, rsp);
        if (++k == lose_at)
            cr_assert_eq(host_tsm_result(s, NULL, 0), 0);
        else
            cr_assert_eq(host_tsm_result(s, rsp, m), 0);
    }
    cr_assert_eq(rc, 0);
    status = host_tsm_status(s, reason);
    host_tsm_end(s);
    return status;
}

static int64_t install_campaign(fx *f, int max_attempts)
{
    host_tsm_campaign camp;
    int64_t id;

    memset(&camp, 0, sizeof camp);
    camp.name = "TEST install transit app";
    camp.op = HOST_TSM_INSTALL;
    camp.app_aid = APP;
    camp.app_aid_len = sizeof APP;
    camp.elf_aid = ELF;
    camp.elf_aid_len = sizeof ELF;
    camp.module_aid = MOD;
    camp.module_aid_len = sizeof MOD;
    camp.kvn = FX_KVN;
    camp.max_attempts = max_attempts;
    cr_assert_eq(host_tsm_campaign_create(f->db, &camp, &id), 0);
    return id;
}

Test(host_tsm, exactly_once_with_a_lost_acknowledgement)
{
    fx_card a, b, c;
    fake_card ca, cb, cc;
    host_tsm_delivery d;
    int64_t camp, counts[4];
    uint64_t serials[3];
    int reason;
    fx f;

    fx_open(&f, NULL);
    fx_card_issue(&f, &a, 0, 0);
    fx_card_issue(&f, &b, 0, 0);
    fx_card_issue(&f, &c, 0, 0);
    fake_init(&ca, &a.p);
    fake_init(&cb, &b.p);
    fake_init(&cc, &c.p);
    camp = install_campaign(&f, 3);
    serials[0] = a.p.serial;
    serials[1] = b.p.serial;
    serials[2] = c.p.serial;
    cr_assert_eq(host_tsm_target(f.db, camp, serials, 3), 0);
    cr_assert_eq(host_tsm_target(f.db, camp, serials, 1), HOST_ERR_DUPLICATE);

    /* A: plain delivery. SELECT, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, GET STATUS,
     * INSTALL. */
    cr_assert_eq(session(&f, &ca, a.p.serial, 0, &reason), HOST_OTA_DONE);
    cr_assert_eq(ca.installs, 1);
    cr_assert_eq(host_tsm_delivery_get(f.db, camp, a.p.serial, &d), 0);
    cr_assert_eq(d.state, HOST_TSM_APPLIED);
    cr_assert_eq(d.how, HOST_TSM_BY_ACK);
    cr_assert_eq(d.attempts, 1);

    /* B: the card installs, its answer to INSTALL (the 5th command) is lost. */
    cr_assert_eq(session(&f, &cb, b.p.serial, 5, &reason), HOST_OTA_ABORTED);
    cr_assert_eq(reason, HOST_REASON_LOST);
    cr_assert_eq(cb.installs, 1, "the card did apply it");
    cr_assert_eq(host_tsm_delivery_get(f.db, camp, b.p.serial, &d), 0);
    cr_assert_eq(d.state, HOST_TSM_SENDING, "outcome unknown to the host");
    /* Next session: GET STATUS shows the application; INSTALL is not sent again. */
    cr_assert_eq(session(&f, &cb, b.p.serial, 0, &reason), HOST_OTA_DONE);
    cr_assert_eq(cb.installs, 1);
    cr_assert_eq(cb.commands, 1, "exactly one INSTALL ever reached the card");
    cr_assert_eq(host_tsm_delivery_get(f.db, camp, b.p.serial, &d), 0);
    cr_assert_eq(d.state, HOST_TSM_APPLIED);
    cr_assert_eq(d.how, HOST_TSM_BY_STATUS);
    cr_assert_eq(d.attempts, 1);
    cr_assert_eq(d.sessions, 2);

    /* C: the card refuses once (6A80), then takes it. */
    cc.fail_installs = 1;
    cr_assert_eq(session(&f, &cc, c.p.serial, 0, &reason), HOST_OTA_DONE);
    cr_assert_eq(host_tsm_delivery_get(f.db, camp, c.p.serial, &d), 0);
    cr_assert_eq(d.state, HOST_TSM_PENDING);
    cr_assert_eq(d.last_sw, 0x6A80);
    cr_assert_eq(d.last_reason, HOST_REASON_CARD_ERROR);
    cr_assert_eq(session(&f, &cc, c.p.serial, 0, &reason), HOST_OTA_DONE);
    cr_assert_eq(host_tsm_delivery_get(f.db, camp, c.p.serial, &d), 0);
    cr_assert_eq(d.state, HOST_TSM_APPLIED);
    cr_assert_eq(d.attempts, 2);
    cr_assert_eq(cc.installs, 1);

    /* Nothing left: no session. */
    cr_assert_eq(session(&f, &ca, a.p.serial, 0, &reason), HOST_OTA_NONE);
    cr_assert_eq(host_tsm_campaign_counts(f.db, camp, counts), 0);
    cr_assert_eq(counts[HOST_TSM_APPLIED], 3);
    fx_close(&f);
}

Test(host_tsm, lost_before_the_script_and_attempt_limit)
{
    fx_card a, b;
    fake_card ca, cb;
    host_tsm_delivery d;
    int64_t camp;
    int reason;
    fx f;

    fx_open(&f, NULL);
    fx_card_issue(&f, &a, 0, 0);
    fx_card_issue(&f, &b, 0, 0);
    fake_init(&ca, &a.p);
    fake_init(&cb, &b.p);
    camp = install_campaign(&f, 2);
    cr_assert_eq(host_tsm_target(f.db, camp, &a.p.serial, 1), 0);
    cr_assert_eq(host_tsm_target(f.db, camp, &b.p.serial, 1), 0);
    /* The card leaves during the handshake: nothing sent, nothing counted. */
    cr_assert_eq(session(&f, &ca, a.p.serial, 2, &reason), HOST_OTA_ABORTED);
    cr_assert_eq(host_tsm_delivery_get(f.db, camp, a.p.serial, &d), 0);
    cr_assert_eq(d.state, HOST_TSM_PENDING);
    cr_assert_eq(d.attempts, 0);
    cr_assert_eq(session(&f, &ca, a.p.serial, 0, &reason), HOST_OTA_DONE);
    cr_assert_eq(ca.installs, 1);

    /* A card that always refuses: FAILED after two sends, then never sent again. */
    cb.fail_installs = 100;
    cr_assert_eq(session(&f, &cb, b.p.serial, 0, &reason), HOST_OTA_DONE);
    cr_assert_eq(session(&f, &cb, b.p.serial, 0, &reason), HOST_OTA_DONE);
    cr_assert_eq(host_tsm_delivery_get(f.db, camp, b.p.serial, &d), 0);
    cr_assert_eq(d.state, HOST_TSM_FAILED);
    cr_assert_eq(d.attempts, 2);
    cr_assert_eq(session(&f, &cb, b.p.serial, 0, &reason), HOST_OTA_NONE);
    cr_assert_eq(cb.commands, 2);
    fx_close(&f);
}

Test(host_tsm, lock_and_delete_campaigns_check_the_card_state)
{
    host_tsm_campaign camp;
    host_tsm_delivery d;
    fake_card ca;
    fx_card a;
    int64_t inst, lock, del;
    int reason;
    fx f;

    fx_open(&f, NULL);
    fx_card_issue(&f, &a, 0, 0);
    fake_init(&ca, &a.p);
    inst = install_campaign(&f, 3);
    memset(&camp, 0, sizeof camp);
    camp.name = "TEST lock";
    camp.op = HOST_TSM_LOCK;
    camp.app_aid = APP;
    camp.app_aid_len = sizeof APP;
    camp.kvn = FX_KVN;
    cr_assert_eq(host_tsm_campaign_create(f.db, &camp, &lock), 0);
    camp.name = "TEST delete";
    camp.op = HOST_TSM_DELETE;
    cr_assert_eq(host_tsm_campaign_create(f.db, &camp, &del), 0);
    cr_assert_eq(host_tsm_target(f.db, inst, &a.p.serial, 1), 0);
    cr_assert_eq(host_tsm_target(f.db, lock, &a.p.serial, 1), 0);
    /* Install and lock in one session; the lock's answer is lost (7th command:
     * SELECT, INIT, AUTH, STATUS, INSTALL, STATUS, SET STATUS). */
    cr_assert_eq(session(&f, &ca, a.p.serial, 7, &reason), HOST_OTA_ABORTED);
    cr_assert_eq(ca.apps[0].lcs, 0x87, "locked on the card");
    cr_assert_eq(host_tsm_delivery_get(f.db, lock, a.p.serial, &d), 0);
    cr_assert_eq(d.state, HOST_TSM_SENDING);
    cr_assert_eq(session(&f, &ca, a.p.serial, 0, &reason), HOST_OTA_DONE);
    cr_assert_eq(host_tsm_delivery_get(f.db, lock, a.p.serial, &d), 0);
    cr_assert_eq(d.how, HOST_TSM_BY_STATUS);
    cr_assert_eq(ca.commands, 2, "INSTALL and SET STATUS once each");
    /* Delete: the card loses it, the ack is lost, the next check sees it gone. */
    cr_assert_eq(host_tsm_target(f.db, del, &a.p.serial, 1), 0);
    cr_assert_eq(session(&f, &ca, a.p.serial, 5, &reason), HOST_OTA_ABORTED);
    cr_assert_eq(ca.napps, 0u);
    cr_assert_eq(session(&f, &ca, a.p.serial, 0, &reason), HOST_OTA_DONE);
    cr_assert_eq(host_tsm_delivery_get(f.db, del, a.p.serial, &d), 0);
    cr_assert_eq(d.state, HOST_TSM_APPLIED);
    cr_assert_eq(d.how, HOST_TSM_BY_STATUS);
    cr_assert_eq(ca.deletes, 1);
    fx_close(&f);
}

/* The terminal's side of OTA through the protocol: fetch, then a result per command. */
static int ota_over_protocol(fx *f, fake_card *c, uint64_t serial, int lose_at)
{
    host_msg_ota_fetch q = {FX_GATE_A, serial};
    host_msg r;
    uint8_t frame[400], rsp[300], *raw;
    size_t n;
    int k = 0;

    cr_assert_eq(host_proto_encode_ota_fetch(21, &q, frame, sizeof frame, &n), 0);
    fx_call(f, frame, n, &r, &raw);
    for (;;) {
        host_msg_ota_result res;
        cr_assert_eq(r.type, HOST_MSG_OTA_COMMAND);
        cr_assert_eq(r.u.ota_cmd.serial, serial);
        if (r.u.ota_cmd.status != HOST_OTA_SEND) {
            int status = r.u.ota_cmd.status;
            free(raw);
            return status;
        }
        memset(&res, 0, sizeof res);
        res.terminal = FX_GATE_A;
        res.serial = serial;
        res.session = r.u.ota_cmd.session;
        res.step = r.u.ota_cmd.step;
        n = fake_apdu(c, r.u.ota_cmd.apdu, r.u.ota_cmd.length, rsp);
        if (++k == lose_at) {
            res.outcome = HOST_OTA_LOST;
        } else {
            res.outcome = HOST_OTA_RESPONSE;
            res.rsp = rsp;
            res.length = (uint16_t)n;
        }
        free(raw);
        cr_assert_eq(host_proto_encode_ota_result(22, &res, frame, sizeof frame, &n), 0);
        fx_call(f, frame, n, &r, &raw);
    }
}

Test(host_tsm, delivery_through_the_protocol)
{
    host_msg_ota_result stale;
    host_tsm_delivery d;
    fake_card ca;
    fx_card a;
    host_msg r;
    uint8_t frame[128], *raw;
    int64_t camp;
    size_t n;
    fx f;

    fx_open(&f, NULL);
    fx_card_issue(&f, &a, 0, 0);
    fake_init(&ca, &a.p);
    cr_assert_eq(ota_over_protocol(&f, &ca, a.p.serial, 0), HOST_OTA_NONE);
    camp = install_campaign(&f, 3);
    cr_assert_eq(host_tsm_target(f.db, camp, &a.p.serial, 1), 0);
    cr_assert_eq(ota_over_protocol(&f, &ca, a.p.serial, 5), HOST_OTA_ABORTED);
    cr_assert_eq(ota_over_protocol(&f, &ca, a.p.serial, 0), HOST_OTA_DONE);
    cr_assert_eq(host_tsm_delivery_get(f.db, camp, a.p.serial, &d), 0);
    cr_assert_eq(d.state, HOST_TSM_APPLIED);
    cr_assert_eq(d.how, HOST_TSM_BY_STATUS);
    cr_assert_eq(ca.installs, 1);
    /* A result for a session the host does not have: refused with a reason. */
    memset(&stale, 0, sizeof stale);
    stale.terminal = FX_GATE_A;
    stale.serial = a.p.serial;
    stale.session = 999;
    stale.outcome = HOST_OTA_LOST;
    cr_assert_eq(host_proto_encode_ota_result(23, &stale, frame, sizeof frame, &n), 0);
    fx_call(&f, frame, n, &r, &raw);
    cr_assert_eq(r.u.ota_cmd.status, HOST_OTA_ABORTED);
    cr_assert_eq(r.u.ota_cmd.reason, HOST_REASON_SESSION);
    free(raw);
    fx_close(&f);
}
