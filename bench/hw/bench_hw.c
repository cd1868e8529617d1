/*
 * obol benchmark: the Cortex-M3 card image (build-arm/obol-card.elf) under QEMU.
 *
 *   hw.flash_bytes, hw.ram_bytes   the image's size against the chip budget, from its
 *                                  linker map (cardsim/port/cortexm/size-budget.sh)
 *   hw.purchase_ms                 wall time of a full purchase against the image under
 *                                  QEMU (no icount): cold power-on, SELECT, READ BINARY,
 *                                  INITIALIZE FOR PURCHASE, INIT SAM FOR PURCHASE on the
 *                                  in-process PSAM, DEBIT FOR PURCHASE, CREDIT SAM FOR
 *                                  PURCHASE, GET BALANCE; median of --count (21)
 *   hw.instr_<command>             instructions the image executes for each main command
 *                                  (tests/hw/hw_timing.c: -icount, control code 0x20),
 *                                  the figures behind scenarios/profiles/chip-cm3-image.xml
 *
 *   bench_hw [--count N] [--elf F] [--map F] [--profile-out F] [--clock-mhz F] [--cpi F]
 *
 * --profile-out writes the chip profile from the measured instructions at the clock
 * and CPI given (30 MHz, 1.5 by default): that is how chip-cm3-image.xml is made
 * (docs/firmware.md). Without the image or QEMU it says why and prints no figure
 * (exit 0), as the other benchmarks that need outside programs.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hw_timing.h"
#include "hwlib.h"

#ifndef OBOL_CARD_MAP_DEFAULT
#define OBOL_CARD_MAP_DEFAULT "build-arm/obol-card.map"
#endif
#ifndef OBOL_SIZE_BUDGET
#define OBOL_SIZE_BUDGET "cardsim/port/cortexm/size-budget.sh"
#endif

#define MAX_COUNT 201

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The BENCH lines of size-budget.sh, passed through. */
static int sizes(const char *map)
{
    char cmd[2048], line[256];
    if (access(map, R_OK) != 0) {
        fprintf(stderr, "bench_hw: no linker map %s: no size figures\n", map);
        return 0;
    }
    snprintf(cmd, sizeof(cmd), "'%s' '%s'", OBOL_SIZE_BUDGET, map);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    while (fgets(line, sizeof(line), p) != NULL)
        if (strncmp(line, "BENCH hw.", 9) == 0)
            fputs(line, stdout);
    return pclose(p) == 0 ? 0 : -1;
}

/* COUNT purchases of 1 fen on one image under QEMU; the median wall time in *MS. */
static int purchases(const char *elf, int count, double *ms)
{
    char err[512], path[64];
    uint8_t *img = NULL, *sam_nvm = NULL, atr[64];
    size_t atrlen;
    hw_card *card = NULL, *sam = NULL;
    hw_qemu_opts qo = {.elf = elf};
    double t[MAX_COUNT];
    int rc = -1;
    snprintf(path, sizeof(path), "/tmp/obol-bench-hw-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    if (hw_image_make("purse-funded", HW_NVM_SIZE, 0, &img, err, sizeof(err)) != 0 ||
        hw_image_make("psam", 32768, 1, &sam_nvm, err, sizeof(err)) != 0 ||
        hw_file_write(path, img, HW_NVM_SIZE) != 0 ||
        hw_open_qemu(&card, &qo, path, 0, err, sizeof(err)) != 0 ||
        hw_open_host(&sam, sam_nvm, 32768, 1, err, sizeof(err)) != 0 ||
        hw_power_on(sam, 0, atr, sizeof(atr), &atrlen) != 0)
        goto out;
    for (int i = 0; i < count; i++) {
        hw_purchase p = {.amount = 1};
        uint16_t sw = 0;
        double t0 = now_ms();
        if (hw_power_on(card, 0, atr, sizeof(atr), &atrlen) != 0 ||
            hw_purchase_begin(card, sam, &p) != 0 || hw_purchase_end(card, sam, &p) != 0 ||
            hw_transmit_hex(card, "805C000204", NULL, NULL, &sw) != 0 || sw != 0x9000) {
            snprintf(err, sizeof(err), "purchase %d: %s, SW %04X: %s", i,
                     hw_purchase_stage(p.stage), p.sw ? p.sw : sw, hw_errmsg(card));
            goto out;
        }
        t[i] = now_ms() - t0;
        hw_power_off(card);
    }
    qsort(t, (size_t)count, sizeof(t[0]), cmp_double);
    *ms = t[count / 2];
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "bench_hw: %s\n", err);
    hw_close(card, NULL, NULL, 0);
    hw_close(sam, NULL, NULL, 0);
    remove(path);
    free(img);
    free(sam_nvm);
    return rc;
}

int main(int argc, char **argv)
{
    const char *elf = hw_elf_default(), *map = OBOL_CARD_MAP_DEFAULT, *profile_out = NULL;
    double mhz = 30, cpi = 1.5;
    int count = 21;
    static const struct option longopts[] = {{"count", required_argument, NULL, 'n'},
                                             {"elf", required_argument, NULL, 'e'},
                                             {"map", required_argument, NULL, 'm'},
                                             {"profile-out", required_argument, NULL, 'o'},
                                             {"clock-mhz", required_argument, NULL, 'c'},
                                             {"cpi", required_argument, NULL, 'p'},
                                             {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            count = atoi(optarg);
            break;
        case 'e':
            elf = optarg;
            break;
        case 'm':
            map = optarg;
            break;
        case 'o':
            profile_out = optarg;
            break;
        case 'c':
            mhz = strtod(optarg, NULL);
            break;
        case 'p':
            cpi = strtod(optarg, NULL);
            break;
        default:
            return 2;
        }
    }
    if (count < 1 || count > MAX_COUNT || mhz <= 0 || cpi <= 0 || optind != argc) {
        fprintf(stderr,
                "usage: bench_hw [--count 1..%d] [--elf F] [--map F] [--profile-out F] "
                "[--clock-mhz F] [--cpi F]\n",
                MAX_COUNT);
        return 2;
    }
    if (sizes(map) != 0)
        return 1;
    if (access(elf, R_OK) != 0) {
        fprintf(stderr, "bench_hw: no card image %s ('make firmware'): no QEMU figures\n", elf);
        return 0;
    }
    const char *qemu = getenv("OBOL_QEMU") ? getenv("OBOL_QEMU") : "qemu-system-arm";
    char probe[512];
    snprintf(probe, sizeof(probe), "command -v '%s' >/dev/null 2>&1", qemu);
    if (system(probe) != 0) {
        fprintf(stderr, "bench_hw: %s is not installed: no QEMU figures\n", qemu);
        return 0;
    }
    double ms;
    if (purchases(elf, count, &ms) != 0)
        return 1;
    printf("BENCH hw.purchase_ms %.2f ms\n", ms);
    static hw_timing t;
    char err[512];
    if (hw_timing_measure(elf, "purse-funded", "multiapp", &t, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_hw: %s\n", err);
        return 1;
    }
    printf("BENCH hw.instr_power_on %llu instructions\n", (unsigned long long)t.power_on_instr);
    for (size_t i = 0; i < t.n; i++)
        printf("BENCH hw.instr_%s %llu instructions\n", t.cmd[i].name,
               (unsigned long long)t.cmd[i].instr);
    if (profile_out != NULL) {
        FILE *f = fopen(profile_out, "w");
        if (f == NULL) {
            fprintf(stderr, "bench_hw: cannot write %s\n", profile_out);
            return 1;
        }
        hw_timing_write_profile(&t, mhz, cpi, f);
        if (fclose(f) != 0)
            return 1;
        fprintf(stderr, "bench_hw: wrote %s (%.0f MHz, CPI %.2f)\n", profile_out, mhz, cpi);
    }
    return 0;
}
