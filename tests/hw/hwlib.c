/*
 * tests/hw: the image under QEMU and the in-process card behind one interface
 * (hwlib.h): QEMU through the CLI's backend (vcard_qemu.c) with our own options, power
 * cuts through its QMP monitor (stop, then pmemsave), the host port over a copy of an
 * image, image files, hex, and a PBOC purchase with the PSAM.
 */
#include "hwlib.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "obol/cos_host.h"
#include "obol/cos_profile.h"
#include "obol/obol_rom.h"
#include "vcard.h"

#ifndef OBOL_CARD_ELF_DEFAULT
#define OBOL_CARD_ELF_DEFAULT "build-arm/obol-card.elf"
#endif
enum { CTRL_OFF = 0, CTRL_ON = 1, CTRL_RESET = 2, CTRL_ATR = 4, CTRL_COST = 0x20 };

struct hw_card {
    int qemu;
    char msg[512];
    /* QEMU */
    vcard__qemu *q;
    int cut;      /* hw_cut() allowed (hw_qemu_opts.cut) */
    int gone;     /* QEMU quit after hw_cut() */
    int restarts; /* starts made again (start_checked()) */
    /* in-process */
    cos_host host;
    cos_card card;
    uint8_t *nvm;
    uint32_t size;
    cos_cost before, after; /* counters around the last operation */
    uint64_t now;
};

const uint8_t hw_purse_aid[9] = {0xA0, 0x00, 0x00, 0x00, 0x03, 0x86, 0x98, 0x07, 0x01};
const uint8_t hw_psam_aid[10] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x50, 0x53, 0x41, 0x4D, 0x01};

static int say(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int say(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *hw_elf_default(void)
{
    const char *e = getenv("OBOL_CARD_ELF");
    return e != NULL && e[0] != '\0' ? e : OBOL_CARD_ELF_DEFAULT;
}

/* ---- hex and bytes ------------------------------------------------------------------ */

long hw_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int half = -1;
    for (const char *p = hex; *p; p++) {
        int v;
        if (*p == ' ' || *p == '\t' || *p == '_')
            continue;
        if (*p >= '0' && *p <= '9')
            v = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            v = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            v = *p - 'A' + 10;
        else
            return -1;
        if (half < 0) {
            half = v;
            continue;
        }
        if (n == cap)
            return -1;
        out[n++] = (uint8_t)(half << 4 | v);
        half = -1;
    }
    return half < 0 ? (long)n : -1;
}

char *hw_tohex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
}

uint16_t hw_sw(const uint8_t *rsp, size_t n)
{
    return n >= 2 ? (uint16_t)(rsp[n - 2] << 8 | rsp[n - 1]) : 0;
}

uint32_t hw_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint16_t hw_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- image files -------------------------------------------------------------------- */

int hw_file_read(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = NULL;
    long n;
    *buf = NULL;
    *len = 0;
    if (f == NULL)
        return HW_ERR_IO;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
        (b = malloc(n > 0 ? (size_t)n : 1)) == NULL || fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        fclose(f);
        return HW_ERR_IO;
    }
    fclose(f);
    *buf = b;
    *len = (size_t)n;
    return 0;
}

int hw_file_write(const char *path, const uint8_t *buf, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.writing", path);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL)
        return HW_ERR_IO;
    int ok = fwrite(buf, 1, len, f) == len;
    if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
        remove(tmp);
        return HW_ERR_IO;
    }
    return 0;
}

int hw_image_make(const char *profile, uint32_t size, uint64_t seed, uint8_t **nvm, char *err,
                  size_t errlen)
{
    cos_host h;
    cos_card_config cfg;
    cos_card *card = malloc(sizeof(*card));
    uint8_t *buf = malloc(size);
    int rc;
    *nvm = NULL;
    if (card == NULL || buf == NULL) {
        free(card);
        free(buf);
        return say(err, errlen, HW_ERR_NOMEM, "out of memory");
    }
    memset(buf, 0xFF, size); /* an erased chip */
    if ((rc = cos_host_open_buffer(&h, buf, size, 64, seed)) != 0) {
        rc = say(err, errlen, HW_ERR_USAGE, "a %u-byte image: %s", size, cos_strerror(rc));
        goto out;
    }
    cos_host_config(&h, obol_rom_classes, obol_rom_nclasses, &cfg);
    if ((rc = cos_card_attach(card, &cfg)) != 0)
        rc = say(err, errlen, HW_ERR_CARD, "attaching the card: %s", cos_strerror(rc));
    else if ((rc = cos_profile_apply(card, profile, 0, err, errlen)) != 0)
        rc = HW_ERR_USAGE;
    cos_host_close(&h);
out:
    free(card);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *nvm = buf;
    return 0;
}

/* ---- power cuts ---------------------------------------------------------------------- */

/* The backend's own stop: QMP stop, pmemsave of the NVM region into NVM_OUT, quit. */
int hw_cut(hw_card *c, const char *nvm_out)
{
    if (!c->qemu || !c->cut || c->gone || c->q == NULL)
        return say(c->msg, sizeof(c->msg), HW_ERR_USAGE, "no power cuts on this card");
    int rc = vcard__qemu_stop(c->q, nvm_out, c->msg, sizeof(c->msg));
    /* Either way the virtual machine never runs again. */
    c->q = NULL;
    c->gone = 1;
    return rc != 0 ? HW_ERR_IO : 0;
}

/* ---- opening and closing ------------------------------------------------------------ */

/* Starts QEMU and asks the image for its (still empty) ATR, so a dead link shows
 * here. Once in a few hundred starts on a busy machine a fresh QEMU did not answer
 * within the backend's 5 s, before the card had run anything: that start is counted
 * (hw_restarted()) and made once more. */
static int start_checked(hw_card *c, const char *elf, const char *nvm_path, uint64_t seed,
                         const char *const *extra, char *err, size_t errlen)
{
    for (int attempt = 0;; attempt++) {
        uint8_t code = CTRL_ATR, atr[64];
        size_t got = 0;
        int rc = vcard__qemu_start_args(&c->q, elf, nvm_path, seed, extra, err, errlen);
        if (rc != 0)
            return rc;
        rc = vcard__qemu_frame(c->q, &code, 1, 1, atr, sizeof(atr), &got, err, errlen);
        if (rc == 0)
            return 0;
        vcard__qemu_stop(c->q, NULL, NULL, 0);
        c->q = NULL;
        if (attempt == 1)
            return rc;
        c->restarts++;
    }
}

int hw_open_qemu(hw_card **out, const hw_qemu_opts *o, const char *nvm_path, uint64_t seed,
                 char *err, size_t errlen)
{
    hw_card *c = calloc(1, sizeof(*c));
    const char *elf = o->elf != NULL ? o->elf : hw_elf_default();
    int rc;
    *out = NULL;
    if (c == NULL)
        return say(err, errlen, HW_ERR_NOMEM, "out of memory");
    c->qemu = 1;
    if (access(elf, R_OK) != 0) {
        rc = say(err, errlen, HW_ERR_USAGE, "%s: no card image (%s); 'make firmware' builds it",
                 elf, strerror(errno));
        goto fail;
    }
    char shift[32];
    const char *extra[4];
    size_t n = 0;
    snprintf(shift, sizeof(shift), "shift=%d", HW_ICOUNT_SHIFT);
    if (o->icount) {
        extra[n++] = "-icount";
        extra[n++] = shift;
    }
    if (o->slow)
        extra[n++] = "-singlestep";
    extra[n] = NULL;
    c->cut = o->cut;
    rc = start_checked(c, elf, nvm_path, seed, extra, err, errlen);
    if (rc != 0)
        goto fail;
    *out = c;
    return 0;
fail:
    hw_close(c, NULL, NULL, 0);
    return rc;
}

int hw_open_host(hw_card **out, const uint8_t *nvm, uint32_t size, uint64_t seed, char *err,
                 size_t errlen)
{
    hw_card *c = calloc(1, sizeof(*c));
    cos_card_config cfg;
    int rc;
    *out = NULL;
    if (c == NULL || (c->nvm = malloc(size)) == NULL) {
        free(c);
        return say(err, errlen, HW_ERR_NOMEM, "out of memory");
    }
    memcpy(c->nvm, nvm, size);
    c->size = size;
    if ((rc = cos_host_open_buffer(&c->host, c->nvm, size, 64, seed)) != 0) {
        free(c->nvm);
        free(c);
        return say(err, errlen, HW_ERR_USAGE, "a %u-byte image: %s", size, cos_strerror(rc));
    }
    cos_host_config(&c->host, obol_rom_classes, obol_rom_nclasses, &cfg);
    if ((rc = cos_card_attach(&c->card, &cfg)) != 0) {
        cos_host_close(&c->host);
        free(c->nvm);
        free(c);
        return say(err, errlen, HW_ERR_CARD, "attaching the card: %s", cos_strerror(rc));
    }
    *out = c;
    return 0;
}

int hw_close(hw_card *c, const char *save_path, char *err, size_t errlen)
{
    int rc = 0;
    if (c == NULL)
        return 0;
    if (c->qemu) {
        if (c->q != NULL) {
            if (!c->gone && save_path != NULL) {
                /* as vcard_close(): an orderly power off before the NVM is saved */
                uint8_t off = CTRL_OFF;
                vcard__qemu_frame(c->q, &off, 1, 0, NULL, 0, NULL, c->msg, sizeof(c->msg));
            }
            rc = vcard__qemu_stop(c->q, c->gone ? NULL : save_path, err, errlen);
        }
    } else {
        cos_power_off(&c->card);
        if (save_path != NULL && hw_file_write(save_path, c->nvm, c->size) != 0)
            rc = say(err, errlen, HW_ERR_IO, "cannot write %s: %s", save_path, strerror(errno));
        cos_host_close(&c->host);
        free(c->nvm);
    }
    free(c);
    return rc;
}

int hw_restarted(const hw_card *c)
{
    return c->restarts;
}

const char *hw_errmsg(const hw_card *c)
{
    return c->msg;
}

const uint8_t *hw_host_nvm(const hw_card *c, size_t *size)
{
    if (c->qemu)
        return NULL;
    *size = c->size;
    return c->nvm;
}

/* ---- exchanges ---------------------------------------------------------------------- */

static int qemu_ctrl(hw_card *c, uint8_t code, uint8_t *buf, size_t cap, size_t *got)
{
    if (c->gone)
        return say(c->msg, sizeof(c->msg), HW_ERR_CARD, "QEMU was stopped by a power cut");
    return vcard__qemu_frame(c->q, &code, 1, buf != NULL, buf, cap, got, c->msg, sizeof(c->msg));
}

int hw_power_on(hw_card *c, int warm, uint8_t *atr, size_t cap, size_t *atrlen)
{
    int rc;
    *atrlen = 0;
    if (c->qemu) {
        uint8_t buf[64];
        size_t got = 0;
        if ((rc = qemu_ctrl(c, warm ? CTRL_RESET : CTRL_ON, NULL, 0, NULL)) != 0 ||
            (rc = qemu_ctrl(c, CTRL_ATR, buf, sizeof(buf), &got)) != 0)
            return HW_ERR_IO;
        if (got == 0 || got > cap)
            return say(c->msg, sizeof(c->msg), HW_ERR_CARD,
                       "the image did not power on (ATR of %zu bytes)", got);
        memcpy(atr, buf, got);
        *atrlen = got;
        return 0;
    }
    c->before = *cos_cost_get(&c->card);
    rc = cos_power_on(&c->card, COS_IF_CONTACT | (warm ? COS_RESET_WARM : 0), ++c->now, atr, cap,
                      atrlen);
    c->after = *cos_cost_get(&c->card);
    if (rc != 0)
        return say(c->msg, sizeof(c->msg), HW_ERR_CARD, "power on: %s", cos_strerror(rc));
    return 0;
}

int hw_power_off(hw_card *c)
{
    if (c->qemu)
        return qemu_ctrl(c, CTRL_OFF, NULL, 0, NULL) == 0 ? 0 : HW_ERR_IO;
    cos_power_off(&c->card);
    return 0;
}

int hw_transmit(hw_card *c, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
                size_t *rsplen)
{
    *rsplen = 0;
    if (len < 4) /* a 1-byte frame would be a control code to the image */
        return say(c->msg, sizeof(c->msg), HW_ERR_USAGE, "a %zu-byte command", len);
    if (c->qemu) {
        if (c->gone)
            return say(c->msg, sizeof(c->msg), HW_ERR_CARD, "QEMU was stopped by a power cut");
        int rc = vcard__qemu_frame(c->q, cmd, len, 1, rsp, cap, rsplen, c->msg, sizeof(c->msg));
        if (rc == 0 && *rsplen < 2)
            return say(c->msg, sizeof(c->msg), HW_ERR_CARD, "a %zu-byte answer", *rsplen);
        return rc == 0 ? 0 : HW_ERR_IO;
    }
    c->before = *cos_cost_get(&c->card);
    int rc = cos_transmit(&c->card, ++c->now, cmd, len, rsp, cap, rsplen);
    c->after = *cos_cost_get(&c->card);
    if (rc != 0)
        return say(c->msg, sizeof(c->msg), HW_ERR_CARD, "the card did not answer: %s",
                   cos_strerror(rc));
    return 0;
}

int hw_transmit_hex(hw_card *c, const char *hex, uint8_t *rsp, size_t *rsplen, uint16_t *sw)
{
    uint8_t cmd[300], buf[HW_RSP_MAX];
    size_t n = 0;
    long len = hw_hex(hex, cmd, sizeof(cmd));
    if (len < 0)
        return say(c->msg, sizeof(c->msg), HW_ERR_USAGE, "bad hex: %s", hex);
    int rc = hw_transmit(c, cmd, (size_t)len, rsp != NULL ? rsp : buf, HW_RSP_MAX, &n);
    if (rsplen != NULL)
        *rsplen = n;
    if (sw != NULL)
        *sw = rc == 0 ? hw_sw(rsp != NULL ? rsp : buf, n) : 0;
    return rc;
}

int hw_send(hw_card *c, const uint8_t *cmd, size_t len)
{
    if (!c->qemu || c->gone || len < 4)
        return say(c->msg, sizeof(c->msg), HW_ERR_USAGE, "hw_send: QEMU cards only");
    return vcard__qemu_frame(c->q, cmd, len, 0, NULL, 0, NULL, c->msg, sizeof(c->msg)) == 0
               ? 0
               : HW_ERR_IO;
}

int hw_instructions(hw_card *c, uint64_t *instr)
{
    uint8_t b[8];
    size_t got = 0;
    if (!c->qemu)
        return say(c->msg, sizeof(c->msg), HW_ERR_USAGE, "instructions: QEMU cards only");
    if (qemu_ctrl(c, CTRL_COST, b, sizeof(b), &got) != 0)
        return HW_ERR_IO;
    if (got != 4)
        return say(c->msg, sizeof(c->msg), HW_ERR_CARD,
                   "the image answered %zu bytes to control code 0x20 (an image without it?)", got);
    uint64_t ns = (uint64_t)hw_get32(b) * HW_NS_PER_TICK;
    *instr = (ns + (1u << HW_ICOUNT_SHIFT) / 2) >> HW_ICOUNT_SHIFT;
    return 0;
}

int hw_work(const hw_card *c, cos_cost *w)
{
    if (c->qemu)
        return HW_ERR_USAGE;
    w->apdus = c->after.apdus - c->before.apdus;
    w->nvm_writes = c->after.nvm_writes - c->before.nvm_writes;
    w->nvm_bytes = c->after.nvm_bytes - c->before.nvm_bytes;
    w->nvm_pages = c->after.nvm_pages - c->before.nvm_pages;
    w->crypto_blocks = c->after.crypto_blocks - c->before.crypto_blocks;
    w->rng_bytes = c->after.rng_bytes - c->before.rng_bytes;
    return 0;
}

/* ---- a purchase --------------------------------------------------------------------- */

enum { ST_SELECT = 1, ST_READ, ST_PSAM, ST_INIT, ST_INIT_SAM, ST_CAPP, ST_DEBIT, ST_CREDIT_SAM };

const char *hw_purchase_stage(int stage)
{
    static const char *const names[] = {"done",     "select", "read",  "psam",      "init",
                                        "init-sam", "capp",   "debit", "credit-sam"};
    return stage >= 0 && stage <= ST_CREDIT_SAM ? names[stage] : "?";
}

/* One exchange of the purchase: 0 when it answered 9000 with at least WANT bytes of
 * data (copied to OUT when not NULL). */
static int step(hw_card *c, hw_purchase *p, int stage, const uint8_t *cmd, size_t len, uint8_t *out,
                size_t want)
{
    uint8_t rsp[HW_RSP_MAX];
    size_t n;
    int rc = hw_transmit(c, cmd, len, rsp, sizeof(rsp), &n);
    p->stage = stage;
    if (rc != 0)
        return rc;
    p->sw = hw_sw(rsp, n);
    if (p->sw != 0x9000 || n - 2 < want)
        return HW_ERR_CARD;
    if (out != NULL)
        memcpy(out, rsp, want);
    return 0;
}

void hw_purchase_capp_record(uint32_t amount, uint8_t rec[48])
{
    for (int i = 0; i < 48; i++)
        rec[i] = (uint8_t)(amount + (uint32_t)i);
}

/* 2026-11-22 08:30:00, the date of the protocol sheet's reference vectors. */
const uint8_t hw_purchase_when[7] = {0x20, 0x26, 0x11, 0x22, 0x08, 0x30, 0x00};

/* Appends LEN bytes of SRC at *AT. */
static void put(uint8_t **at, const void *src, size_t len)
{
    memcpy(*at, src, len);
    *at += len;
}

size_t hw_init_cmd(const hw_purchase *p, uint8_t out[17])
{
    /* INITIALIZE FOR (CAPP) PURCHASE, EP (P2 02): key index 1, amount, terminal id. */
    const uint8_t hdr[6] = {0x80, 0x50, p->capp ? 0x03 : 0x01, 0x02, 0x0B, 0x01};
    const uint8_t amount[4] = {(uint8_t)(p->amount >> 24), (uint8_t)(p->amount >> 16),
                               (uint8_t)(p->amount >> 8), (uint8_t)p->amount};
    uint8_t *at = out;
    put(&at, hdr, sizeof(hdr));
    put(&at, amount, 4);
    put(&at, p->tid, 6);
    *at++ = 0x0F;
    return (size_t)(at - out);
}

size_t hw_init_sam_cmd(const hw_purchase *p, uint8_t out[42])
{
    /* INIT SAM FOR PURCHASE: random, offline counter, amount, type, date and time, key
     * version, algorithm, card serial (rightmost 8 bytes of the application serial),
     * issuer code; Le 08. */
    static const uint8_t hdr[5] = {0x80, 0x70, 0x00, 0x00, 0x24};
    const uint8_t amount[4] = {(uint8_t)(p->amount >> 24), (uint8_t)(p->amount >> 16),
                               (uint8_t)(p->amount >> 8), (uint8_t)p->amount};
    uint8_t *at = out;
    put(&at, hdr, sizeof(hdr));
    put(&at, p->init + HW_INIT_RANDOM, 4);
    put(&at, p->init + HW_INIT_COUNTER, 2);
    put(&at, amount, 4);
    *at++ = p->capp ? 0x09 : 0x06;
    put(&at, hw_purchase_when, 7);
    put(&at, p->init + 9, 2); /* key version, algorithm */
    put(&at, p->pub + 12, 8);
    put(&at, p->pub, 8);
    *at++ = 0x08;
    return (size_t)(at - out);
}

void hw_debit_cmd(hw_purchase *p)
{
    /* DEBIT FOR PURCHASE: terminal transaction number, date, time, MAC1; Le 08. */
    static const uint8_t hdr[5] = {0x80, 0x54, 0x01, 0x00, 0x0F};
    uint8_t *at = p->debit;
    put(&at, hdr, sizeof(hdr));
    put(&at, p->sam, 4);
    put(&at, hw_purchase_when, 7);
    put(&at, p->sam + 4, 4);
    *at = 0x08;
}

int hw_purchase_begin(hw_card *card, hw_card *psam, hw_purchase *p)
{
    static const uint8_t read_pub[] = {0x00, 0xB0, 0x95, 0x00, 0x00}; /* EF 0015 by SFI */
    static const uint8_t read_tid[] = {0x00, 0xB0, 0x96, 0x00, 0x06}; /* EF 0016 */
    uint8_t cmd[64], *at = cmd;
    const uint8_t sel[5] = {0x00, 0xA4, 0x04, 0x00, sizeof(hw_purse_aid)};
    int rc;
    put(&at, sel, sizeof(sel));
    put(&at, hw_purse_aid, sizeof(hw_purse_aid));
    if ((rc = step(card, p, ST_SELECT, cmd, (size_t)(at - cmd), NULL, 0)) != 0 ||
        (rc = step(card, p, ST_READ, read_pub, sizeof(read_pub), p->pub, sizeof(p->pub))) != 0)
        return rc;
    cmd[4] = sizeof(hw_psam_aid);
    memcpy(cmd + 5, hw_psam_aid, sizeof(hw_psam_aid));
    if ((rc = step(psam, p, ST_PSAM, cmd, 5 + sizeof(hw_psam_aid), NULL, 0)) != 0 ||
        (rc = step(psam, p, ST_PSAM, read_tid, sizeof(read_tid), p->tid, 6)) != 0)
        return rc;
    size_t n = hw_init_cmd(p, cmd);
    if ((rc = step(card, p, ST_INIT, cmd, n, p->init, sizeof(p->init))) != 0)
        return rc;
    n = hw_init_sam_cmd(p, cmd);
    if ((rc = step(psam, p, ST_INIT_SAM, cmd, n, p->sam, 8)) != 0)
        return rc;
    if (p->capp) {
        /* UPDATE CAPP DATA CACHE of record 1 of EF 0017 (48 bytes of trip data). */
        uint8_t upd[5 + 48] = {0x80, 0xDC, 0x01, 0x17 << 3, 48};
        hw_purchase_capp_record(p->amount, upd + 5);
        if ((rc = step(card, p, ST_CAPP, upd, sizeof(upd), NULL, 0)) != 0)
            return rc;
    }
    hw_debit_cmd(p);
    p->stage = 0;
    return 0;
}

int hw_purchase_end(hw_card *card, hw_card *psam, hw_purchase *p)
{
    int rc = step(card, p, ST_DEBIT, p->debit, sizeof(p->debit), p->tac_mac2, 8);
    if (rc != 0)
        return rc;
    uint8_t credit[9] = {0x80, 0x72, 0x00, 0x00, 0x04};
    memcpy(credit + 5, p->tac_mac2 + 4, 4);
    if ((rc = step(psam, p, ST_CREDIT_SAM, credit, sizeof(credit), NULL, 0)) != 0)
        return rc;
    p->stage = 0;
    return 0;
}
