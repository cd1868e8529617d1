/*
 * obol scenarios: the loader (every library scenario loads; every file in
 * tests/scenario/bad/ is rejected with the file, the line and the message its first
 * comment expects), time and duration parsing, profiles, and the timing model's
 * formulas against values computed by hand from ISO/IEC 14443 and 7816-3.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/scenario.h"
#include "obol/sim_timing.h"
#include "obol/sim_world.h"

#ifndef TEST_DIR
#define TEST_DIR "tests/scenario"
#endif

static const char *const library[] = {"metro_peak", "replay_attack", "blacklist_lag",
                                      "ota_update", "card_tearing",  "host_outage",
                                      "retail_pos", "paytv_stb",     "dual_interface"};

Test(scenario_load, every_library_scenario_loads)
{
    for (size_t i = 0; i < sizeof(library) / sizeof(library[0]); i++) {
        char path[512], err[1600];
        snprintf(path, sizeof(path), "%s/%s.xml", scn_schema_dir(), library[i]);
        scenario sc;
        cr_assert_eq(scn_load(&sc, path, err, sizeof(err)), 0, "%s", err);
        cr_expect_str_eq(sc.name, library[i]);
        cr_expect(sc.nchecks > 0);
        cr_expect(sc.description != NULL && strlen(sc.description) > 40);
        scn_free(&sc);
    }
}

Test(scenario_load, metro_peak_is_the_size_the_issue_asks_for)
{
    char path[512], err[1600];
    snprintf(path, sizeof(path), "%s/metro_peak.xml", scn_schema_dir());
    scenario sc;
    cr_assert_eq(scn_load(&sc, path, err, sizeof(err)), 0, "%s", err);
    int stations = 0;
    for (size_t i = 0; i < sc.ngroups; i++)
        stations += sc.groups[i].stations;
    cr_expect_geq(stations, 20);
    cr_expect_geq(scn_terminals(&sc), 200);
    cr_expect_geq(sc.cards, 20000u);
    scn_free(&sc);
}

Test(scenario_load, the_model_holds_what_the_file_says)
{
    scenario sc;
    char err[1600];
    cr_assert_eq(scn_load(&sc, TEST_DIR "/data/small.xml", err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(sc.seed, 7);
    cr_expect_eq(sc.start, 7 * SIM_HOUR);
    cr_expect_eq(sc.end, 7 * SIM_HOUR + 20 * SIM_MIN);
    cr_expect_eq(sc.drain, 20 * SIM_MIN);
    cr_expect_eq(sc.ngroups, 1);
    cr_expect_eq(scn_terminals(&sc), 4);
    cr_expect_eq(sc.groups[0].blacklist_every, 5 * SIM_MIN);
    cr_expect_eq(sc.links[0].latency_ms, 20);
    cr_expect_eq(sc.cards, 300);
    cr_expect_eq(sc.balance_min, 3000);
    cr_expect_eq(sc.nrates, 1);
    cr_expect_eq(sc.rates[0].per_min, 30);
    cr_expect_eq(sc.nevents, 1);
    cr_expect_eq(sc.events[0].kind, SCN_EV_LOST_CARD);
    cr_expect_eq(sc.events[0].every, 2 * SIM_MIN);
    cr_expect_eq(sc.nchecks, 3);
    cr_expect_str_eq(sc.checks[1].id, "MONEY-CONS-01");
    /* Schema defaults land in the model: tap-failure absent, sigma given. */
    cr_expect_eq(sc.tap_fail_p, 0);
    cr_expect_eq(sc.bitrate, 106);
    cr_expect_eq(sc.card_chip.nvm_page_bytes, 64);
    scn_free(&sc);
}

Test(scenario_load, every_bad_file_is_rejected_with_file_and_line)
{
    DIR *d = opendir(TEST_DIR "/bad");
    cr_assert_not_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".xml") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/bad/%s", TEST_DIR, e->d_name);
        /* Line 2: <!-- expect LINE: TEXT --> */
        FILE *f = fopen(path, "r");
        cr_assert_not_null(f);
        char l1[256], l2[256];
        cr_assert_not_null(fgets(l1, sizeof(l1), f));
        cr_assert_not_null(fgets(l2, sizeof(l2), f));
        fclose(f);
        int line = 0;
        char want[200] = "";
        cr_assert(sscanf(l2, "<!-- expect %d: %199[^\n]", &line, want) >= 1, "%s: %s", path, l2);
        char *end = strstr(want, " -->");
        if (end != NULL)
            *end = '\0';
        if (strcmp(want, "-->") == 0)
            want[0] = '\0';
        scenario sc;
        char err[1600] = "";
        int rc = scn_load(&sc, path, err, sizeof(err));
        cr_expect_neq(rc, 0, "%s was accepted", path);
        char prefix[600];
        snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
        cr_expect_eq(strncmp(err, prefix, strlen(prefix)), 0, "%s: got '%s'", prefix, err);
        cr_expect_not_null(strstr(err, want), "%s: '%s' lacks '%s'", path, err, want);
        if (rc == 0)
            scn_free(&sc);
        n++;
    }
    closedir(d);
    cr_expect_geq(n, 15);
}

Test(scenario_load, missing_file_is_an_io_error)
{
    scenario sc;
    char err[512];
    cr_expect_eq(scn_load(&sc, "/nonexistent/x.xml", err, sizeof(err)), SCN_ERR_IO);
    cr_expect_not_null(strstr(err, "/nonexistent/x.xml"));
}

Test(scenario_load, profiles_validate_and_reject_unknown_kinds)
{
    char path[512], err[1600];
    snprintf(path, sizeof(path), "%s/profiles/air-iso14443a.xml", scn_schema_dir());
    cr_expect_eq(scn_validate(path, err, sizeof(err)), 0, "%s", err);
    snprintf(path, sizeof(path), "%s/bad/profiles/chip-missing.xml", TEST_DIR);
    scenario sc;
    cr_expect_eq(scn_load(&sc, TEST_DIR "/bad/profiles/uses-bad-chip.xml", err, sizeof(err)),
                 SCN_ERR_VALUE);
    cr_expect_not_null(strstr(err, "lacks parameter 'cipher_block_us'"), "%s", err);
}

Test(scenario_parse, clock_and_duration)
{
    sim_time t;
    cr_expect_eq(scn_parse_clock("07:30", &t), 0);
    cr_expect_eq(t, 7 * SIM_HOUR + 30 * SIM_MIN);
    cr_expect_eq(scn_parse_clock("25:00:05", &t), 0);
    cr_expect_eq(t, 25 * SIM_HOUR + 5 * SIM_S);
    cr_expect_eq(scn_parse_clock("7:61", &t), -1);
    cr_expect_eq(scn_parse_clock("noon", &t), -1);
    cr_expect_eq(scn_parse_duration("500ms", &t), 0);
    cr_expect_eq(t, 500 * SIM_MS);
    cr_expect_eq(scn_parse_duration("1.5h", &t), 0);
    cr_expect_eq(t, 90 * SIM_MIN);
    cr_expect_eq(scn_parse_duration("15m", &t), 0);
    cr_expect_eq(t, 15 * SIM_MIN);
    cr_expect_eq(scn_parse_duration("15", &t), -1);
    cr_expect_eq(scn_parse_duration("-1s", &t), -1);
}

Test(scenario_parse, every_metric_has_a_unit_and_a_sentence)
{
    int n = 0;
    for (const sim_metric_info *m = sim_world_metrics; m->name != NULL; m++, n++) {
        cr_expect(m->unit != NULL && m->unit[0], "%s", m->name);
        cr_expect(m->what != NULL && strlen(m->what) > 15, "%s", m->name);
        cr_expect(sim_world_metric_known(m->name));
    }
    cr_expect_geq(n, 30);
    cr_expect_not(sim_world_metric_known("tap_ms.p98"));
}

/* ---- the timing model ---------------------------------------------------------------- */

static const sim_air air = {.fc_hz = 13.56e6,
                            .etu_fc_106 = 128,
                            .bits_per_byte = 9,
                            .sof_bits = 1,
                            .eof_bits = 1,
                            .crc_bytes = 2,
                            .prologue_bytes = 1,
                            .fdt_picc_fc = 1236,
                            .fdt_pcd_fc = 1172,
                            .request_guard_fc = 7000,
                            .power_up_us = 5000,
                            .activation_pcd_bytes = 16,
                            .activation_picc_bytes = 20,
                            .activation_frames = 4,
                            .sfgt_us = 302,
                            .fwi = 7,
                            .fwt_unit_fc = 4096,
                            .wtx_bytes = 2,
                            .deselect_bytes = 1,
                            .frame_error = 0};

Test(timing, air_etu_and_fwt_follow_iso14443)
{
    /* 106 kbit/s: 128/fc = 9.4395 us; 848 kbit/s: 16/fc = 1.1799 us. */
    cr_expect_float_eq(sim_air_etu_ns(&air, 106), 9439.528, 0.01);
    cr_expect_float_eq(sim_air_etu_ns(&air, 848), 1179.941, 0.01);
    /* FWT = 256 x 16 / fc x 2^7 = 38.664 ms (PROTOCOLS.md: 302.1 us x 2^FWI). */
    cr_expect(llabs(sim_air_fwt(&air) - 38664307) < 2, "%lld", (long long)sim_air_fwt(&air));
}

Test(timing, an_air_exchange_is_frames_delays_and_work)
{
    /* SELECT (14 bytes) -> 9000: frames of 1 + 14 + 2 and 1 + 2 + 2 bytes, 9 bits each
     * plus SOF/EOF, two frame delay times, no card work. */
    double etu = 128 / 13.56e6 * 1e9;
    double want = ((1 + 17 * 9 + 1) + (1 + 5 * 9 + 1)) * etu + (1236 + 1172) / 13.56e6 * 1e9;
    cr_expect(llabs(sim_air_exchange(&air, 106, 14, 2, 0, NULL) - llround(want)) <= 1);
    /* Work beyond FWT costs a WTX round trip per FWT. */
    unsigned wtx = 0;
    sim_time fwt = sim_air_fwt(&air);
    sim_air_exchange(&air, 106, 5, 2, fwt - 1, &wtx);
    cr_expect_eq(wtx, 0);
    sim_air_exchange(&air, 106, 5, 2, 2 * fwt + 1, &wtx);
    cr_expect_eq(wtx, 2);
    /* Faster bit rates shorten the frames, not the work. */
    cr_expect_lt(sim_air_exchange(&air, 848, 100, 100, 0, NULL),
                 sim_air_exchange(&air, 106, 100, 100, 0, NULL));
    /* A lost command waits out FWT; a bad response only costs two frames. */
    cr_expect_gt(sim_air_recovery(&air, 106, 20, 10, 1, 0), sim_air_fwt(&air));
    cr_expect_lt(sim_air_recovery(&air, 106, 20, 10, 0, 1), 2 * SIM_MS);
    /* Activation: 5 ms power-up, 0.5 ms request guard, 3.2 ms of frames at 106 kbit/s, 0.7 ms
     * of frame delays, 0.3 ms SFGT: 9.7 ms. */
    sim_time act = sim_air_activation(&air);
    cr_expect(act > 9 * SIM_MS && act < 10 * SIM_MS, "%lld", (long long)act);
}

Test(timing, contact_exchange_counts_characters_of_12_etu)
{
    /* F = 372, D = 12 at 3.57 MHz: 1 etu = 8.683 us (115.2 kbaud). */
    sim_contact c = {.clock_hz = 3.57e6,
                     .fi = 372,
                     .di = 12,
                     .char_etu = 12,
                     .turnaround_etu = 16,
                     .header_bytes = 5,
                     .procedure_bytes = 1,
                     .get_response = 1,
                     .activation_us = 20000};
    double etu = 372.0 / 12 / 3.57e6 * 1e9;
    cr_expect_float_eq(sim_contact_etu_ns(&c), etu, 0.001);
    /* A case 3 command with 4 data bytes: header + ACK, data, SW, three turnarounds. */
    double want = (6 + 4 + 2) * 12 * etu + 3 * 16 * etu;
    cr_expect(llabs(sim_contact_exchange(&c, 4, 0, 0) - llround(want)) <= 1);
    /* A case 4 command adds 61xx and GET RESPONSE. */
    double want4 = want + 2 * 12 * etu + 16 * etu + 6 * 12 * etu + 2 * 16 * etu + 8 * 12 * etu;
    cr_expect(llabs(sim_contact_exchange(&c, 4, 8, 0) - llround(want4)) <= 2);
    /* 9600 baud is 12 times slower per character. */
    sim_contact slow = c;
    slow.di = 1;
    cr_expect_gt(sim_contact_exchange(&slow, 4, 8, 0), 11 * sim_contact_exchange(&c, 4, 8, 0));
}

Test(timing, chip_work_is_the_counters_times_the_profile)
{
    sim_chip ch = {.apdu_us = 400,
                   .nvm_write_us = 150,
                   .nvm_page_us = 1800,
                   .nvm_byte_us = 2,
                   .cipher_block_us = 60,
                   .rng_byte_us = 10,
                   .power_on_us = 1500,
                   .nvm_page_bytes = 64};
    sim_work w = {.apdus = 1,
                  .nvm_writes = 3,
                  .nvm_bytes = 40,
                  .nvm_pages = 4,
                  .crypto_blocks = 10,
                  .rng_bytes = 4};
    cr_expect_eq(sim_chip_time(&ch, &w), (400 + 450 + 7200 + 80 + 600 + 40) * SIM_US);
}
