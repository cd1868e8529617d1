/*
 * obol termsim tests: application selection (PPSE on the contactless interface, PSE
 * on the contact interface, direct SELECT over the terminal's prioritized AID list)
 * and the reader trace: every command and response is reported with the reader's
 * name and the time, which the timing model advances.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tt.h"

typedef struct tr {
    int n;
    uint8_t cmd[64][8];
    int ncmd;
    int64_t last_time;
    int monotonic;
} tr;

static void on_trace(void *ctx, const term_trace_event *ev)
{
    tr *t = ctx;

    if (ev->time < t->last_time)
        t->monotonic = 0;
    t->last_time = ev->time;
    if (ev->kind == TERM_TRACE_CMD && t->ncmd < 64) {
        memset(t->cmd[t->ncmd], 0, 8);
        memcpy(t->cmd[t->ncmd], ev->data, ev->len < 8 ? ev->len : 8);
        t->ncmd++;
    }
    t->n++;
}

/* The index of the first traced command starting with the LEN bytes P, or -1. */
static int find_cmd(const tr *t, const uint8_t *p, size_t len)
{
    for (int i = 0; i < t->ncmd; i++)
        if (memcmp(t->cmd[i], p, len) == 0)
            return i;
    return -1;
}

/* 100 us per byte on the air and 1 ms per NVM page, so time moves. */
static int64_t timing(void *ctx, const term_reader *r, int op, size_t cmdlen, size_t rsplen,
                      const cos_cost *work)
{
    (void)ctx;
    (void)r;
    (void)op;
    return (int64_t)(cmdlen + rsplen) * 100000 + (int64_t)work->nvm_pages * 1000000;
}

Test(select, ppse_priorities_and_trace)
{
    static const term_aid aids[2] = {
        {{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01}, 8, 1, 0},
        {{0xA0, 0x00, 0x00, 0x00, 0x03, 0x86, 0x98, 0x07, 0x01}, 9, 2, 0},
    };
    static const uint8_t sel_qp[] = {0x00, 0xA4, 0x04, 0x00, 0x08, 0xA0};
    static const uint8_t sel_purse[] = {0x00, 0xA4, 0x04, 0x00, 0x09, 0xA0};
    term_store_options o = {.mode = TERM_STORE_SIM};
    term_config cfg = {.kind = TERM_POS, .pin_free_limit = 5000, .aids = aids, .naids = 2};
    term_store *s;
    tt_term pos;
    tt_card card;
    term_result r;
    tr t;

    cr_assert_eq(term_store_open(NULL, &o, &s), 0);
    tt_term_open(&pos, &cfg, 0x0000000000310501ull, s);
    tt_card_open(&card, TT_DIR "/ppse.profile", 0x0000000100000501ull, NULL);
    tt_card_fund(&card, 1000);
    memset(&t, 0, sizeof t);
    t.monotonic = 1;
    term_reader_set_trace(&pos.card_rd.base, on_trace, &t);
    term_reader_set_trace(&pos.psam_rd.base, on_trace, &t);
    term_simreader_set_timing(&pos.card_rd, timing, NULL);
    term_simreader_insert(&pos.card_rd, &card.card);
    cr_assert_eq(term_purchase(pos.t, TT_T0, 150, &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED, "reason %s", term_reason_name(r.reason));
    /* PPSE first, then the card's priority 1 (absent here), then the purse. */
    cr_assert_eq(memcmp(t.cmd[0],
                        "\x00\xA4\x04\x00\x0E"
                        "2PA",
                        8),
                 0);
    cr_assert_eq(find_cmd(&t, sel_qp, sizeof sel_qp), 1);
    cr_assert_eq(find_cmd(&t, sel_purse, sizeof sel_purse), 2);
    /* The PSAM's INIT SAM FOR PURCHASE is traced too, and time only moves forward. */
    cr_assert_geq(find_cmd(&t, (const uint8_t *)"\x80\x70", 2), 0);
    cr_assert(t.monotonic);
    cr_assert_gt(r.duration, 0);
    cr_assert_eq(t.last_time, r.start + r.duration);
    tt_card_close(&card);
    tt_term_close(&pos);
    term_store_close(s);
}

Test(select, contact_pse_directory)
{
    static const uint8_t read_dir[] = {0x00, 0xB2, 0x01, 0x0C};
    term_store_options o = {.mode = TERM_STORE_SIM};
    term_config cfg = {.kind = TERM_STB};
    term_store *s;
    tt_term stb;
    tt_card card;
    term_result r;
    tr t;

    cr_assert_eq(term_store_open(NULL, &o, &s), 0);
    tt_term_open(&stb, &cfg, 0x0000000000550501ull, s);
    tt_card_open(&card, TT_DIR "/pse.profile", 0x0000000100000502ull, NULL);
    tt_card_fund(&card, 1000);
    memset(&t, 0, sizeof t);
    term_reader_set_trace(&stb.card_rd.base, on_trace, &t);
    term_simreader_insert(&stb.card_rd, &card.card);
    cr_assert_eq(term_purchase(stb.t, TT_T0, 500, &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED, "reason %s", term_reason_name(r.reason));
    cr_assert_eq(memcmp(t.cmd[0],
                        "\x00\xA4\x04\x00\x0E"
                        "1PA",
                        8),
                 0);
    cr_assert_eq(find_cmd(&t, read_dir, sizeof read_dir), 1);
    tt_card_close(&card);
    tt_term_close(&stb);
    term_store_close(s);
}

Test(select, direct_select_without_directory_and_partial_aid)
{
    static const term_aid aids[1] = {{{0xA0, 0x00, 0x00, 0x00, 0x03, 0x86}, 6, 1, 1}};
    term_store_options o = {.mode = TERM_STORE_SIM};
    term_config cfg = {.kind = TERM_POS, .pin_free_limit = 5000, .no_directory = 1};
    term_config pcfg = {.kind = TERM_POS, .pin_free_limit = 5000, .aids = aids, .naids = 1};
    term_store *s;
    tt_term pos, ppos;
    tt_card card, pcard;
    term_result r;
    tr t;

    cr_assert_eq(term_store_open(NULL, &o, &s), 0);
    tt_term_open(&pos, &cfg, 0x0000000000310502ull, s);
    tt_card_open(&card, "transit-card", 0x0000000100000503ull, NULL);
    tt_card_fund(&card, 1000);
    memset(&t, 0, sizeof t);
    term_reader_set_trace(&pos.card_rd.base, on_trace, &t);
    term_simreader_insert(&pos.card_rd, &card.card);
    cr_assert_eq(term_purchase(pos.t, TT_T0, 100, &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED);
    cr_assert_eq(memcmp(t.cmd[0], "\x00\xA4\x04\x00\x09\xA0", 6), 0);
    /* A partial AID matches the full one in a PPSE. */
    tt_term_open(&ppos, &pcfg, 0x0000000000310503ull, s);
    tt_card_open(&pcard, TT_DIR "/ppse.profile", 0x0000000100000504ull, NULL);
    tt_card_fund(&pcard, 1000);
    term_simreader_insert(&ppos.card_rd, &pcard.card);
    cr_assert_eq(term_purchase(ppos.t, TT_T0, 100, &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED, "reason %s", term_reason_name(r.reason));
    tt_card_close(&card);
    tt_card_close(&pcard);
    tt_term_close(&pos);
    tt_term_close(&ppos);
    term_store_close(s);
}
