/*
 * obol world: runs that pass, the same run twice giving the same report, and for each
 * scenario of the library a run with something broken on purpose — a 1-second card
 * through the chip profile, cards whose RNG repeats (replays to a clone succeed), a
 * blacklist that is never delivered, riders who
 * tap a torn card again at another gate, installations that are always torn, an outage that
 * never ends — in which the check that guards it must fail. Library scenarios are
 * shortened here (fewer cards, a shorter day) so the suite stays quick.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "obol/rpt.h"
#include "obol/scenario.h"
#include "obol/sim_world.h"

#ifndef TEST_DIR
#define TEST_DIR "tests/scenario"
#endif

static rpt_catalog cat;

static void setup(void)
{
    char err[512];
    cr_assert_eq(rpt_catalog_load(&cat, rpt_catalog_default_path(), err, sizeof(err)), 0, "%s",
                 err);
}

static void teardown(void)
{
    rpt_catalog_free(&cat);
}

static void load(scenario *sc, const char *name)
{
    char path[512], err[1600];
    if (strchr(name, '/') != NULL)
        snprintf(path, sizeof(path), "%s", name);
    else
        snprintf(path, sizeof(path), "%s/%s.xml", scn_schema_dir(), name);
    cr_assert_eq(scn_load(sc, path, err, sizeof(err)), 0, "%s", err);
}

/* Runs SC with FAULTS; returns the report (one scenario). */
static rpt_report *run(const scenario *sc, unsigned faults)
{
    rpt_report *r = rpt_report_new("test");
    cr_assert_not_null(r);
    sim_world_opts o = {0};
    o.faults = faults;
    char err[600] = "";
    cr_assert_eq(sim_world_run(sc, &o, &cat, r, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(r->n, 1);
    return r;
}

/* The status of the first check on METRIC (asserts there is one). */
static rpt_status status_of(const rpt_report *r, const char *metric)
{
    const rpt_scenario *s = r->sc[0];
    for (size_t i = 0; i < s->ncheck; i++)
        if (strcmp(s->check[i]->metric, metric) == 0)
            return s->check[i]->status;
    cr_assert_fail("no check on %s", metric);
    return RPT_ERROR;
}

static void print_fails(const rpt_report *r)
{
    const rpt_scenario *s = r->sc[0];
    for (size_t i = 0; i < s->ncheck; i++)
        if (s->check[i]->status != RPT_PASS)
            cr_log_info("%s: %s %s", s->name, s->check[i]->id, s->check[i]->message);
}

TestSuite(world, .init = setup, .fini = teardown, .timeout = 120);

Test(world, the_small_line_passes_its_checks)
{
    scenario sc;
    load(&sc, TEST_DIR "/data/small.xml");
    rpt_report *r = run(&sc, 0);
    print_fails(r);
    cr_expect(rpt_all_passed(r));
    const rpt_scenario *s = r->sc[0];
    cr_expect_geq(s->nchart, 3);
    cr_expect_gt(s->events, 100);
    /* The latency check carries an APDU trace with the purchase in it. */
    const rpt_check *c = s->check[0];
    cr_assert_not_null(c->trace);
    cr_expect_not_null(strstr(c->trace, "805401000F"), "DEBIT FOR PURCHASE in the trace");
    cr_expect_not_null(strstr(c->trace, "8070000024"), "INIT SAM FOR PURCHASE in the trace");
    rpt_report_free(r);
    scn_free(&sc);
}

static char *junit_of(const scenario *sc, unsigned faults, uint64_t seed, int has_seed)
{
    rpt_report *r = rpt_report_new("test");
    sim_world_opts o = {0};
    o.faults = faults;
    o.seed = seed;
    o.has_seed = has_seed;
    char err[600];
    cr_assert_eq(sim_world_run(sc, &o, &cat, r, err, sizeof(err)), 0, "%s", err);
    char path[] = "/tmp/obol-det-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    const char *kinds[3] = {"junit", "json", "html"};
    char *all = NULL;
    size_t total = 0;
    for (int k = 0; k < 3; k++) {
        int rc = k == 0   ? rpt_write_junit(r, path, NULL, 0)
                 : k == 1 ? rpt_write_json(r, path, NULL, 0)
                          : rpt_write_html(r, path, NULL, 0);
        cr_assert_eq(rc, 0, "%s", kinds[k]);
        FILE *f = fopen(path, "rb");
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        all = realloc(all, total + (size_t)n + 1);
        cr_assert_eq(fread(all + total, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        total += (size_t)n;
        all[total] = '\0';
    }
    unlink(path);
    rpt_report_free(r);
    return all;
}

Test(world, same_scenario_same_seed_same_report)
{
    scenario sc;
    load(&sc, TEST_DIR "/data/small.xml");
    char *a = junit_of(&sc, 0, 0, 0), *b = junit_of(&sc, 0, 0, 0);
    cr_expect_str_eq(a, b);
    char *c = junit_of(&sc, 0, 99, 1);
    cr_expect_str_neq(a, c, "another seed gives another run");
    free(a);
    free(b);
    free(c);
    scn_free(&sc);
}

Test(world, a_one_second_card_fails_the_latency_budget)
{
    scenario sc;
    load(&sc, TEST_DIR "/data/small_slow.xml");
    rpt_report *r = run(&sc, 0);
    cr_expect_eq(status_of(r, "tap_ms.p99"), RPT_FAIL);
    cr_expect_gt(r->sc[0]->check[0]->value, 1000);
    rpt_report_free(r);
    scn_free(&sc);
}

/* Shortens a library scenario: a smaller population, a shorter day. */
static void shrink(scenario *sc, uint32_t cards, sim_time span)
{
    if (sc->cards > cards)
        sc->cards = cards;
    if (sc->end - sc->start > span)
        sc->end = sc->start + span;
}

Test(world, metro_peak_fails_with_a_slow_chip)
{
    scenario sc;
    load(&sc, "metro_peak");
    shrink(&sc, 3000, 20 * SIM_MIN);
    sc.card_chip.nvm_page_us = 1e6; /* the 1-second card */
    rpt_report *r = run(&sc, 0);
    cr_expect_eq(status_of(r, "tap_ms.p99"), RPT_FAIL);
    cr_expect_eq(status_of(r, "tap_ms.max"), RPT_FAIL);
    rpt_report_free(r);
    scn_free(&sc);
}

Test(world, replay_attack_passes_and_each_replay_check_can_fail)
{
    scenario sc;
    load(&sc, "replay_attack");
    rpt_report *r = run(&sc, 0);
    print_fails(r);
    /* Cards and the platform refuse every replay. (Whether a gate opens for recorded
     * card answers is termsim's policy on a refused MAC2; the check reports it.) */
    cr_expect_eq(status_of(r, "replay.card_accepted"), RPT_PASS);
    cr_expect_eq(status_of(r, "replay.host_accepted"), RPT_PASS);
    cr_expect_eq(status_of(r, "settle.duplicates"), RPT_PASS);
    cr_expect_eq(status_of(r, "money.mismatch_cards"), RPT_PASS);
    cr_expect_neq(status_of(r, "replay.terminal_accepted"), RPT_ERROR);
    rpt_report_free(r);
    /* Cards whose RNG repeats accept a replayed DEBIT on a clone. */
    r = run(&sc, SIM_FAULT_CARD_FIXED_RNG);
    cr_expect_eq(status_of(r, "replay.card_accepted"), RPT_FAIL);
    cr_expect_eq(status_of(r, "replay.host_accepted"), RPT_PASS);
    rpt_report_free(r);
    scn_free(&sc);
}

Test(world, blacklist_lag_fails_when_the_list_never_arrives)
{
    scenario sc;
    load(&sc, "blacklist_lag");
    shrink(&sc, 1000, 150 * SIM_MIN);
    rpt_report *r = run(&sc, SIM_FAULT_BLACKLIST_LOST);
    cr_expect_eq(status_of(r, "bl.never_blocked"), RPT_FAIL);
    cr_expect_eq(status_of(r, "bl.lag_over_interval"), RPT_FAIL);
    cr_expect_eq(status_of(r, "bl.exposure_amount"), RPT_FAIL);
    rpt_report_free(r);
    scn_free(&sc);
}

Test(world, card_tearing_fails_when_riders_tap_again_elsewhere)
{
    scenario sc;
    load(&sc, "card_tearing");
    shrink(&sc, 1500, 30 * SIM_MIN);
    rpt_report *r = run(&sc, 0);
    print_fails(r);
    cr_expect(rpt_all_passed(r));
    rpt_report_free(r);
    r = run(&sc, SIM_FAULT_NO_RECOVERY);
    cr_expect_eq(status_of(r, "money.mismatch_cards"), RPT_FAIL);
    cr_expect_eq(status_of(r, "tear.inconsistent"), RPT_FAIL);
    rpt_report_free(r);
    scn_free(&sc);
}

Test(world, ota_update_fails_when_every_installation_is_torn)
{
    scenario sc;
    load(&sc, "ota_update");
    shrink(&sc, 1500, 40 * SIM_MIN);
    for (size_t i = 0; i < sc.nevents; i++)
        if (sc.events[i].kind == SCN_EV_OTA) {
            sc.events[i].count = 1000;
            sc.events[i].p = 1.0;
        }
    rpt_report *r = run(&sc, 0);
    cr_expect_eq(status_of(r, "ota.coverage"), RPT_FAIL);
    cr_expect_eq(status_of(r, "ota.corrupted"), RPT_PASS, "torn installs roll back cleanly");
    cr_expect_eq(status_of(r, "ota.twice"), RPT_PASS);
    rpt_report_free(r);
    scn_free(&sc);
}

Test(world, host_outage_fails_when_the_host_never_returns)
{
    scenario sc;
    load(&sc, "host_outage");
    shrink(&sc, 1500, 90 * SIM_MIN);
    for (size_t i = 0; i < sc.nevents; i++)
        if (sc.events[i].kind == SCN_EV_HOST_OUTAGE)
            sc.events[i].until = sc.end + sc.drain + SIM_HOUR;
    rpt_report *r = run(&sc, 0);
    cr_expect_eq(status_of(r, "host.lost_records"), RPT_FAIL);
    cr_expect_eq(status_of(r, "fares.unsettled"), RPT_FAIL);
    cr_expect_eq(status_of(r, "taps.offline_approved"), RPT_PASS);
    rpt_report_free(r);
    scn_free(&sc);
}

Test(world, purchase_budgets_fail_with_a_slow_chip)
{
    const char *names[] = {"retail_pos", "paytv_stb", "dual_interface"};
    for (int i = 0; i < 3; i++) {
        scenario sc;
        load(&sc, names[i]);
        shrink(&sc, 1000, 15 * SIM_MIN);
        sc.card_chip.nvm_page_us = 1e6;
        rpt_report *r = run(&sc, 0);
        cr_expect_eq(status_of(r, "tap_ms.p99"), RPT_FAIL, "%s", names[i]);
        rpt_report_free(r);
        scn_free(&sc);
    }
}
