/*
 * obol CLI: virtual cards (vcard.h): the in-process card on the host port, the
 * personalization of new images, the dispatch to the QEMU backend, and the card specs
 * of the command line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "obol/cos.h"
#include "obol/cos_host.h"
#include "obol/cos_perso.h"
#include "obol/cos_profile.h"
#include "obol/obol_rom.h"
#include "vcard.h"

#ifndef OBOL_CARD_ELF_DEFAULT
#define OBOL_CARD_ELF_DEFAULT "build-arm/obol-card.elf"
#endif

struct vcard {
    char name[64];
    char msg[512];
    int qemu;
    int powered;
    uint8_t atr[64];
    size_t atrlen;
    /* in-process */
    cos_host host;
    cos_card *card;
    int host_open;
    uint64_t now; /* the card's time: one tick per operation, so runs are reproducible */
    /* QEMU */
    vcard__qemu *q;
    char *nvm_path; /* the image QEMU loads and the harness saves into */
    int nvm_temp;   /* NVM_PATH is a temporary file, removed at close */
};

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* Attaches C's in-process card to its NVM (file or memory) and personalizes a new
 * one. SIZE is the size of a new image. */
static int open_host(vcard *c, const vcard_spec *s, const char *image, uint32_t size, char *err,
                     size_t errlen)
{
    int fresh = 1, rc;
    if (image != NULL) {
        struct stat st;
        if (stat(image, &st) == 0) {
            if (st.st_size < 1024 || st.st_size > (off_t)(65535u * COS_NVM_ALIGN))
                return fail(err, errlen, VCARD_ERR_USAGE, "%s: not a card image (size %lld)", image,
                            (long long)st.st_size);
            size = (uint32_t)st.st_size;
            fresh = 0;
        }
        rc = cos_host_open_file(&c->host, image, size, 64, s->seed);
    } else {
        rc = cos_host_open_mem(&c->host, size, 64, s->seed);
    }
    if (rc != 0)
        return fail(err, errlen, VCARD_ERR_USAGE, "cannot open the card image%s%s: %s",
                    image ? " " : "", image ? image : "", cos_strerror(rc));
    c->host_open = 1;
    if ((c->card = malloc(sizeof(*c->card))) == NULL)
        return fail(err, errlen, VCARD_ERR_NOMEM, "out of memory");
    cos_card_config cfg;
    cos_host_config(&c->host, obol_rom_classes, obol_rom_nclasses, &cfg);
    if ((rc = cos_card_attach(c->card, &cfg)) != 0)
        return fail(err, errlen, VCARD_ERR_CARD, "attaching the card: %s", cos_strerror(rc));
    if (!fresh)
        return 0;
    char perr[256];
    if (s->profile != NULL)
        rc = cos_profile_apply(c->card, s->profile, s->serial, perr, sizeof(perr));
    else if ((rc = cos_perso_default(c->card, 0, 0)) != 0)
        snprintf(perr, sizeof(perr), "personalizing the default card: %s", cos_strerror(rc));
    if (rc != 0) {
        cos_host_close(&c->host);
        c->host_open = 0;
        if (image != NULL)
            remove(image); /* never leave a half-personalized image behind */
        return fail(err, errlen, VCARD_ERR_USAGE, "%s", perr);
    }
    return 0;
}

static void close_host(vcard *c)
{
    if (c->host_open) {
        if (c->card != NULL)
            cos_power_off(c->card);
        cos_host_close(&c->host);
        c->host_open = 0;
    }
    free(c->card);
    c->card = NULL;
}

/* QEMU: makes sure there is a personalized 64 KB image for the emulator to load. */
static int prepare_qemu_nvm(vcard *c, const vcard_spec *s, char *err, size_t errlen)
{
    struct stat st;
    if (s->image != NULL && stat(s->image, &st) == 0) {
        if (st.st_size != (off_t)VCARD_QEMU_NVM_SIZE)
            return fail(err, errlen, VCARD_ERR_USAGE,
                        "%s: the QEMU card image holds %u bytes of NVM, this file has %lld",
                        s->image, VCARD_QEMU_NVM_SIZE, (long long)st.st_size);
        c->nvm_path = strdup(s->image);
        return c->nvm_path ? 0 : fail(err, errlen, VCARD_ERR_NOMEM, "out of memory");
    }
    if (s->image != NULL) {
        c->nvm_path = strdup(s->image);
    } else {
        char tmpl[] = "/tmp/obol-nvm-XXXXXX";
        int fd = mkstemp(tmpl);
        if (fd < 0)
            return fail(err, errlen, VCARD_ERR_IO, "cannot create a temporary image: %s",
                        strerror(errno));
        close(fd);
        remove(tmpl); /* cos_host_open_file creates it erased */
        c->nvm_path = strdup(tmpl);
        c->nvm_temp = 1;
    }
    if (c->nvm_path == NULL)
        return fail(err, errlen, VCARD_ERR_NOMEM, "out of memory");
    int rc = open_host(c, s, c->nvm_path, VCARD_QEMU_NVM_SIZE, err, errlen);
    close_host(c);
    return rc;
}

int vcard_open(vcard **out, const vcard_spec *s, char *err, size_t errlen)
{
    vcard *c = calloc(1, sizeof(*c));
    int rc;
    *out = NULL;
    if (c == NULL)
        return fail(err, errlen, VCARD_ERR_NOMEM, "out of memory");
    snprintf(c->name, sizeof(c->name), "%s", s->name ? s->name : "card");
    c->qemu = s->qemu;
    if (s->qemu) {
        const char *elf = s->elf ? s->elf : getenv("OBOL_CARD_ELF");
        if (elf == NULL)
            elf = OBOL_CARD_ELF_DEFAULT;
        if (access(elf, R_OK) != 0) {
            rc = fail(err, errlen, VCARD_ERR_USAGE,
                      "%s: no card image (%s); build it with 'make firmware' or give --elf", elf,
                      strerror(errno));
            goto fail;
        }
        if ((rc = prepare_qemu_nvm(c, s, err, errlen)) != 0)
            goto fail;
        if ((rc = vcard__qemu_start(&c->q, elf, c->nvm_path, s->seed, err, errlen)) != 0)
            goto fail;
    } else {
        uint32_t size = s->nvm_size ? s->nvm_size : VCARD_DEFAULT_NVM;
        if ((rc = open_host(c, s, s->image, size, err, errlen)) != 0)
            goto fail;
    }
    /* Learn the ATR once, so presence polls can be answered before any power on. */
    const uint8_t *atr;
    size_t atrlen;
    if ((rc = vcard_power_on(c, 0, &atr, &atrlen)) != 0 || (rc = vcard_power_off(c)) != 0) {
        fail(err, errlen, rc, "%s", c->msg);
        goto fail;
    }
    *out = c;
    return 0;
fail:
    vcard_close(c, NULL, 0);
    return rc;
}

int vcard_power_on(vcard *c, int warm, const uint8_t **atr, size_t *atrlen)
{
    int rc;
    if (c->qemu) {
        uint8_t ctl = warm ? 2 : 1, get = 4;
        size_t got = 0;
        if ((rc = vcard__qemu_frame(c->q, &ctl, 1, 0, NULL, 0, NULL, c->msg, sizeof(c->msg))) ||
            (rc = vcard__qemu_frame(c->q, &get, 1, 1, c->atr, sizeof(c->atr), &got, c->msg,
                                    sizeof(c->msg))))
            return rc;
        if (got == 0)
            return fail(c->msg, sizeof(c->msg), VCARD_ERR_CARD,
                        "%s: the card image did not power on (empty ATR)", c->name);
        c->atrlen = got;
    } else {
        rc = cos_power_on(c->card, COS_IF_CONTACT | (warm ? COS_RESET_WARM : 0), ++c->now, c->atr,
                          sizeof(c->atr), &c->atrlen);
        if (rc != 0)
            return fail(c->msg, sizeof(c->msg), VCARD_ERR_CARD, "%s: power on: %s", c->name,
                        cos_strerror(rc));
    }
    c->powered = 1;
    *atr = c->atr;
    *atrlen = c->atrlen;
    return 0;
}

int vcard_power_off(vcard *c)
{
    c->powered = 0;
    if (!c->qemu) {
        cos_power_off(c->card);
        return 0;
    }
    uint8_t ctl = 0;
    return vcard__qemu_frame(c->q, &ctl, 1, 0, NULL, 0, NULL, c->msg, sizeof(c->msg));
}

void vcard_atr(const vcard *c, const uint8_t **atr, size_t *atrlen)
{
    *atr = c->atr;
    *atrlen = c->atrlen;
}

int vcard_is_powered(const vcard *c)
{
    return c->powered;
}

int vcard_transmit(vcard *c, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
                   size_t *rsplen)
{
    if (!c->powered)
        return fail(c->msg, sizeof(c->msg), VCARD_ERR_CARD, "%s: the card is not powered", c->name);
    if (c->qemu) {
        if (len < 2) /* a 1-byte frame is a control code to the image */
            return fail(c->msg, sizeof(c->msg), VCARD_ERR_CARD, "%s: a %zu-byte command", c->name,
                        len);
        return vcard__qemu_frame(c->q, cmd, len, 1, rsp, cap, rsplen, c->msg, sizeof(c->msg));
    }
    int rc = cos_transmit(c->card, ++c->now, cmd, len, rsp, cap, rsplen);
    if (rc != 0)
        return fail(c->msg, sizeof(c->msg), VCARD_ERR_CARD, "%s: the card did not answer: %s",
                    c->name, cos_strerror(rc));
    return 0;
}

int vcard_close(vcard *c, char *err, size_t errlen)
{
    int rc = 0;
    if (c == NULL)
        return 0;
    if (c->q != NULL) {
        uint8_t ctl = 0;
        char m[256];
        vcard__qemu_frame(c->q, &ctl, 1, 0, NULL, 0, NULL, m, sizeof(m));
        rc = vcard__qemu_stop(c->q, c->nvm_temp ? NULL : c->nvm_path, err, errlen);
    }
    close_host(c);
    if (c->nvm_temp && c->nvm_path != NULL)
        remove(c->nvm_path);
    free(c->nvm_path);
    free(c);
    return rc;
}

const char *vcard_name(const vcard *c)
{
    return c->name;
}

const char *vcard_errmsg(const vcard *c)
{
    return c->msg;
}

const char *vcard_kind(const vcard *c)
{
    return c->qemu ? "qemu" : "in-process";
}

/* ---- card specs --------------------------------------------------------------------- */

int vcard_spec_parse(char *s, vcard_spec *spec, const char **vpcd, char *err, size_t errlen)
{
    int first = 1;
    if (vpcd != NULL)
        *vpcd = NULL;
    for (char *item = strtok(s, ","); item != NULL; item = strtok(NULL, ","), first = 0) {
        char *eq = strchr(item, '=');
        const char *key = item, *val = NULL;
        uint64_t v;
        if (eq != NULL) {
            *eq = '\0';
            val = eq + 1;
        }
        if (val == NULL && first && strcmp(item, "qemu") != 0) {
            spec->profile = item;
        } else if (strcmp(key, "qemu") == 0) {
            spec->qemu = val == NULL || strcmp(val, "1") == 0 || strcmp(val, "yes") == 0;
        } else if (val == NULL) {
            return fail(err, errlen, -1, "card spec: expected key=value, got '%s'", item);
        } else if (strcmp(key, "profile") == 0) {
            spec->profile = val;
        } else if (strcmp(key, "image") == 0) {
            spec->image = val;
        } else if (strcmp(key, "name") == 0) {
            spec->name = val;
        } else if (strcmp(key, "elf") == 0) {
            spec->elf = val;
        } else if (strcmp(key, "vpcd") == 0 && vpcd != NULL) {
            *vpcd = val;
        } else if (strcmp(key, "seed") == 0) {
            if (obol_parse_u64(val, &spec->seed) != 0)
                return fail(err, errlen, -1, "card spec: seed needs a number >= 0, not '%s'", val);
        } else if (strcmp(key, "serial") == 0) {
            if (obol_parse_u64(val, &spec->serial) != 0 || spec->serial == 0)
                return fail(err, errlen, -1, "card spec: serial needs a number > 0, not '%s'", val);
        } else if (strcmp(key, "nvm") == 0) {
            if (obol_parse_u64(val, &v) != 0 || v < 1024 || v > 65535u * COS_NVM_ALIGN)
                return fail(err, errlen, -1, "card spec: nvm needs 1024..%u bytes, not '%s'",
                            65535u * COS_NVM_ALIGN, val);
            spec->nvm_size = (uint32_t)v;
        } else {
            return fail(err, errlen, -1,
                        "card spec: unknown key '%s' (profile, image, seed, serial, nvm, name, "
                        "qemu, elf%s)",
                        key, vpcd ? ", vpcd" : "");
        }
    }
    return 0;
}
