/*
 * obol card OS: the exhaustive tearing harness (cos_tear.h).
 */
#include "obol/cos_tear.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/cos_host.h"

typedef struct run {
    cos_host host;
    cos_card card;
    uint8_t *img;
} run;

static int start(const cos_tear_spec *s, run *r)
{
    cos_card_config cfg;
    uint8_t atr[40];
    size_t n;
    int rc;

    r->img = malloc(s->size);
    if (!r->img)
        return COS_ERR_NVM;
    memcpy(r->img, s->image, s->size);
    cos_host_open_buffer(&r->host, r->img, s->size, s->page, s->seed);
    cos_host_config(&r->host, s->classes, s->nclasses, &cfg);
    rc = cos_card_attach(&r->card, &cfg);
    if (rc == 0)
        rc = cos_power_on(&r->card, s->power_flags, 0, atr, sizeof atr, &n);
    return rc;
}

static void finish(run *r)
{
    free(r->img);
    r->img = NULL;
}

static int digest(const cos_tear_spec *s, run *r, uint8_t out[32])
{
    return s->digest ? s->digest(&r->card, s->arg, out) : cos_nvm_digest(&r->card, out);
}

int cos_tear_digest_after(const cos_tear_spec *s, uint8_t out[32])
{
    run r = {0};
    int rc = start(s, &r);
    if (rc == 0)
        rc = s->op(&r.card, s->arg);
    if (rc == 0)
        rc = digest(s, &r, out);
    finish(&r);
    return rc;
}

/* One torn run: cut after K writes, BYTES bytes into the next. 1 = mismatch. */
static int torn(const cos_tear_spec *s, cos_tear_result *res, uint32_t k, uint32_t bytes,
                int within)
{
    uint8_t d[32], atr[40];
    size_t n;
    run r = {0};
    int rc = start(s, &r);

    if (rc < 0)
        goto out;
    cos_host_reset_writes(&r.host);
    cos_host_cut_after(&r.host, k, bytes);
    (void)s->op(&r.card, s->arg);
    cos_power_off(&r.card);
    cos_host_restore_power(&r.host);
    rc = cos_power_on(&r.card, s->power_flags, 0, atr, sizeof atr, &n);
    if (rc < 0) {
        snprintf(res->msg, sizeof res->msg,
                 "cut at write %u (after %u of its bytes%s): power "
                 "on failed: %s",
                 k, bytes, within ? "" : ", between writes", cos_strerror(rc));
        rc = 1;
        goto out;
    }
    rc = digest(s, &r, d);
    if (rc < 0)
        goto out;
    res->runs++;
    if (memcmp(d, res->before, 32) == 0) {
        res->as_before++;
    } else if (memcmp(d, res->after, 32) == 0) {
        res->as_after++;
    } else {
        size_t i;
        for (i = 0; i < s->nextra; i++)
            if (memcmp(d, s->extra[i], 32) == 0)
                break;
        if (i == s->nextra) {
            snprintf(res->msg, sizeof res->msg,
                     "cut at write %u of %u (after %u of its bytes): state is neither before "
                     "nor after",
                     k, res->writes, bytes);
            rc = 1;
            goto out;
        }
        res->as_extra++;
    }
out:
    finish(&r);
    return rc;
}

int cos_tear_run(const cos_tear_spec *s, cos_tear_result *res)
{
    uint32_t *lens = NULL;
    run r = {0};
    int rc;

    if (!s || !res || !s->op || !s->image)
        return COS_ERR_PARAM;
    memset(res, 0, sizeof *res);
    rc = start(s, &r);
    if (rc == 0)
        rc = digest(s, &r, res->before);
    if (rc == 0) {
        lens = calloc(65536, sizeof *lens);
        if (!lens)
            rc = COS_ERR_NVM;
    }
    if (rc == 0) {
        r.host.log = lens;
        r.host.log_cap = 65536;
        cos_host_reset_writes(&r.host);
        rc = s->op(&r.card, s->arg);
        res->writes = cos_host_writes(&r.host);
        r.host.log = NULL;
        if (rc < 0)
            snprintf(res->msg, sizeof res->msg, "untorn operation failed: %s", cos_strerror(rc));
    }
    if (rc == 0)
        rc = digest(s, &r, res->after);
    finish(&r);
    for (uint32_t k = 0; rc == 0 && k < res->writes; k++) {
        uint32_t len = k < 65536 ? lens[k] : 0;
        rc = torn(s, res, k, 0, 0);
        if (s->bytes) {
            for (size_t i = 0; rc == 0 && i < s->nbytes; i++)
                if (s->bytes[i] > 0 && s->bytes[i] < len)
                    rc = torn(s, res, k, s->bytes[i], 1);
        } else if (len > 1) {
            uint32_t def[3] = {1, len / 2, len - 1};
            for (int i = 0; rc == 0 && i < 3; i++)
                if (def[i] > 0 && def[i] < len && (i == 0 || def[i] != def[i - 1]))
                    rc = torn(s, res, k, def[i], 1);
        }
    }
    free(lens);
    return rc;
}
