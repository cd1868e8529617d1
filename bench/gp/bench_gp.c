/*
 * obol benchmark: over-the-air GlobalPlatform scripts per second on one core.
 *
 *   gp.ota_scripts_per_sec  one script is what a TSM sends to put a new application on
 *                           an issued card: SELECT the ISD, open an SCP03 channel
 *                           (INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, i=70, security
 *                           level C-MAC + C-DECRYPTION), INSTALL [for install and make
 *                           selectable] of a new instance from a load file already on
 *                           the card (its ADF, two EFs with initial records, registry),
 *                           INSTALL [for personalization] and two STORE DATA blocks
 *                           forwarded to the new application. Both sides run: hostsim's
 *                           OpenSSL client wraps every command, the card its own crypto
 *                           and NVM transactions on the host port. Every 24 scripts the
 *                           card's image is restored (the registry holds 32 instances),
 *                           inside the timing. Median of 5 runs of about 0.5 s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gp/gp.h"
#include "obol/cos_host.h"
#include "obol/host_gp.h"

enum { RUNS = 5, BATCH = 24 };
#define NVM 32768u

/* TEST key of the ISD's initial key set. */
static const uint8_t test_key[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                     0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
static const uint8_t elf_aid[8] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x42, 0x4E, 0x01};
static const uint8_t mod_aid[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x42, 0x4E, 0x01, 0x01};

/* The load file (docs/load-file.md): one module of the bench's application class with
 * parameters and two EFs a transit application carries (public data, a record file). */
static const uint8_t olf[] = {
    0xC1, 0x01, 0x01, 0x4F, 0x08, 0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x42, 0x4E, 0x01, 0xC2, 0x02, 0x01,
    0x00, 0xA1, 0x4D, 0x4F, 0x09, 0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x42, 0x4E, 0x01, 0x01, 0xC3, 0x02,
    0x7F, 0x41, 0xC9, 0x06, 0x01, 0x01, 0x02, 0x04, 0x01, 0x03, 0xA2, 0x16, 0x83, 0x02, 0x00, 0x15,
    0x88, 0x01, 0x15, 0x82, 0x01, 0x01, 0x80, 0x02, 0x00, 0x1E, 0x86, 0x02, 0x00, 0xFF, 0xC0, 0x02,
    0x31, 0x00, 0xA2, 0x1C, 0x83, 0x02, 0x00, 0x17, 0x88, 0x01, 0x17, 0x82, 0x01, 0x02, 0x81, 0x02,
    0x08, 0x03, 0x86, 0x02, 0x00, 0xFF, 0xC0, 0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};

/* The application the scripts install (a ROM class of the bench's card, 0x7F41 in the
 * test range): it keeps what STORE DATA brings, the way a transit or welfare class takes
 * its personalization through its security domain. */
static int app_install(cos_ctx *ctx, const uint8_t *p, size_t n)
{
    uint8_t zero[2] = {0, 0};
    cos_obj o;
    int rc = cos_obj_create(ctx, 1, 128, &o);

    (void)p;
    (void)n;
    if (rc == 0)
        rc = cos_obj_write(ctx, &o, 0, zero, 2);
    return rc < 0 ? rc : gp_accept_perso(ctx);
}

static int app_process(cos_ctx *ctx, const cos_apdu *a, cos_resp *r)
{
    (void)ctx;
    (void)a;
    (void)r;
    return COS_PROCESS_OS;
}

static int app_share(cos_ctx *ctx, const uint8_t *client, size_t clen, uint8_t iface,
                     const uint8_t *in, size_t inlen, cos_resp *out)
{
    uint8_t have[2];
    cos_obj o;
    int rc;

    (void)client;
    (void)clen;
    (void)out;
    if (iface != GP_IFACE_PERSO || inlen < 2)
        return 0x6985;
    rc = cos_obj_open(ctx, 1, &o);
    if (rc == 0)
        rc = cos_obj_read(ctx, &o, 0, have, 2);
    if (rc < 0)
        return rc;
    uint16_t at = (uint16_t)(have[0] << 8 | have[1]), n = (uint16_t)(inlen - 2);
    if (at + n > 126)
        return 0x6A84;
    have[0] = (uint8_t)((at + n) >> 8);
    have[1] = (uint8_t)(at + n);
    rc = cos_txn_begin(ctx);
    if (rc == 0)
        rc = cos_obj_write(ctx, &o, (uint16_t)(2 + at), in + 2, n);
    if (rc == 0)
        rc = cos_obj_write(ctx, &o, 0, have, 2);
    if (rc == 0)
        rc = cos_txn_commit(ctx);
    return rc < 0 ? rc : 0x9000;
}

static const cos_applet_class app_class = {
    .id = 0x7F41,
    .name = "bench.app",
    .install = app_install,
    .process = app_process,
    .share = app_share,
};

static const cos_applet_class *const classes[] = {&gp_class, &app_class};

typedef struct bench {
    cos_host host;
    cos_card card;
    uint8_t *image;
    host_gp_session s;
    uint8_t rsp[600];
    size_t rlen;
    unsigned next_aid;
    uint8_t hc;
} bench;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void die(const char *what, int v)
{
    fprintf(stderr, "bench_gp: %s (%d / %04X)\n", what, v, (unsigned)v);
    exit(1);
}

static unsigned tx(bench *b, const uint8_t *cmd, size_t n)
{
    int rc = cos_transmit(&b->card, 0, cmd, n, b->rsp, sizeof b->rsp, &b->rlen);
    if (rc < 0)
        die("transmit", rc);
    return (unsigned)(b->rsp[b->rlen - 2] << 8 | b->rsp[b->rlen - 1]);
}

/* Wraps, sends, unwraps; dies unless 9000. */
static void sc(bench *b, const uint8_t *cmd, size_t n)
{
    uint8_t w[300], out[600];
    size_t m, on;
    if (host_gp_wrap(&b->s, cmd, n, w, sizeof w, &m) != 0)
        die("wrap", 0);
    unsigned sw = tx(b, w, m);
    if (host_gp_unwrap(&b->s, b->rsp, b->rlen, out, sizeof out, &on) != 0 || sw != 0x9000)
        die("secure command", (int)sw);
}

static void open_channel(bench *b)
{
    static const uint8_t sel[] = {0x00, 0xA4, 0x04, 0x00, 0x08, 0xA0, 0x00,
                                  0x00, 0x01, 0x51, 0x00, 0x00, 0x00, 0x00};
    host_gp_keys k;
    uint8_t cmd[64], hc[8];
    size_t n;

    memset(&k, 0, sizeof k);
    memcpy(k.enc, test_key, 16);
    memcpy(k.mac, test_key, 16);
    memcpy(k.dek, test_key, 16);
    k.len = 16;
    for (int i = 0; i < 8; i++)
        hc[i] = (uint8_t)(b->hc + i);
    b->hc++;
    if (tx(b, sel, sizeof sel) != 0x9000)
        die("select", 0);
    host_gp_session_init(&b->s, HOST_GP_SCP03, 0x70, &k, sel + 5, 8);
    host_gp_init_update(&b->s, hc, cmd, sizeof cmd, &n);
    if (tx(b, cmd, n) != 0x9000)
        die("initialize update", 0);
    if (host_gp_open(&b->s, b->rsp, b->rlen, 0x03, cmd, sizeof cmd, &n) != 0)
        die("card cryptogram", 0);
    if (tx(b, cmd, n) != 0x9000 || host_gp_confirm(&b->s, b->rsp, b->rlen) != 0)
        die("external authenticate", 0);
}

/* One OTA script with a fresh application AID. */
static void script(bench *b)
{
    static const uint8_t priv[3] = {0, 0, 0};
    static const uint8_t params[] = {0xC9, 0x03, 0x03, 0x01, 0x64};
    static const uint8_t perso1[] = {0xDF, 0x20, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                     0x12, 0x34, 0xDF, 0x22, 0x04, 0x20, 0x26, 0x11, 0x22};
    static const uint8_t perso2[] = {0xDF, 0x21, 0x02, 0x00, 0x64};
    uint8_t aid[10] = {0xA0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x05, 0x00, 0x00};
    uint8_t cmd[300];
    host_gp_install in;
    size_t n;

    aid[8] = (uint8_t)(b->next_aid >> 8);
    aid[9] = (uint8_t)b->next_aid;
    b->next_aid++;
    open_channel(b);
    memset(&in, 0, sizeof in);
    in.p1 = 0x0C;
    in.elf_aid = elf_aid;
    in.elf_aid_len = sizeof elf_aid;
    in.module_aid = mod_aid;
    in.module_aid_len = sizeof mod_aid;
    in.app_aid = aid;
    in.app_aid_len = sizeof aid;
    in.privileges = priv;
    in.privileges_len = 3;
    in.params = params;
    in.params_len = sizeof params;
    host_gp_install_cmd(&in, cmd, sizeof cmd, &n);
    sc(b, cmd, n);
    memset(&in, 0, sizeof in);
    in.p1 = 0x20;
    in.app_aid = aid;
    in.app_aid_len = sizeof aid;
    host_gp_install_cmd(&in, cmd, sizeof cmd, &n);
    sc(b, cmd, n);
    host_gp_store_data_cmd(0x00, 0, perso1, sizeof perso1, cmd, sizeof cmd, &n);
    sc(b, cmd, n);
    host_gp_store_data_cmd(0x80, 1, perso2, sizeof perso2, cmd, sizeof cmd, &n);
    sc(b, cmd, n);
}

static void power(bench *b)
{
    uint8_t atr[40];
    size_t n;
    int rc = cos_power_on(&b->card, COS_IF_CONTACTLESS, 0, atr, sizeof atr, &n);
    if (rc < 0)
        die("power on", rc);
}

static void restore(bench *b)
{
    cos_power_off(&b->card);
    memcpy(b->host.nvm, b->image, NVM);
    power(b);
}

/* A card with its ISD and the load file on it; the image is kept for restore(). */
static void setup(bench *b)
{
    cos_format_params fp = {2048, 0, NULL, 0};
    cos_card_config cfg;
    uint8_t cmd[300], hash[1] = {0};
    host_gp_install in;
    size_t n;

    memset(b, 0, sizeof *b);
    if (cos_host_open_mem(&b->host, NVM, 64, 0xB0B) != 0)
        die("host port", 0);
    cos_host_config(&b->host, classes, 2, &cfg);
    if (cos_card_attach(&b->card, &cfg) != 0 || cos_format(&b->card, &fp) != 0)
        die("format", 0);
    power(b);
    if (gp_isd_create(&b->card, NULL, NULL) != 0)
        die("ISD", 0);
    open_channel(b);
    memset(&in, 0, sizeof in);
    in.p1 = 0x02;
    in.elf_aid = elf_aid;
    in.elf_aid_len = sizeof elf_aid;
    host_gp_install_cmd(&in, cmd, sizeof cmd, &n);
    sc(b, cmd, n);
    (void)hash;
    cmd[0] = 0x80;
    cmd[1] = 0xE8;
    cmd[2] = 0x80;
    cmd[3] = 0x00;
    cmd[4] = (uint8_t)(sizeof olf + 2);
    cmd[5] = 0xC4;
    cmd[6] = (uint8_t)sizeof olf;
    memcpy(cmd + 7, olf, sizeof olf);
    cmd[7 + sizeof olf] = 0x00;
    sc(b, cmd, 8 + sizeof olf);
    cos_power_off(&b->card);
    b->image = malloc(NVM);
    memcpy(b->image, b->host.nvm, NVM);
    power(b);
}

int main(void)
{
    static bench b;
    double rates[RUNS];
    unsigned per = 0;

    setup(&b);
    /* Calibrate to about 0.5 s per run. */
    double t0 = now();
    for (unsigned k = 0; k < BATCH; k++)
        script(&b);
    double one = (now() - t0) / BATCH;
    per = (unsigned)(0.5 / one) / BATCH * BATCH;
    if (per < BATCH)
        per = BATCH;
    for (int r = 0; r < RUNS; r++) {
        restore(&b);
        t0 = now();
        for (unsigned k = 0; k < per; k++) {
            if (k && k % BATCH == 0)
                restore(&b);
            script(&b);
        }
        rates[r] = per / (now() - t0);
    }
    qsort(rates, RUNS, sizeof rates[0], cmp_double);
    printf("BENCH gp.ota_scripts_per_sec %.0f scripts/s\n", rates[RUNS / 2]);
    cos_host_close(&b.host);
    free(b.image);
    return 0;
}
