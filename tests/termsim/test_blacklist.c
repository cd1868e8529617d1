/*
 * obol termsim tests: the blacklist. A listed card is refused and, when the terminal's
 * security module can compute the MAC, its application is blocked with APPLICATION
 * BLOCK (the card OS's line protection under the card's maintenance key), so it is
 * refused everywhere afterwards. Lists come from the host by version and survive a
 * restart.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tt.h"

static term_store *mem_store(void)
{
    term_store_options o = {.mode = TERM_STORE_SIM};
    term_store *s;

    cr_assert_eq(term_store_open(NULL, &o, &s), 0);
    return s;
}

/* A listed card at a terminal that can block: declined, the application blocked, the
 * hit journaled as an event; any terminal then finds the application blocked. NAME is
 * the card's profile. Returns the block's flag. */
static int block_case(const char *name, uint64_t serial, uint16_t *sw)
{
    term_store *s = mem_store();
    term_config cfg = {.kind = TERM_POS, .pin_free_limit = 10000, .block_mac = tt_block_mac};
    term_config cfg2 = {.kind = TERM_POS, .pin_free_limit = 10000};
    host_bl_entry e = {serial, HOST_BL_ADD, 1};
    tt_term pos, other;
    tt_card card;
    term_result r;
    int64_t n;
    int blocked;

    tt_term_open(&pos, &cfg, 0x0000000000310201ull, s);
    tt_term_open(&other, &cfg2, 0x0000000000310202ull, s);
    tt_card_open(&card, name, serial, NULL);
    cr_assert_eq(term_install_blacklist(pos.t, 5, 1, &e, 1), 0);
    cr_assert(term_blacklisted(pos.t, e.serial));
    cr_assert_eq(term_blacklist_version(pos.t), 5);

    term_simreader_insert(&pos.card_rd, &card.card);
    cr_assert_eq(term_purchase(pos.t, TT_T0, 100, &r), 0);
    cr_assert_eq(r.status, TERM_DECLINED);
    cr_assert_eq(r.reason, TERM_R_BLACKLISTED);
    cr_assert_eq(r.serial, serial);
    cr_assert_eq(term_journal_count(s, 0, -1, -1, &n), 0);
    cr_assert_eq(n, 0);
    blocked = (r.flags & TERM_F_BLOCKED) != 0;
    *sw = r.sw;
    if (blocked) {
        /* Another terminal, without the card on its list, finds it blocked (6283). */
        term_simreader_insert(&other.card_rd, &card.card);
        cr_assert_eq(term_purchase(other.t, TT_T0 + TT_MIN(1), 100, &r), 0);
        cr_assert_eq(r.status, TERM_DECLINED);
        cr_assert_eq(r.reason, TERM_R_APP_BLOCKED);
    }
    tt_card_close(&card);
    tt_term_close(&pos);
    tt_term_close(&other);
    term_store_close(s);
    return blocked;
}

Test(blacklist, listed_card_is_blocked_by_the_card_os)
{
    uint16_t sw;

    cr_assert(block_case(TT_DIR "/named-df.profile", 0x0000000100000201ull, &sw),
              "APPLICATION BLOCK answered %04X", sw);
}

Test(blacklist, listed_purse_card_is_refused_and_blocked)
{
    uint16_t sw;

    /* The purse applet hands APPLICATION BLOCK (84 1E) to the card OS, which checks
     * its MAC against the application maintenance key: the card ends up blocked. */
    cr_assert(block_case("transit-card", 0x0000000100000202ull, &sw),
              "APPLICATION BLOCK answered %04X", sw);
}

Test(blacklist, refused_without_block_then_delisted)
{
    term_store *s = mem_store();
    term_config cfg = {.kind = TERM_POS, .pin_free_limit = 10000};
    host_bl_entry add = {0x0000000100000203ull, HOST_BL_ADD, 1};
    host_bl_entry del = {0x0000000100000203ull, HOST_BL_REMOVE, 5};
    tt_term pos;
    tt_card card;
    term_result r;

    tt_term_open(&pos, &cfg, 0x0000000000310203ull, s);
    tt_card_open(&card, "transit-card", add.serial, NULL);
    tt_card_fund(&card, 1000);
    cr_assert_eq(term_install_blacklist(pos.t, 1, 1, &add, 1), 0);
    term_simreader_insert(&pos.card_rd, &card.card);
    cr_assert_eq(term_purchase(pos.t, TT_T0, 100, &r), 0);
    cr_assert_eq(r.reason, TERM_R_BLACKLISTED);
    cr_assert_eq(r.flags & TERM_F_BLOCKED, 0);
    cr_assert_eq(term_install_blacklist(pos.t, 2, 0, &del, 1), 0);
    cr_assert_not(term_blacklisted(pos.t, add.serial));
    term_simreader_insert(&pos.card_rd, &card.card);
    cr_assert_eq(term_purchase(pos.t, TT_T0 + TT_MIN(1), 100, &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED);
    tt_card_close(&card);
    tt_term_close(&pos);
    term_store_close(s);
}

Test(blacklist, downloaded_by_version_and_kept_across_restart)
{
    term_store *s = mem_store();
    tt_host h;
    term_config cfg = {
        .kind = TERM_GATE_ENTRY, .station = 101, .operator_id = TT_METRO, .host = tt_host_link};
    host_fare_table ft;
    term_sync_stats st;
    tt_term gate;
    tt_card card;
    term_result r;

    tt_host_init(&h);
    cfg.host_ctx = &h;
    tt_fare_metro(&ft);
    cr_assert_eq(host_fare_encode(&ft, h.fare, sizeof h.fare, &h.fare_len), 0);
    h.fare_version = 4;
    for (int i = 0; i < 40; i++) {
        h.bl[i].serial = 0x0000000100000300ull + (uint64_t)i * 7;
        h.bl[i].op = HOST_BL_ADD;
        h.bl[i].reason = 1;
    }
    h.bl_n = 40;
    h.bl_version = 12;
    tt_term_open(&gate, &cfg, 0x0000000000110201ull, s);
    /* Out of service until it has a fare table. */
    cr_assert_eq(term_tap(gate.t, TT_T0, &r), TERM_ERR_PARAMS);
    memset(&st, 0, sizeof st);
    cr_assert_eq(term_sync(gate.t, TT_T0, &st), 0);
    cr_assert_eq(st.fare_version, 4);
    cr_assert(st.fare_updated);
    cr_assert_eq(st.blacklist_version, 12);
    cr_assert_eq(st.blacklist_size, 40);
    cr_assert_eq(term_fare(gate.t)->max_fare, 800);
    /* A second sync finds everything current. */
    cr_assert_eq(term_sync(gate.t, TT_T0, &st), 0);
    cr_assert_not(st.fare_updated);
    cr_assert_not(st.blacklist_updated);
    /* After a restart the terminal has the same sets without the host. */
    tt_term_restart(&gate);
    cr_assert_eq(term_blacklist_version(gate.t), 12);
    cr_assert(term_blacklisted(gate.t, 0x0000000100000300ull + 7 * 39));
    cr_assert_not(term_blacklisted(gate.t, 0x0000000100000301ull));
    cr_assert_not_null(term_fare(gate.t));
    tt_card_open(&card, "transit-card", 0x0000000100000300ull + 7 * 3, NULL);
    tt_card_fund(&card, 2000);
    term_simreader_insert(&gate.card_rd, &card.card);
    cr_assert_eq(term_tap(gate.t, TT_T0, &r), 0);
    cr_assert_eq(r.reason, TERM_R_BLACKLISTED);
    tt_card_close(&card);
    tt_term_close(&gate);
    term_store_close(s);
    tt_host_free(&h);
}
