/*
 * obol termsim tests: a day in miniature (term_day.h): cards issued by the platform and
 * personalized from profiles, loads with the host's MAC2, taps at gates and a bus, a
 * shop, a lost card, a torn exit, uploads with lost acknowledgements, settlement:
 * the host's sums equal the terminals' to the fen and every TAC verifies.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "obol/term_day.h"

Test(day, miniature_day_settles_to_the_fen, .timeout = 120)
{
    term_day_options o;
    term_day_figures f;
    char err[256];
    int rc;

    memset(&o, 0, sizeof o);
    o.seed = 7;
    o.cards = 24;
    rc = term_day_run(&o, &f, err, sizeof err);
    cr_assert_eq(rc, 0, "day: %s (%d)", err, rc);
    term_day_print(&f, stderr);
    cr_expect(f.sums_match);
    cr_expect_eq(f.tac_failed, 0);
    cr_expect_eq(f.tac_verified, f.records_uploaded);
    cr_expect_eq(f.exceptions, 0);
    cr_expect_eq(f.recon_mismatches, 0);
    cr_expect_eq(f.balances_ok, f.balances_checked);
    cr_expect_eq(f.recovered, 1);
    cr_expect_gt(f.resends, 0, "no acknowledgement was lost: the retry path went unused");
    cr_expect_gt(f.blacklisted, 0, "the lost card never showed up");
    cr_expect_gt(f.transfers, 0);
    cr_expect_gt(f.discounts, 0);
    cr_expect_eq(f.loads, 24);
    cr_assert(f.ok);
}

Test(day, same_seed_same_figures, .timeout = 120)
{
    term_day_options o;
    term_day_figures a, b;
    char err[256];

    memset(&o, 0, sizeof o);
    o.seed = 3;
    o.cards = 6;
    cr_assert_eq(term_day_run(&o, &a, err, sizeof err), 0, "%s", err);
    cr_assert_eq(term_day_run(&o, &b, err, sizeof err), 0, "%s", err);
    cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
}
