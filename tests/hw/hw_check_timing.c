/*
 * hw_check timing: the image's instructions per command (hw_timing.c), measured twice:
 * under -icount the figures must be identical run to run (they are what the chip
 * profile is built from), every command must have cost something, and the fitted
 * model must stay close to the measurements.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_check.h"
#include "hw_timing.h"

/* How far the fitted model may miss before the test complains: a purchase's card
 * commands together, and any one long command (short ones differ among themselves more
 * than one cost per APDU can say, and they matter little to a transaction's time). */
#define MAX_PURCHASE_ERROR 0.15
#define MAX_BIG_ERROR      0.30

int hw_check_timing(int argc, char **argv)
{
    const char *elf = hw_elf_default(), *profile_out = NULL;
    double mhz = 30, cpi = 1.5;
    static const struct option longopts[] = {{"elf", required_argument, NULL, 'e'},
                                             {"clock-mhz", required_argument, NULL, 'c'},
                                             {"cpi", required_argument, NULL, 'p'},
                                             {"profile-out", required_argument, NULL, 'o'},
                                             {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'e':
            elf = optarg;
            break;
        case 'c':
            mhz = strtod(optarg, NULL);
            break;
        case 'p':
            cpi = strtod(optarg, NULL);
            break;
        case 'o':
            profile_out = optarg;
            break;
        default:
            return 2;
        }
    }
    if (optind != argc || mhz <= 0 || cpi <= 0)
        return hw_check_usage("timing [--elf F] [--clock-mhz F] [--cpi F] [--profile-out F]");
    int rc = hw_check_skip_reason(elf);
    if (rc != 0)
        return rc;
    static hw_timing a, b;
    char err[512];
    if (hw_timing_measure(elf, "purse-funded", "multiapp", &a, err, sizeof(err)) != 0 ||
        hw_timing_measure(elf, "purse-funded", "multiapp", &b, err, sizeof(err)) != 0) {
        printf("FAIL: %s\n", err);
        return 1;
    }
    rc = 0;
    printf("%-26s %10s %10s  %s\n", "command", "instr", "model", "what");
    for (size_t i = 0; i < a.n; i++) {
        const hw_cmd_cost *c = &a.cmd[i];
        double model = hw_timing_model(&a, &c->work);
        printf("%-26s %10llu %10.0f  %s (%s)\n", c->name, (unsigned long long)c->instr, model,
               c->what, c->profile);
        if (i >= b.n || strcmp(b.cmd[i].name, c->name) != 0 || b.cmd[i].instr != c->instr) {
            printf("FAIL: %s: %llu instructions, then %llu: not deterministic\n", c->name,
                   (unsigned long long)c->instr,
                   i < b.n ? (unsigned long long)b.cmd[i].instr : 0ull);
            rc = 1;
        }
        if (c->instr == 0) {
            printf("FAIL: %s cost no instructions: is the image's timer running?\n", c->name);
            rc = 1;
        }
    }
    printf("power_on %llu instructions; fit: per APDU %.0f, per cipher block %.0f, per NVM write "
           "%.0f, per NVM byte %.1f, per random byte %.0f; model error %.1f%% on a purchase, at "
           "most %.0f%% on a long command, %.0f%% on any\n",
           (unsigned long long)a.power_on_instr, a.coef[HW_X_APDU], a.coef[HW_X_BLOCK],
           a.coef[HW_X_WRITE], a.coef[HW_X_BYTE], a.coef[HW_X_RNG], a.purchase_err * 100,
           a.big_err * 100, a.max_rel_err * 100);
    if (a.power_on_instr != b.power_on_instr || a.n != b.n) {
        printf("FAIL: the power-on or the command list changed between two runs\n");
        rc = 1;
    }
    if (a.coef[HW_X_APDU] <= 0 || a.coef[HW_X_BLOCK] <= 0) {
        printf("FAIL: the fit gives no cost per APDU or per cipher block\n");
        rc = 1;
    }
    if (a.purchase_err > MAX_PURCHASE_ERROR || a.big_err > MAX_BIG_ERROR) {
        printf("FAIL: the model misses a purchase by %.0f%% (limit %.0f%%) or a long command by "
               "%.0f%% (limit %.0f%%)\n",
               a.purchase_err * 100, MAX_PURCHASE_ERROR * 100, a.big_err * 100,
               MAX_BIG_ERROR * 100);
        rc = 1;
    }
    if (profile_out != NULL) {
        FILE *f = fopen(profile_out, "w");
        if (f == NULL) {
            printf("FAIL: cannot write %s\n", profile_out);
            return 1;
        }
        hw_timing_write_profile(&a, mhz, cpi, f);
        if (fclose(f) != 0)
            rc = 1;
    }
    return rc;
}
