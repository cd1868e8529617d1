/*
 * hw_check powercut: power cuts at random instants of PBOC purchases on the card image.
 *
 * A kill of QEMU loses RAM as a power cut does, but the test needs the NVM bytes as
 * they were at the cut. So each iteration makes a purchase on the image (a warm-up:
 * QEMU translates the debit's code once), begins a second one, sends its DEBIT FOR
 * PURCHASE, waits a random time drawn from a fixed seed, stops the virtual machine
 * through QMP (between two instructions, wherever the card was: in its MACs, in the
 * middle of a journal write), saves the NVM region with pmemsave and quits QEMU. QEMU
 * runs with -singlestep there, several times slower, so the card's short stretch of
 * NVM writes at the end of the debit spans more of the wall-clock window; half the
 * cuts aim at it (struct aim). The wall clock is not the virtual one, so the instants
 * vary from run to run with the host's load; what each cut found is printed. The cut
 * image is then powered on again, in QEMU and in process from the same bytes (power-on
 * runs the card OS's recovery), and checked:
 *   - the balance is the one before the purchase or the one after, nothing else;
 *   - the offline counter moved with it (+1 exactly when the balance was debited);
 *   - GET TRANSACTION PROVE gives the debit's MAC2 and TAC when, and only when, the
 *     debit happened (the terminal can then claim exactly the money the card lost);
 *   - the transaction log and, for composite purchases, the CAPP record moved with it;
 *   - both ends answer the checks byte for byte alike.
 * The purchases chain: each starts from the previous recovered image, so at the end
 * the balance must equal the first balance minus the debited amounts.
 *
 * The outcome of each cut is also classified by its bytes: the image untouched (the
 * cut came before the debit wrote), equal to the image an uninterrupted in-process
 * purchase leaves (after), or neither (torn inside the debit's NVM writes).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hw_check.h"

#define SAM_NVM 32768u

typedef struct probe {
    uint8_t rsp[8][HW_RSP_MAX]; /* the answers, for comparing the two ends */
    size_t len[8];
    size_t n;
    uint32_t balance;
    uint16_t counter;
    uint16_t prove_sw;
    uint8_t prove[8]; /* MAC2 || TAC */
    uint16_t log_sw;
    uint8_t log[23];  /* the newest transaction log record */
    uint8_t capp[48]; /* record 1 of the CAPP file EF 0017 */
} probe;

typedef struct cut_opts {
    const char *elf, *profile, *dir;
    unsigned iterations;
    uint64_t seed;
} cut_opts;

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void sleep_us(double us)
{
    /* Sleep rather than spin: QEMU's threads need the CPU to run the card meanwhile. */
    long long ns = (long long)(us * 1e3);
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* One exchange of the probe, kept in PR. */
static int probe_tx(hw_card *c, probe *pr, const char *hex, uint16_t *sw)
{
    size_t n = 0;
    if (hw_transmit_hex(c, hex, pr->rsp[pr->n], &n, sw) != 0)
        return -1;
    pr->len[pr->n++] = n;
    return 0;
}

/* Reads from a card just powered on (recovery has run; ATR is what it answered) what
 * the checks need: the balance, the proof of the debit of TYPE (06 EP, 09 CAPP) that
 * would have taken COUNTER_AFTER, the offline counter, the newest log record and the
 * CAPP record. */
static int probe_card(hw_card *c, const uint8_t *atr, size_t atrlen, uint8_t type,
                      uint16_t counter_after, probe *pr, char *err, size_t errlen)
{
    uint16_t sw;
    char hex[64];
    memset(pr, 0, sizeof(*pr));
    memcpy(pr->rsp[pr->n], atr, atrlen);
    pr->len[pr->n++] = atrlen;
    if (probe_tx(c, pr, "00A4040009 A00000000386980701", &sw) != 0)
        goto fail;
    if (sw != 0x9000) {
        snprintf(err, errlen, "SELECT of the purse after the cut: SW %04X", sw);
        return -1;
    }
    if (probe_tx(c, pr, "805C000204", &sw) != 0)
        goto fail;
    if (sw != 0x9000 || pr->len[pr->n - 1] != 6) {
        snprintf(err, errlen, "GET BALANCE after the cut: SW %04X", sw);
        return -1;
    }
    pr->balance = hw_get32(pr->rsp[pr->n - 1]);
    snprintf(hex, sizeof(hex), "805A00%02X02%04X08", type, counter_after);
    if (probe_tx(c, pr, hex, &pr->prove_sw) != 0)
        goto fail;
    if (pr->prove_sw == 0x9000)
        memcpy(pr->prove, pr->rsp[pr->n - 1], 8);
    /* INITIALIZE FOR PURCHASE of 1 fen only to learn the offline counter. */
    if (probe_tx(c, pr, "805001020B 01 00000001 112233445566 0F", &sw) != 0)
        goto fail;
    if (sw != 0x9000) {
        snprintf(err, errlen, "INITIALIZE FOR PURCHASE after the cut: SW %04X", sw);
        return -1;
    }
    pr->counter = hw_get16(pr->rsp[pr->n - 1] + HW_INIT_COUNTER);
    if (hw_get32(pr->rsp[pr->n - 1]) != pr->balance) {
        snprintf(err, errlen, "GET BALANCE says %u, INITIALIZE FOR PURCHASE %u", pr->balance,
                 hw_get32(pr->rsp[pr->n - 1]));
        return -1;
    }
    if (probe_tx(c, pr, "00B201C417", &pr->log_sw) != 0) /* log: SFI 0x18, newest */
        goto fail;
    if (pr->log_sw == 0x9000)
        memcpy(pr->log, pr->rsp[pr->n - 1], 23);
    if (probe_tx(c, pr, "00B201BC30", &sw) != 0) /* CAPP record 1 of SFI 0x17 */
        goto fail;
    if (sw == 0x9000)
        memcpy(pr->capp, pr->rsp[pr->n - 1], 48);
    return 0;
fail:
    snprintf(err, errlen, "%s", hw_errmsg(c));
    return -1;
}

/* The two ends answered the probe alike? */
static int probe_same(const probe *a, const probe *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->len[i] != b->len[i] || memcmp(a->rsp[i], b->rsp[i], a->len[i]) != 0)
            return 0;
    return 1;
}

/* One iteration's purchases: a warm-up purchase that always completes (so QEMU has
 * translated the debit's code before the cut and the debit runs at full speed, which
 * puts its NVM writes inside the cut window) and the purchase that is cut. */
typedef struct reference {
    hw_purchase warm, p;
    uint8_t before[HW_NVM_SIZE]; /* the NVM when DEBIT of P arrives */
    uint8_t after[HW_NVM_SIZE];  /* the NVM once it completed */
} reference;

/* Both purchases in process from CUR with SEED and a PSAM on SAM_NVM (not modified):
 * what the image must answer, and the NVM images around the debit. */
static int run_reference(const uint8_t *cur, const uint8_t *sam_nvm, uint64_t seed, reference *ref,
                         char *err, size_t errlen)
{
    hw_card *card = NULL, *sam = NULL;
    uint8_t atr[64];
    size_t atrlen, size;
    int rc = -1;
    if (hw_open_host(&card, cur, HW_NVM_SIZE, seed, err, errlen) != 0 ||
        hw_open_host(&sam, sam_nvm, SAM_NVM, seed + 1, err, errlen) != 0)
        goto out;
    if (hw_power_on(card, 0, atr, sizeof(atr), &atrlen) != 0 ||
        hw_power_on(sam, 0, atr, sizeof(atr), &atrlen) != 0) {
        snprintf(err, errlen, "in-process power on: %s", hw_errmsg(card));
        goto out;
    }
    if (hw_purchase_begin(card, sam, &ref->warm) != 0 ||
        hw_purchase_end(card, sam, &ref->warm) != 0) {
        snprintf(err, errlen, "in-process warm-up purchase: stage %s, SW %04X",
                 hw_purchase_stage(ref->warm.stage), ref->warm.sw);
        goto out;
    }
    if (hw_purchase_begin(card, sam, &ref->p) != 0)
        goto refused;
    memcpy(ref->before, hw_host_nvm(card, &size), HW_NVM_SIZE);
    if (hw_purchase_end(card, sam, &ref->p) != 0)
        goto refused;
    memcpy(ref->after, hw_host_nvm(card, &size), HW_NVM_SIZE);
    rc = 0;
    goto out;
refused:
    snprintf(err, errlen, "in-process purchase: stage %s, SW %04X", hw_purchase_stage(ref->p.stage),
             ref->p.sw);
out:
    hw_close(card, NULL, NULL, 0);
    hw_close(sam, NULL, NULL, 0);
    return rc;
}

static unsigned restarts; /* fresh QEMUs started again (hw_restarted()) */

/* Starts the image on the NVM image PATH and powers it on (ATR into ATR, 64 bytes). */
static int open_image(const hw_qemu_opts *qo, const char *path, uint64_t seed, hw_card **out,
                      uint8_t *atr, size_t *atrlen, char *err, size_t errlen)
{
    int rc = hw_open_qemu(out, qo, path, seed, err, errlen);
    if (rc != 0)
        return rc;
    restarts += (unsigned)hw_restarted(*out);
    if ((rc = hw_power_on(*out, 0, atr, 64, atrlen)) != 0)
        snprintf(err, errlen, "power on: %s", hw_errmsg(*out));
    return rc;
}

static double median3(double a, double b, double c)
{
    return a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
}

/* Wall time of a warm DEBIT FOR PURCHASE on the image (its code already translated by
 * QEMU), median of three, to size the window the cuts are drawn from. */
static int calibrate(const cut_opts *o, const uint8_t *img, const uint8_t *sam_nvm,
                     double *debit_us, char *err, size_t errlen)
{
    char path[1024];
    double t[4] = {0};
    hw_card *card = NULL, *sam = NULL;
    hw_qemu_opts qo = {.elf = o->elf, .cut = 1, .slow = 1};
    uint8_t atr[64];
    size_t atrlen;
    int rc = -1;
    snprintf(path, sizeof(path), "%s/calibrate.bin", o->dir);
    if (hw_file_write(path, img, HW_NVM_SIZE) != 0) {
        snprintf(err, errlen, "cannot write %.300s", path);
        return -1;
    }
    if (open_image(&qo, path, 0, &card, atr, &atrlen, err, errlen) != 0 ||
        hw_open_host(&sam, sam_nvm, SAM_NVM, 1, err, errlen) != 0 ||
        hw_power_on(sam, 0, atr, sizeof(atr), &atrlen) != 0)
        goto out;
    for (int i = 0; i < 4; i++) {
        hw_purchase p = {.amount = 1};
        if (hw_purchase_begin(card, sam, &p) != 0) {
            snprintf(err, errlen, "calibration purchase: %s, SW %04X", hw_purchase_stage(p.stage),
                     p.sw);
            goto out;
        }
        double t0 = wall_us();
        if (hw_purchase_end(card, sam, &p) != 0) {
            snprintf(err, errlen, "calibration purchase: %s, SW %04X", hw_purchase_stage(p.stage),
                     p.sw);
            goto out;
        }
        t[i] = wall_us() - t0;
    }
    *debit_us = median3(t[1], t[2], t[3]);
    rc = 0;
out:
    hw_close(card, NULL, NULL, 0);
    hw_close(sam, NULL, NULL, 0);
    remove(path);
    return rc;
}

typedef struct tally {
    unsigned untouched, torn, after; /* by the cut image's bytes */
    unsigned debited, kept;          /* by what the recovered card says */
    uint64_t spent;
} tally;

static int failf(unsigned it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int failf(unsigned it, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL: cut %u: ", it);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    return 1;
}

/* 1 when REC (a transaction log record) is purchase P's: its counter (the value
 * before the debit), amount and type. */
static int log_is(const uint8_t rec[23], const hw_purchase *p)
{
    return hw_get16(rec) == hw_get16(p->init + HW_INIT_COUNTER) && hw_get32(rec + 5) == p->amount &&
           rec[9] == (p->capp ? 0x09 : 0x06);
}

/* Checks the recovered card (probe PR, identical at both ends) against the previous
 * recovered state (BEFORE), the uninterrupted purchases (REF) and what the cut image's
 * bytes were (BYTES_CLASS: 0 as when DEBIT arrived, 2 as after it, 1 neither). */
static int judge(unsigned it, const probe *before, const reference *ref, const probe *pr,
                 int bytes_class, tally *t)
{
    const hw_purchase *p = &ref->p;
    uint32_t b0 = hw_get32(p->init + HW_INIT_BALANCE);
    uint16_t c0 = hw_get16(p->init + HW_INIT_COUNTER);
    uint8_t capp[48];
    int debited;
    if (pr->balance == b0 && pr->counter == c0)
        debited = 0;
    else if (pr->balance == b0 - p->amount && pr->counter == (uint16_t)(c0 + 1))
        debited = 1;
    else
        return failf(it, "balance %u counter %u; before the purchase %u/%u, after %u/%u: money %s",
                     pr->balance, pr->counter, b0, c0, b0 - p->amount, (uint16_t)(c0 + 1),
                     pr->balance > b0 ? "created" : "lost");
    if (bytes_class == 0 && debited)
        return failf(it, "the NVM was untouched at the cut, yet the card says it was debited");
    if (bytes_class == 2 && !debited)
        return failf(it, "the debit completed before the cut, yet recovery undid it");
    hw_purchase_capp_record(p->amount, capp);
    if (debited) {
        /* PROVE answers MAC2 || TAC; DEBIT answered TAC || MAC2. */
        if (pr->prove_sw != 0x9000 || memcmp(pr->prove, p->tac_mac2 + 4, 4) != 0 ||
            memcmp(pr->prove + 4, p->tac_mac2, 4) != 0)
            return failf(it, "debited, but GET TRANSACTION PROVE gives SW %04X, not the TAC",
                         pr->prove_sw);
        if (pr->log_sw != 0x9000 || !log_is(pr->log, p))
            return failf(it, "debited, but the newest log record is not this purchase");
        if (memcmp(pr->capp, p->capp ? capp : before->capp, 48) != 0)
            return failf(it, "debited, but the CAPP record is not %s",
                         p->capp ? "the cached one" : "as it was");
        t->debited++;
        t->spent += p->amount;
    } else {
        if (pr->prove_sw == 0x9000)
            return failf(it, "not debited, yet GET TRANSACTION PROVE gives a proof");
        if (pr->log_sw != 0x9000 || !log_is(pr->log, &ref->warm))
            return failf(it, "not debited, yet the newest log record is not the one before");
        if (memcmp(pr->capp, before->capp, 48) != 0)
            return failf(it, "not debited, yet the CAPP record changed");
        t->kept++;
    }
    t->spent += ref->warm.amount;
    return 0;
}

/* Probes an image at both ends (QEMU, saving the recovered image into SAVE, and in
 * process) and demands identical answers. */
static int probe_both(const cut_opts *o, unsigned it, const char *path, const char *save,
                      uint64_t seed, uint8_t type, uint16_t counter_after, probe *pq, probe *ph)
{
    char err[512] = "";
    hw_card *q = NULL, *h = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    hw_qemu_opts qo = {.elf = o->elf};
    int rc = 1;
    if (hw_file_read(path, &bytes, &len) != 0 || len != HW_NVM_SIZE) {
        failf(it, "cannot read the %u-byte image %s", HW_NVM_SIZE, path);
        goto out;
    }
    uint8_t atr[64];
    size_t atrlen;
    if (open_image(&qo, path, seed, &q, atr, &atrlen, err, sizeof(err)) != 0 ||
        probe_card(q, atr, atrlen, type, counter_after, pq, err, sizeof(err)) != 0) {
        failf(it, "QEMU after the cut: %s", err);
        goto out;
    }
    rc = hw_close(q, save, err, sizeof(err));
    q = NULL;
    if (rc != 0) {
        rc = failf(it, "saving the recovered image: %s", err);
        goto out;
    }
    rc = 1;
    if (hw_open_host(&h, bytes, HW_NVM_SIZE, seed, err, sizeof(err)) != 0 ||
        hw_power_on(h, 0, atr, sizeof(atr), &atrlen) != 0 ||
        probe_card(h, atr, atrlen, type, counter_after, ph, err, sizeof(err)) != 0) {
        failf(it, "in process after the cut: %s", err);
        goto out;
    }
    if (!probe_same(pq, ph)) {
        failf(it, "the image and the in-process card recover differently from the same bytes");
        goto out;
    }
    rc = 0;
out:
    hw_close(q, NULL, NULL, 0);
    hw_close(h, NULL, NULL, 0);
    free(bytes);
    return rc;
}

/* The image runs P (already begun on CARD and checked against REF): DEBIT goes out,
 * DELAY microseconds later the machine stops and its NVM goes to CUT. */
static int cut_debit(unsigned it, hw_card *card, const hw_purchase *p, double delay,
                     const char *cut)
{
    if (hw_send(card, p->debit, sizeof(p->debit)) != 0)
        return failf(it, "sending DEBIT: %s", hw_errmsg(card));
    sleep_us(delay);
    if (hw_cut(card, cut) != 0)
        return failf(it, "%s", hw_errmsg(card));
    return 0;
}

/* The image's purchase must be the reference's, byte for byte. */
static int same_purchase(const hw_purchase *a, const hw_purchase *b)
{
    return memcmp(a->init, b->init, sizeof(a->init)) == 0 &&
           memcmp(a->debit, b->debit, sizeof(a->debit)) == 0;
}

/* Where the cuts go. Odd cuts are uniform over [0, WINDOW] microseconds after DEBIT is
 * sent: anywhere in the command. Even cuts aim at the short stretch of NVM writes at
 * the end of the debit: EDGE +- SPREAD, where EDGE follows a staircase (later after a
 * cut that found the NVM as before, earlier after one that found it as after), so it
 * settles where either outcome is as likely: inside the writes. */
typedef struct aim {
    double window, edge, spread, step;
} aim;

static double uniform(uint64_t *rng)
{
    return (double)(splitmix(rng) >> 11) / 9007199254740992.0;
}

static int iterate(const cut_opts *o, unsigned it, uint64_t *rng, aim *a, uint8_t *cur,
                   uint8_t *sam_nvm, probe *before, tally *t)
{
    static reference ref;
    static probe pq, ph;
    char err[512] = "", path[1024], cut[1024], next[1024];
    hw_card *card = NULL, *sam = NULL;
    uint8_t atr[64], *got = NULL;
    size_t atrlen, len = 0;
    uint64_t seed = o->seed * 1000003u + it;
    int aimed = it % 2 == 0;
    double delay = aimed ? a->edge + a->spread * (2 * uniform(rng) - 1) : a->window * uniform(rng);
    if (delay < 0)
        delay = 0;
    int rc = 1;
    memset(&ref, 0, sizeof(ref));
    /* Amounts that leave money for the purchases still to come. */
    uint32_t share = before->balance / (o->iterations - it + 1);
    ref.warm.amount = 1 + (uint32_t)(splitmix(rng) % (share / 4 + 1));
    ref.p.amount = 1 + (uint32_t)(splitmix(rng) % (share / 2 + 1));
    ref.p.capp = it % 3 == 2;
    snprintf(path, sizeof(path), "%s/cur.bin", o->dir);
    snprintf(cut, sizeof(cut), "%s/cut.bin", o->dir);
    snprintf(next, sizeof(next), "%s/next.bin", o->dir);
    if (run_reference(cur, sam_nvm, seed, &ref, err, sizeof(err)) != 0)
        return failf(it, "%s", err);
    if (hw_file_write(path, cur, HW_NVM_SIZE) != 0)
        return failf(it, "cannot write %s", path);
    /* The same purchases on the image; the second is cut while the card works on DEBIT. */
    hw_qemu_opts qo = {.elf = o->elf, .cut = 1, .slow = 1};
    hw_purchase warm = {.amount = ref.warm.amount};
    hw_purchase p = {.amount = ref.p.amount, .capp = ref.p.capp};
    if (open_image(&qo, path, seed, &card, atr, &atrlen, err, sizeof(err)) != 0 ||
        hw_open_host(&sam, sam_nvm, SAM_NVM, seed + 1, err, sizeof(err)) != 0 ||
        hw_power_on(sam, 0, atr, sizeof(atr), &atrlen) != 0) {
        failf(it, "%s", err);
        goto out;
    }
    if (hw_purchase_begin(card, sam, &warm) != 0 || hw_purchase_end(card, sam, &warm) != 0) {
        failf(it, "the warm-up purchase on the image: %s, SW %04X: %s",
              hw_purchase_stage(warm.stage), warm.sw, hw_errmsg(card));
        goto out;
    }
    if (hw_purchase_begin(card, sam, &p) != 0) {
        failf(it, "the purchase on the image: %s, SW %04X: %s", hw_purchase_stage(p.stage), p.sw,
              hw_errmsg(card));
        goto out;
    }
    if (!same_purchase(&warm, &ref.warm) || memcmp(warm.tac_mac2, ref.warm.tac_mac2, 8) != 0 ||
        !same_purchase(&p, &ref.p)) {
        failf(it, "the image's purchase differs from the in-process card's");
        goto out;
    }
    if (cut_debit(it, card, &p, delay, cut) != 0)
        goto out;
    hw_close(card, NULL, NULL, 0);
    card = NULL;
    /* The PSAM carries on with the state the purchases left (its transaction number). */
    memcpy(sam_nvm, hw_host_nvm(sam, &len), SAM_NVM);
    if (hw_file_read(cut, &got, &len) != 0 || len != HW_NVM_SIZE) {
        failf(it, "pmemsave left no %u-byte image", HW_NVM_SIZE);
        goto out;
    }
    int cls = memcmp(got, ref.before, HW_NVM_SIZE) == 0  ? 0
              : memcmp(got, ref.after, HW_NVM_SIZE) == 0 ? 2
                                                         : 1;
    *(cls == 0 ? &t->untouched : cls == 2 ? &t->after : &t->torn) += 1;
    if (aimed && cls != 1)
        a->edge += cls == 0 ? a->step : -a->step;
    uint16_t c0 = hw_get16(ref.p.init + HW_INIT_COUNTER);
    if (probe_both(o, it, cut, next, seed + 7, ref.p.capp ? 0x09 : 0x06, (uint16_t)(c0 + 1), &pq,
                   &ph) != 0 ||
        judge(it, before, &ref, &pq, cls, t) != 0)
        goto out;
    /* The next purchases start from the recovered image. */
    free(got);
    got = NULL;
    if (hw_file_read(next, &got, &len) != 0 || len != HW_NVM_SIZE) {
        failf(it, "cannot read %s", next);
        goto out;
    }
    memcpy(cur, got, HW_NVM_SIZE);
    *before = pq;
    printf("cut %3u: %3u fen%s, %6.1f us after DEBIT was sent%s: NVM %s, card %s (balance %u)\n",
           it, ref.p.amount, ref.p.capp ? " CAPP" : "     ", delay, aimed ? " (aimed)" : "        ",
           cls == 0   ? "as before"
           : cls == 2 ? "as after "
                      : "torn     ",
           pq.balance == hw_get32(ref.p.init) ? "kept   " : "debited", pq.balance);
    rc = 0;
out:
    hw_close(card, NULL, NULL, 0);
    hw_close(sam, NULL, NULL, 0);
    free(got);
    return rc;
}

int hw_check_powercut(int argc, char **argv)
{
    cut_opts o = {.elf = hw_elf_default(), .profile = "purse-funded", .iterations = 40, .seed = 1};
    static const struct option longopts[] = {
        {"iterations", required_argument, NULL, 'n'}, {"seed", required_argument, NULL, 's'},
        {"profile", required_argument, NULL, 'p'},    {"dir", required_argument, NULL, 'd'},
        {"elf", required_argument, NULL, 'e'},        {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            o.iterations = (unsigned)strtoul(optarg, NULL, 0);
            break;
        case 's':
            o.seed = strtoull(optarg, NULL, 0);
            break;
        case 'p':
            o.profile = optarg;
            break;
        case 'd':
            o.dir = optarg;
            break;
        case 'e':
            o.elf = optarg;
            break;
        default:
            return 2;
        }
    }
    if (o.dir == NULL || o.iterations == 0 || optind != argc)
        return hw_check_usage("powercut: --dir DIR is needed ([--iterations N] [--seed S])");
    int rc = hw_check_skip_reason(o.elf);
    if (rc != 0)
        return rc;
    char err[512] = "", path[4200];
    uint8_t *img = NULL, *sam_nvm = NULL;
    static probe before;
    tally t = {0};
    double debit_us;
    if (hw_image_make(o.profile, HW_NVM_SIZE, 0, &img, err, sizeof(err)) != 0 ||
        hw_image_make("psam", SAM_NVM, 1, &sam_nvm, err, sizeof(err)) != 0 ||
        calibrate(&o, img, sam_nvm, &debit_us, err, sizeof(err)) != 0) {
        printf("FAIL: setting up: %s\n", err);
        rc = 1;
        goto out;
    }
    /* The state before the first purchase, at both ends. */
    snprintf(path, sizeof(path), "%s/first.bin", o.dir);
    rc = 1;
    uint8_t *first_img = NULL;
    size_t len = 0;
    static probe ph;
    if (hw_file_write(path, img, HW_NVM_SIZE) != 0 ||
        probe_both(&o, 0, path, path, 5, 0x06, 1, &before, &ph) != 0)
        goto out;
    if (hw_file_read(path, &first_img, &len) != 0 || len != HW_NVM_SIZE) {
        printf("FAIL: cannot read %s\n", path);
        free(first_img);
        goto out;
    }
    memcpy(img, first_img, HW_NVM_SIZE); /* as the image left it after its first power-on */
    free(first_img);
    uint32_t first = before.balance;
    /* Cuts land anywhere from the DEBIT command's arrival to well after its answer, or
     * aim at its writes, which come at the end. */
    aim a = {.window = debit_us * 1.5,
             .edge = debit_us * 0.8,
             .spread = debit_us * 0.1,
             .step = debit_us * 0.04};
    double window = a.window;
    printf("powercut: %u purchases from %u fen, seed %llu; a warm DEBIT takes %.0f us of wall "
           "time on the image, cuts drawn from [0, %.0f] us after it is sent\n",
           o.iterations, first, (unsigned long long)o.seed, debit_us, window);
    uint64_t rng = o.seed;
    for (unsigned it = 1; it <= o.iterations; it++)
        if (iterate(&o, it, &rng, &a, img, sam_nvm, &before, &t) != 0)
            goto out;
    if (before.balance != first - t.spent) {
        printf("FAIL: the balance went from %u to %u, the debits add up to %llu\n", first,
               before.balance, (unsigned long long)t.spent);
        goto out;
    }
    printf("powercut: %u cuts: the NVM as before the debit %u, torn inside its writes %u, as "
           "after it %u; the recovered card was debited %u times (each with its proof) and kept "
           "its balance %u times; balance %u = %u - %llu (warm-ups included); QEMU and "
           "in-process agree\n",
           o.iterations, t.untouched, t.torn, t.after, t.debited, t.kept, before.balance, first,
           (unsigned long long)t.spent);
    if (restarts > 0)
        printf("note: %u fresh QEMUs did not answer and were started again\n", restarts);
    /* Not failures (the instants depend on the host's load), but worth saying. */
    if (t.debited == 0 || t.kept == 0)
        printf("note: every cut came %s the debit's commit: the cut window missed it\n",
               t.debited == 0 ? "before" : "after");
    if (t.torn == 0)
        printf("note: no cut landed inside the debit's NVM writes this time\n");
    rc = 0;
out:
    free(img);
    free(sam_nvm);
    return rc;
}
