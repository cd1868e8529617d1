/*
 * tests/hw: the card image's cost per command (hw_timing.h): measured under
 * `-icount shift=0` beside the in-process card, fitted to the chip profile's model,
 * written as a chip profile.
 */
#include "hw_timing.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "obol/host_gp.h"

/* The image and the in-process card in lockstep, the PSAM in process. */
typedef struct bench_pair {
    hw_card *img, *ref, *sam;
    hw_timing *t;
    const char *profile;
    char *err;
    size_t errlen;
    uint8_t rsp[HW_RSP_MAX]; /* the last answer (identical at both ends) */
    size_t rsplen;
} bench_pair;

static int say(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int say(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

/* Sends CMD to both cards, demands the same answer, and records the command as NAME
 * (unless NAME is NULL: an exchange that only sets up the next one). */
static int measure(bench_pair *b, const char *name, const char *what, const uint8_t *cmd,
                   size_t len)
{
    uint8_t other[HW_RSP_MAX];
    size_t n = 0;
    int rc;
    if ((rc = hw_transmit(b->img, cmd, len, b->rsp, sizeof(b->rsp), &b->rsplen)) != 0)
        return say(b->err, b->errlen, rc, "%s on the image: %s", what, hw_errmsg(b->img));
    if ((rc = hw_transmit(b->ref, cmd, len, other, sizeof(other), &n)) != 0)
        return say(b->err, b->errlen, rc, "%s in process: %s", what, hw_errmsg(b->ref));
    if (n != b->rsplen || memcmp(other, b->rsp, n) != 0) {
        char x[2 * HW_RSP_MAX + 1], y[2 * HW_RSP_MAX + 1];
        return say(b->err, b->errlen, HW_ERR_DIVERGE, "%s: the image answered %s, in process %s",
                   what, hw_tohex(b->rsp, b->rsplen, x), hw_tohex(other, n, y));
    }
    if (name == NULL)
        return 0;
    if (b->t->n == HW_TIMING_MAX)
        return say(b->err, b->errlen, HW_ERR_USAGE, "too many commands");
    hw_cmd_cost *c = &b->t->cmd[b->t->n];
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", name);
    snprintf(c->what, sizeof(c->what), "%s", what);
    snprintf(c->profile, sizeof(c->profile), "%s", b->profile);
    c->sw = hw_sw(b->rsp, b->rsplen);
    if ((rc = hw_instructions(b->img, &c->instr)) != 0)
        return say(b->err, b->errlen, rc, "%s: %s", what, hw_errmsg(b->img));
    hw_work(b->ref, &c->work);
    b->t->n++;
    return 0;
}

static int measure_hex(bench_pair *b, const char *name, const char *what, const char *hex)
{
    uint8_t cmd[300];
    long n = hw_hex(hex, cmd, sizeof(cmd));
    if (n < 0)
        return say(b->err, b->errlen, HW_ERR_USAGE, "bad hex %s", hex);
    return measure(b, name, what, cmd, (size_t)n);
}

/* A PSAM exchange (not measured: the PSAM is in process). */
static int psam(bench_pair *b, const uint8_t *cmd, size_t len, uint8_t *out, size_t want)
{
    uint8_t rsp[HW_RSP_MAX];
    size_t n = 0;
    if (hw_transmit(b->sam, cmd, len, rsp, sizeof(rsp), &n) != 0 || hw_sw(rsp, n) != 0x9000 ||
        n - 2 < want)
        return say(b->err, b->errlen, HW_ERR_CARD, "the PSAM refused a command (SW %04X)",
                   hw_sw(rsp, n));
    memcpy(out, rsp, want);
    return 0;
}

static int expect(bench_pair *b, uint16_t want, const char *what)
{
    uint16_t sw = hw_sw(b->rsp, b->rsplen);
    if (sw == want)
        return 0;
    return say(b->err, b->errlen, HW_ERR_CARD, "%s answered %04X, not %04X", what, sw, want);
}

/* One purchase, each card command measured: INITIALIZE, [UPDATE CAPP DATA CACHE],
 * DEBIT, and for an EP purchase GET TRANSACTION PROVE; the PSAM in process. */
static int purchase(bench_pair *b, int capp, uint32_t amount, const uint8_t pub[30],
                    const uint8_t tid[6])
{
    hw_purchase p = {.amount = amount, .capp = capp};
    uint8_t cmd[64];
    size_t n;
    int rc;
    memcpy(p.pub, pub, 30);
    memcpy(p.tid, tid, 6);
    n = hw_init_cmd(&p, cmd);
    if ((rc = measure(b, capp ? "init_capp_purchase" : "init_purchase",
                      capp ? "INITIALIZE FOR CAPP PURCHASE" : "INITIALIZE FOR PURCHASE", cmd, n)) !=
            0 ||
        (rc = expect(b, 0x9000, "INITIALIZE FOR PURCHASE")) != 0)
        return rc;
    memcpy(p.init, b->rsp, sizeof(p.init));
    n = hw_init_sam_cmd(&p, cmd);
    if ((rc = psam(b, cmd, n, p.sam, 8)) != 0)
        return rc;
    if (capp) {
        uint8_t upd[5 + 48] = {0x80, 0xDC, 0x01, 0x17 << 3, 48};
        hw_purchase_capp_record(amount, upd + 5);
        if ((rc = measure(b, "update_capp", "UPDATE CAPP DATA CACHE (48 bytes)", upd,
                          sizeof(upd))) != 0 ||
            (rc = expect(b, 0x9000, "UPDATE CAPP DATA CACHE")) != 0)
            return rc;
    }
    hw_debit_cmd(&p);
    if ((rc = measure(b, capp ? "debit_capp_purchase" : "debit_purchase",
                      capp ? "DEBIT FOR PURCHASE (CAPP, with the record)" : "DEBIT FOR PURCHASE",
                      p.debit, sizeof(p.debit))) != 0 ||
        (rc = expect(b, 0x9000, "DEBIT FOR PURCHASE")) != 0)
        return rc;
    uint8_t credit[9] = {0x80, 0x72, 0x00, 0x00, 0x04};
    memcpy(credit + 5, b->rsp + 4, 4);
    if ((rc = psam(b, credit, sizeof(credit), cmd, 0)) != 0)
        return rc;
    if (capp)
        return 0;
    /* GET TRANSACTION PROVE of this purchase: the counter after it. */
    uint16_t after = (uint16_t)(hw_get16(p.init + HW_INIT_COUNTER) + 1);
    const uint8_t prove[8] = {0x80,           0x5A, 0x00, 0x06, 0x02, (uint8_t)(after >> 8),
                              (uint8_t)after, 0x08};
    if ((rc = measure(b, "get_prove", "GET TRANSACTION PROVE", prove, sizeof(prove))) != 0 ||
        (rc = expect(b, 0x9000, "GET TRANSACTION PROVE")) != 0)
        return rc;
    return 0;
}

static int power_on_both(bench_pair *b, int record)
{
    uint8_t atr[64], atr2[64];
    size_t n, n2;
    int rc;
    if ((rc = hw_power_on(b->img, 0, atr, sizeof(atr), &n)) != 0 ||
        (rc = hw_power_on(b->ref, 0, atr2, sizeof(atr2), &n2)) != 0)
        return say(b->err, b->errlen, rc, "power on: %s %s", hw_errmsg(b->img), hw_errmsg(b->ref));
    if (n != n2 || memcmp(atr, atr2, n) != 0)
        return say(b->err, b->errlen, HW_ERR_DIVERGE, "the ATRs differ");
    if (record) {
        if ((rc = hw_instructions(b->img, &b->t->power_on_instr)) != 0)
            return say(b->err, b->errlen, rc, "%s", hw_errmsg(b->img));
        hw_work(b->ref, &b->t->power_on_work);
    }
    return 0;
}

static int purse_commands(bench_pair *b)
{
    uint8_t pub[30], tid[6];
    int rc;
    if ((rc = power_on_both(b, 1)) != 0 ||
        (rc = measure_hex(b, "select_mf", "SELECT the MF by file id", "00A40000023F00")) != 0 ||
        (rc = measure_hex(b, "select", "SELECT the purse by AID",
                          "00A4040009A00000000386980701")) != 0 ||
        (rc = expect(b, 0x9000, "SELECT")) != 0 ||
        (rc = measure_hex(b, "read_binary", "READ BINARY of EF 0015 by SFI (30 bytes)",
                          "00B0950000")) != 0 ||
        (rc = expect(b, 0x9000, "READ BINARY")) != 0)
        return rc;
    memcpy(pub, b->rsp, 30);
    if ((rc = measure_hex(b, "get_challenge", "GET CHALLENGE (8 bytes)", "0084000008")) != 0 ||
        (rc = measure_hex(b, "verify", "VERIFY the PIN (3 bytes)", "0020000103123456")) != 0 ||
        (rc = expect(b, 0x9000, "VERIFY")) != 0 ||
        (rc = measure_hex(b, "get_balance", "GET BALANCE (EP)", "805C000204")) != 0 ||
        (rc = expect(b, 0x9000, "GET BALANCE")) != 0)
        return rc;
    static const uint8_t sel_psam[] = {0x00, 0xA4, 0x04, 0x00, 0x0A, 0xF0, 0x6F, 0x62,
                                       0x6F, 0x6C, 0x50, 0x53, 0x41, 0x4D, 0x01};
    static const uint8_t read_tid[] = {0x00, 0xB0, 0x96, 0x00, 0x06};
    if ((rc = psam(b, sel_psam, sizeof(sel_psam), tid, 0)) != 0 ||
        (rc = psam(b, read_tid, sizeof(read_tid), tid, 6)) != 0)
        return rc;
    if ((rc = purchase(b, 0, 100, pub, tid)) != 0 || (rc = purchase(b, 1, 200, pub, tid)) != 0)
        return rc;
    if ((rc = measure_hex(b, "read_record", "READ RECORD of the transaction log (23 bytes)",
                          "00B201C417")) != 0 ||
        (rc = expect(b, 0x9000, "READ RECORD")) != 0)
        return rc;
    return 0;
}

/* The GlobalPlatform test keys of the profiles (404142...4F) and the ISD's AID. */
static const uint8_t gp_key[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                   0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
static const uint8_t isd_aid[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};

static int gp_commands(bench_pair *b)
{
    static const uint8_t host_challenge[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    host_gp_session s;
    host_gp_keys keys = {.len = 16, .kvn = 0};
    uint8_t cmd[300];
    size_t cl;
    int rc, scp = HOST_GP_SCP03;
    memcpy(keys.enc, gp_key, 16);
    memcpy(keys.mac, gp_key, 16);
    memcpy(keys.dek, gp_key, 16);
    if ((rc = power_on_both(b, 0)) != 0 ||
        (rc = measure_hex(b, "gp_select", "SELECT the card manager (ISD)",
                          "00A4040008A00000015100000000")) != 0 ||
        (rc = expect(b, 0x9000, "SELECT of the ISD")) != 0)
        return rc;
    for (int attempt = 0; attempt < 2; attempt++) {
        host_gp_session_init(&s, scp, scp == HOST_GP_SCP02 ? 0x55 : 0, &keys, isd_aid, 8);
        if (host_gp_init_update(&s, host_challenge, cmd, sizeof(cmd), &cl) != 0)
            return say(b->err, b->errlen, HW_ERR_USAGE, "cannot build INITIALIZE UPDATE");
        if ((rc = measure(b, attempt == 0 ? NULL : "gp_initialize_update", "INITIALIZE UPDATE", cmd,
                          cl)) != 0 ||
            (rc = expect(b, 0x9000, "INITIALIZE UPDATE")) != 0)
            goto out;
        /* The card's SCP identifier (byte 11): measure the protocol it speaks, so the
         * second INITIALIZE UPDATE is the one recorded either way. */
        scp = b->rsplen >= 14 && b->rsp[11] == 0x02 ? HOST_GP_SCP02 : HOST_GP_SCP03;
        if (attempt == 0)
            host_gp_session_wipe(&s);
    }
    if ((rc = host_gp_open(&s, b->rsp, b->rsplen, HOST_GP_LEVEL_CMAC, cmd, sizeof(cmd), &cl)) !=
        0) {
        rc = say(b->err, b->errlen, HW_ERR_CARD, "the card cryptogram does not verify: %s",
                 host_strerror(rc));
        goto out;
    }
    if ((rc = measure(b, "gp_external_authenticate", "EXTERNAL AUTHENTICATE (C-MAC)", cmd, cl)) !=
            0 ||
        (rc = expect(b, 0x9000, "EXTERNAL AUTHENTICATE")) != 0)
        goto out;
out:
    host_gp_session_wipe(&s);
    return rc;
}

/* Opens the image (icount) and the in-process card on PROFILE's image, runs FN. */
static int run_pair(const char *elf, const char *profile, hw_timing *t, int (*fn)(bench_pair *),
                    char *err, size_t errlen)
{
    bench_pair b = {.t = t, .profile = profile, .err = err, .errlen = errlen};
    uint8_t *img = NULL, *sam_nvm = NULL;
    char path[64];
    int rc;
    snprintf(path, sizeof(path), "/tmp/obol-hw-timing-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return say(err, errlen, HW_ERR_IO, "mkstemp failed");
    close(fd);
    hw_qemu_opts qo = {.elf = elf, .icount = 1};
    if ((rc = hw_image_make(profile, HW_NVM_SIZE, 0, &img, err, errlen)) != 0 ||
        (rc = hw_image_make("psam", 32768, 1, &sam_nvm, err, errlen)) != 0)
        goto out;
    if ((rc = hw_file_write(path, img, HW_NVM_SIZE)) != 0) {
        rc = say(err, errlen, rc, "cannot write %s", path);
        goto out;
    }
    uint8_t atr[64];
    size_t atrlen;
    if ((rc = hw_open_qemu(&b.img, &qo, path, 0, err, errlen)) != 0 ||
        (rc = hw_open_host(&b.ref, img, HW_NVM_SIZE, 0, err, errlen)) != 0 ||
        (rc = hw_open_host(&b.sam, sam_nvm, 32768, 1, err, errlen)) != 0 ||
        (rc = hw_power_on(b.sam, 0, atr, sizeof(atr), &atrlen)) != 0)
        goto out;
    rc = fn(&b);
out:
    hw_close(b.img, NULL, NULL, 0);
    hw_close(b.ref, NULL, NULL, 0);
    hw_close(b.sam, NULL, NULL, 0);
    remove(path);
    free(img);
    free(sam_nvm);
    return rc;
}

int hw_timing_measure(const char *elf, const char *purse_profile, const char *gp_profile,
                      hw_timing *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(t->date, sizeof(t->date), "%Y-%m-%d", &tm);
    int rc = run_pair(elf, purse_profile, t, purse_commands, err, errlen);
    if (rc == 0 && gp_profile != NULL)
        rc = run_pair(elf, gp_profile, t, gp_commands, err, errlen);
    if (rc == 0)
        hw_timing_fit(t);
    return rc;
}

/* ---- the fit ------------------------------------------------------------------------ */

static void row(const cos_cost *w, double x[HW_X_N])
{
    x[HW_X_APDU] = w->apdus;
    x[HW_X_BLOCK] = w->crypto_blocks;
    x[HW_X_WRITE] = w->nvm_writes;
    x[HW_X_BYTE] = w->nvm_bytes;
    x[HW_X_RNG] = w->rng_bytes;
}

double hw_timing_model(const hw_timing *t, const cos_cost *w)
{
    double x[HW_X_N], y = 0;
    row(w, x);
    for (int j = 0; j < HW_X_N; j++)
        y += t->coef[j] * x[j];
    return y;
}

/* Least squares over the variables in MASK (normal equations, Gaussian elimination
 * with partial pivoting); the others stay 0. Returns the sum of squared residuals,
 * or HUGE_VAL when the system is singular. */
static double lsq(const hw_timing *t, unsigned mask, double coef[HW_X_N])
{
    double a[HW_X_N][HW_X_N + 1];
    int idx[HW_X_N], m = 0;
    for (int j = 0; j < HW_X_N; j++)
        if (mask & (1u << j))
            idx[m++] = j;
    memset(a, 0, sizeof(a));
    for (size_t i = 0; i < t->n; i++) {
        double x[HW_X_N];
        row(&t->cmd[i].work, x);
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < m; c++)
                a[r][c] += x[idx[r]] * x[idx[c]];
            a[r][m] += x[idx[r]] * (double)t->cmd[i].instr;
        }
    }
    for (int c = 0; c < m; c++) {
        int p = c;
        for (int r = c + 1; r < m; r++)
            if (fabs(a[r][c]) > fabs(a[p][c]))
                p = r;
        if (fabs(a[p][c]) < 1e-9)
            return HUGE_VAL;
        for (int k = 0; k <= m; k++) {
            double tmp = a[c][k];
            a[c][k] = a[p][k];
            a[p][k] = tmp;
        }
        for (int r = 0; r < m; r++) {
            if (r == c)
                continue;
            double f = a[r][c] / a[c][c];
            for (int k = c; k <= m; k++)
                a[r][k] -= f * a[c][k];
        }
    }
    memset(coef, 0, sizeof(double) * HW_X_N);
    for (int r = 0; r < m; r++)
        coef[idx[r]] = a[r][m] / a[r][r];
    double sse = 0;
    for (size_t i = 0; i < t->n; i++) {
        double x[HW_X_N], y = 0;
        row(&t->cmd[i].work, x);
        for (int j = 0; j < HW_X_N; j++)
            y += coef[j] * x[j];
        sse += (y - (double)t->cmd[i].instr) * (y - (double)t->cmd[i].instr);
    }
    return sse;
}

void hw_timing_fit(hw_timing *t)
{
    /* Non-negative least squares by brute force: five variables, 32 subsets; the best
     * subset whose coefficients are all >= 0. The per-APDU cost is always in. */
    double best = HUGE_VAL, coef[HW_X_N];
    memset(t->coef, 0, sizeof(t->coef));
    for (unsigned mask = 1; mask < (1u << HW_X_N); mask += 2) {
        double sse = lsq(t, mask, coef);
        int ok = sse < best;
        for (int j = 0; j < HW_X_N && ok; j++)
            ok = coef[j] >= 0;
        if (ok) {
            best = sse;
            memcpy(t->coef, coef, sizeof(coef));
        }
    }
    static const char *const purchase[] = {"select", "read_binary", "init_purchase",
                                           "debit_purchase"};
    double pm = 0, py = 0;
    t->max_rel_err = t->big_err = 0;
    for (size_t i = 0; i < t->n; i++) {
        double m = hw_timing_model(t, &t->cmd[i].work), y = (double)t->cmd[i].instr;
        double e = y > 0 ? fabs(m - y) / y : 0;
        if (e > t->max_rel_err)
            t->max_rel_err = e;
        if (t->cmd[i].instr >= HW_BIG_INSTR && e > t->big_err)
            t->big_err = e;
        for (size_t k = 0; k < sizeof(purchase) / sizeof(purchase[0]); k++)
            if (strcmp(t->cmd[i].name, purchase[k]) == 0) {
                pm += m;
                py += y;
            }
    }
    t->purchase_err = py > 0 ? fabs(pm - py) / py : 0;
}

/* ---- the chip profile --------------------------------------------------------------- */

/* Datasheet figures: what the image on QEMU's RAM cannot measure. */
#define PAGE_US    3000.0
#define PAGE_BYTES 64.0

static void param(FILE *f, const char *name, double value, const char *unit, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void param(FILE *f, const char *name, double value, const char *unit, const char *fmt, ...)
{
    char src[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(src, sizeof(src), fmt, ap);
    va_end(ap);
    fprintf(f, "  <param name=\"%s\" value=\"%.3f\" unit=\"%s\" source=\"%s\"/>\n", name, value,
            unit, src);
}

void hw_timing_write_profile(const hw_timing *t, double mhz, double cpi, FILE *f)
{
    double us = cpi / mhz; /* microseconds per instruction */
    /* The table goes inside the root element: `obol validate` tells a profile from a
     * scenario by "<profile" in the first 512 bytes. No "--" inside comments (XML). */
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f,
            "<!-- obol timing profile of the card image, generated by bench/hw/bench_hw"
            " (option profile-out) on %s; docs/firmware.md says how. -->\n",
            t->date);
    fprintf(f, "<profile kind=\"chip\" name=\"card-cm3-image\">\n");
    fprintf(f,
            "  <description>obol's own card image on a Cortex-M3 secure controller at %.0f MHz:"
            " the CPU figures are instructions the image executes under QEMU (-icount,"
            " measured %s), fitted to the per-APDU, per-cipher-block, per-NVM-write, per-byte"
            " and per-random-byte costs of the timing model and converted at an assumed %.2f"
            " cycles per instruction; crypto is the image's software DES (no coprocessor). NVM"
            " page programming comes from datasheets, since QEMU's RAM takes no time to"
            " write.</description>\n",
            mhz, t->date, cpi);
    fprintf(f,
            "  <!--\n  Instructions per command of the Cortex-M3 card image"
            " (build-arm/obol-card.elf) under QEMU\n  mps2-an385 with -icount shift=%d, read"
            " with control code 0x20; time at %.0f MHz and %.2f CPI\n  (%.4f us per"
            " instruction). Work as the card OS counted it in process (same image, same"
            " seed).\n  Model: what this profile's parameters give for the same work"
            " (sim_chip_time()), CPU only\n  (NVM page programming comes on top on a chip:"
            " pages x nvm_page_us).\n\n",
            HW_ICOUNT_SHIFT, mhz, cpi, us);
    fprintf(f, "  %-26s %9s %9s %5s %6s %6s %6s %5s %4s %9s\n", "command", "instr", "us", "apdu",
            "blocks", "writes", "bytes", "pages", "rng", "model us");
    for (size_t i = 0; i < t->n; i++) {
        const hw_cmd_cost *c = &t->cmd[i];
        fprintf(f, "  %-26s %9llu %9.1f %5u %6u %6u %6u %5u %4u %9.1f\n", c->name,
                (unsigned long long)c->instr, (double)c->instr * us, c->work.apdus,
                c->work.crypto_blocks, c->work.nvm_writes, c->work.nvm_bytes, c->work.nvm_pages,
                c->work.rng_bytes, hw_timing_model(t, &c->work) * us);
    }
    fprintf(f, "  %-26s %9llu %9.1f (cold reset to the ATR: boot, NVM recovery check)\n",
            "power_on", (unsigned long long)t->power_on_instr, (double)t->power_on_instr * us);
    fprintf(f,
            "\n  Model error: %.0f%% over a purchase's card commands (select, read_binary,"
            " init_purchase,\n  debit_purchase), at most %.0f%% on a command of %d instructions"
            " or more, at most %.0f%% on any\n  (the model has one cost per APDU, and short"
            " commands differ more than that).\n  -->\n",
            t->purchase_err * 100, t->big_err * 100, HW_BIG_INSTR, t->max_rel_err * 100);
    const char *how =
        "image: fitted to the instructions of the commands in the comment before the parameters";
    param(f, "apdu_us", t->coef[HW_X_APDU] * us, "us",
          "%s (%.0f instructions per APDU: dispatch, parsing, response) at %.0f MHz, CPI %.2f", how,
          t->coef[HW_X_APDU], mhz, cpi);
    param(f, "nvm_write_us", t->coef[HW_X_WRITE] * us, "us",
          "%s (%.0f instructions per NVM write call: journal and object bookkeeping); the "
          "chip's program time is nvm_page_us",
          how, t->coef[HW_X_WRITE]);
    param(f, "nvm_page_us", PAGE_US, "us",
          "datasheet: STMicroelectronics STM8L151x2/x3 (DocID 018780 Rev 4, table 32) programs "
          "a 1 to 64-byte block of data EEPROM in 3 ms (6 ms when the bytes must be erased "
          "first); Atmel AT88SC102 card: 3 ms write cycle. Not measurable on QEMU");
    param(f, "nvm_byte_us", t->coef[HW_X_BYTE] * us, "us",
          "%s (%.1f instructions per NVM byte written: copying into the page buffer)", how,
          t->coef[HW_X_BYTE]);
    param(f, "cipher_block_us", t->coef[HW_X_BLOCK] * us, "us",
          "%s (%.0f instructions per cipher block counted: the image's software DES/3DES, "
          "key schedule included)",
          how, t->coef[HW_X_BLOCK]);
    param(f, "rng_byte_us", t->coef[HW_X_RNG] * us, "us",
          "%s (%.0f instructions per random byte: the image's xoshiro256** stands in for a "
          "TRNG)",
          how, t->coef[HW_X_RNG]);
    param(f, "power_on_us", (double)t->power_on_instr * us, "us",
          "image: %llu instructions from power-on to the ATR of the purse card (NVM recovery "
          "check included) at %.0f MHz, CPI %.2f",
          (unsigned long long)t->power_on_instr, mhz, cpi);
    param(f, "nvm_page_bytes", PAGE_BYTES, "byte",
          "the image: its card OS counts 64-byte pages (cardsim/port/cortexm/main.c nvm_page), "
          "the STM8L151 block size");
    fprintf(f, "</profile>\n");
}
