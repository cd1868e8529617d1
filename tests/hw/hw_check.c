/*
 * hw_check: the hardware tests' driver (tests/hw/test_hw.sh runs it).
 *
 *   hw_check script --image FILE [--seed N] [--sam PROFILE] [--elf F] SCRIPT
 *       Runs an APDU script (core/cli/script.h: "user>" and "sam>" lines, "=> var",
 *       $var[a:b], reset, power off/on) with the card "user" being the image under
 *       QEMU on the NVM image FILE (saved back into FILE at the end) and "sam" an
 *       in-process PSAM, and prints exactly what `obol card exec --echo` prints for
 *       the same script with in-process cards (the user card seeded N, the PSAM N+1),
 *       so the two outputs compare byte for byte.
 *   hw_check powercut [--iterations N] [--seed S] [--profile P] [--dir D] [--elf F]
 *       Power cuts at random instants of purchases on the image (hw_powercut.c).
 *   hw_check timing [--elf F] [--clock-mhz F] [--cpi F]
 *       Instructions per command on the image, checked twice for determinism
 *       (hw_timing.c).
 *
 * Exit: 0 pass, 1 fail, 2 usage, 77 skipped (no image or no QEMU).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw_check.h"
#include "script.h"

#define SAM_NVM 32768u /* `obol card exec`'s default NVM size for a new card */

typedef struct saved {
    char name[SCRIPT_NAME_MAX + 1];
    uint8_t data[HW_RSP_MAX];
    size_t len;
} saved;

typedef struct script_run {
    hw_card *cards[2]; /* user (QEMU), sam (in-process) */
    const char *names[2];
    saved vars[32];
    size_t nvars;
} script_run;

int hw_check_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("hw_check: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

int hw_check_skip_reason(const char *elf)
{
    if (access(elf, R_OK) != 0) {
        printf("skip: no card image %s ('make firmware' builds it)\n", elf);
        return 77;
    }
    const char *qemu = getenv("OBOL_QEMU") ? getenv("OBOL_QEMU") : "qemu-system-arm";
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "command -v '%s' >/dev/null 2>&1", qemu);
    if (system(cmd) != 0) {
        printf("skip: %s is not installed (scripts/packages/interop.txt)\n", qemu);
        return 77;
    }
    return 0;
}

static int lookup(void *ctx, const char *name, const uint8_t **data, size_t *len)
{
    script_run *r = ctx;
    for (size_t i = 0; i < r->nvars; i++)
        if (strcmp(r->vars[i].name, name) == 0) {
            *data = r->vars[i].data;
            *len = r->vars[i].len;
            return 0;
        }
    return -1;
}

static int save(script_run *r, const char *name, const uint8_t *data, size_t len)
{
    saved *s = NULL;
    for (size_t i = 0; i < r->nvars && s == NULL; i++)
        if (strcmp(r->vars[i].name, name) == 0)
            s = &r->vars[i];
    if (s == NULL) {
        if (r->nvars == sizeof(r->vars) / sizeof(r->vars[0]))
            return -1;
        s = &r->vars[r->nvars++];
        snprintf(s->name, sizeof(s->name), "%s", name);
    }
    memcpy(s->data, data, len);
    s->len = len;
    return 0;
}

static void print_hex(const char *prefix, const uint8_t *b, size_t n)
{
    char hex[2 * HW_RSP_MAX + 1];
    if (n > HW_RSP_MAX)
        n = HW_RSP_MAX;
    printf("%s%s\n", prefix, hw_tohex(b, n, hex));
}

static int power_on(script_run *r, int i, int warm)
{
    uint8_t atr[64];
    size_t atrlen;
    char prefix[64];
    if (hw_power_on(r->cards[i], warm, atr, sizeof(atr), &atrlen) != 0) {
        fprintf(stderr, "hw_check: %s: power on: %s\n", r->names[i], hw_errmsg(r->cards[i]));
        return 1;
    }
    snprintf(prefix, sizeof(prefix), "%s ATR ", r->names[i]);
    print_hex(prefix, atr, atrlen);
    return 0;
}

static int run_script(script_run *r, script_reader *rd)
{
    static script_step st;
    static uint8_t rsp[HW_RSP_MAX];
    char err[300], prefix[64];
    for (int i = 0; i < 2; i++)
        if (power_on(r, i, 0) != 0)
            return 1;
    rd->lookup = lookup;
    rd->lookup_ctx = r;
    for (;;) {
        if (script_next(rd, &st, err, sizeof(err)) != 0)
            return hw_check_usage("%s", err);
        if (st.kind == SCRIPT_END)
            return 0;
        int i = st.card[0] == '\0' || strcmp(st.card, r->names[0]) == 0 ? 0
                : strcmp(st.card, r->names[1]) == 0                     ? 1
                                                                        : -1;
        if (i < 0)
            return hw_check_usage("%s:%u: no card named '%s' (user or sam)", rd->name, st.line,
                                  st.card);
        if (st.kind == SCRIPT_RESET || st.kind == SCRIPT_POWER_ON) {
            if (power_on(r, i, st.kind == SCRIPT_RESET) != 0)
                return 1;
            continue;
        }
        if (st.kind == SCRIPT_POWER_OFF) {
            if (hw_power_off(r->cards[i]) != 0)
                return 1;
            continue;
        }
        snprintf(prefix, sizeof(prefix), "%s> ", r->names[i]);
        print_hex(prefix, st.apdu, st.len);
        size_t n = 0;
        if (hw_transmit(r->cards[i], st.apdu, st.len, rsp, sizeof(rsp), &n) != 0) {
            fprintf(stderr, "hw_check: %s:%u: card %s did not answer: %s\n", rd->name, st.line,
                    r->names[i], hw_errmsg(r->cards[i]));
            return 1;
        }
        snprintf(prefix, sizeof(prefix), "%s< ", r->names[i]);
        print_hex(prefix, rsp, n);
        if (st.save[0] != '\0' && save(r, st.save, rsp, n - 2) != 0)
            return hw_check_usage("%s:%u: too many saved responses", rd->name, st.line);
    }
}

static int cmd_script(int argc, char **argv)
{
    const char *image = NULL, *sam = "psam", *elf = hw_elf_default();
    uint64_t seed = 0;
    static const struct option longopts[] = {{"image", required_argument, NULL, 'i'},
                                             {"seed", required_argument, NULL, 's'},
                                             {"sam", required_argument, NULL, 'p'},
                                             {"elf", required_argument, NULL, 'e'},
                                             {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'i':
            image = optarg;
            break;
        case 's':
            seed = strtoull(optarg, NULL, 0);
            break;
        case 'p':
            sam = optarg;
            break;
        case 'e':
            elf = optarg;
            break;
        default:
            return 2;
        }
    }
    if (image == NULL || optind != argc - 1)
        return hw_check_usage("script: --image FILE and one SCRIPT are needed");
    int rc = hw_check_skip_reason(elf);
    if (rc != 0)
        return rc;
    script_run r = {.names = {"user", "sam"}};
    script_reader rd = {.name = argv[optind]};
    char err[512];
    uint8_t *sam_nvm = NULL;
    hw_qemu_opts qo = {.elf = elf};
    if ((rd.f = fopen(argv[optind], "r")) == NULL)
        return hw_check_usage("%s: cannot open", argv[optind]);
    rc = 1;
    if (hw_open_qemu(&r.cards[0], &qo, image, seed, err, sizeof(err)) != 0 ||
        hw_image_make(sam, SAM_NVM, seed + 1, &sam_nvm, err, sizeof(err)) != 0 ||
        hw_open_host(&r.cards[1], sam_nvm, SAM_NVM, seed + 1, err, sizeof(err)) != 0) {
        fprintf(stderr, "hw_check: script: %s\n", err);
        goto out;
    }
    rc = run_script(&r, &rd);
    fflush(stdout);
out:
    if (hw_close(r.cards[0], rc == 0 ? image : NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "hw_check: script: saving %s: %s\n", image, err);
        rc = 1;
    }
    hw_close(r.cards[1], NULL, NULL, 0);
    free(sam_nvm);
    fclose(rd.f);
    script_reader_free(&rd);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return hw_check_usage("usage: hw_check script|powercut|timing [OPTIONS]");
    const char *cmd = argv[1];
    argv[1] = argv[0];
    if (strcmp(cmd, "script") == 0)
        return cmd_script(argc - 1, argv + 1);
    if (strcmp(cmd, "powercut") == 0)
        return hw_check_powercut(argc - 1, argv + 1);
    if (strcmp(cmd, "timing") == 0)
        return hw_check_timing(argc - 1, argv + 1);
    return hw_check_usage("unknown subcommand '%s' (script, powercut, timing)", cmd);
}
