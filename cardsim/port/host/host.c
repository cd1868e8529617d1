/*
 * obol card OS: the host port (see cos_host.h): NVM image in memory or in a file,
 * power-loss injection, and a seeded xoshiro256** RNG per card.
 */
#include "obol/cos_host.h"
#include "../port_rng.h"

#include <stdlib.h>
#include <string.h>

static int h_read(void *port, uint32_t off, void *buf, size_t len)
{
    cos_host *h = port;
    if (off > h->size || len > h->size - off)
        return COS_ERR_NVM;
    memcpy(buf, h->nvm + off, len);
    return 0;
}

static int land(cos_host *h, uint32_t off, const uint8_t *src, size_t len)
{
    if (src)
        memcpy(h->nvm + off, src, len);
    else
        memset(h->nvm + off, 0xFF, len);
    if (h->file && len) {
        if (fseek(h->file, (long)off, SEEK_SET) != 0 ||
            fwrite(h->nvm + off, 1, len, h->file) != len || fflush(h->file) != 0)
            return COS_ERR_NVM;
    }
    return 0;
}

/* Writes (SRC) or erases (SRC NULL) under the injection rules. */
static int h_store(cos_host *h, uint32_t off, const uint8_t *src, size_t len)
{
    if (off > h->size || len > h->size - off)
        return COS_ERR_NVM;
    if (h->cut)
        return COS_ERR_POWER_LOST;
    if (h->log && h->writes < h->log_cap)
        h->log[h->writes] = (uint32_t)len;
    h->writes++;
    if (h->armed) {
        if (h->cut_after > 0) {
            h->cut_after--;
        } else {
            size_t n = h->cut_bytes < len ? h->cut_bytes : len;
            (void)land(h, off, src, n);
            h->cut = 1;
            h->armed = 0;
            return COS_ERR_POWER_LOST;
        }
    }
    return land(h, off, src, len);
}

static int h_write(void *port, uint32_t off, const void *buf, size_t len)
{
    return h_store(port, off, buf, len);
}

static int h_erase(void *port, uint32_t off, size_t len)
{
    return h_store(port, off, NULL, len);
}

static int h_rng(void *port, uint8_t *buf, size_t len)
{
    port_rng_fill(((cos_host *)port)->rng, buf, len);
    return 0;
}

const cos_hal cos_host_hal = {h_read, h_write, h_erase, h_rng, NULL, NULL, NULL};

void cos_host_seed(cos_host *h, uint64_t seed)
{
    port_rng_seed(h->rng, seed);
}

int cos_host_open_buffer(cos_host *h, uint8_t *nvm, uint32_t size, uint16_t page, uint64_t seed)
{
    if (!h || !nvm || !size)
        return COS_ERR_PARAM;
    memset(h, 0, sizeof *h);
    h->nvm = nvm;
    h->size = size;
    h->page = page;
    cos_host_seed(h, seed);
    return 0;
}

int cos_host_open_mem(cos_host *h, uint32_t size, uint16_t page, uint64_t seed)
{
    uint8_t *m;
    if (!h || !size)
        return COS_ERR_PARAM;
    m = malloc(size);
    if (!m)
        return COS_ERR_NVM;
    memset(m, 0xFF, size);
    cos_host_open_buffer(h, m, size, page, seed);
    h->owned = 1;
    return 0;
}

int cos_host_open_file(cos_host *h, const char *path, uint32_t size, uint16_t page, uint64_t seed)
{
    FILE *f;
    int rc;

    if (!path)
        return COS_ERR_PARAM;
    rc = cos_host_open_mem(h, size, page, seed);
    if (rc < 0)
        return rc;
    f = fopen(path, "r+b");
    if (f) {
        if (fread(h->nvm, 1, size, f) != size || fgetc(f) != EOF) {
            fclose(f);
            cos_host_close(h);
            return COS_ERR_NVM;
        }
    } else {
        f = fopen(path, "w+b");
        if (!f || fwrite(h->nvm, 1, size, f) != size || fflush(f) != 0) {
            if (f)
                fclose(f);
            cos_host_close(h);
            return COS_ERR_NVM;
        }
    }
    h->file = f;
    return 0;
}

void cos_host_close(cos_host *h)
{
    if (!h)
        return;
    if (h->file)
        fclose(h->file);
    if (h->owned)
        free(h->nvm);
    memset(h, 0, sizeof *h);
}

void cos_host_config(cos_host *h, const cos_applet_class *const *classes, uint16_t nclasses,
                     cos_card_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->hal = &cos_host_hal;
    cfg->port = h;
    cfg->nvm_size = h->size;
    cfg->nvm_page = h->page;
    cfg->classes = classes;
    cfg->nclasses = nclasses;
}

void cos_host_cut_after(cos_host *h, uint32_t k, uint32_t bytes)
{
    h->armed = 1;
    h->cut = 0;
    h->cut_after = k;
    h->cut_bytes = bytes;
}

void cos_host_restore_power(cos_host *h)
{
    h->armed = 0;
    h->cut = 0;
}

int cos_host_power_was_cut(const cos_host *h)
{
    return h->cut;
}

uint32_t cos_host_writes(const cos_host *h)
{
    return h->writes;
}

void cos_host_reset_writes(cos_host *h)
{
    h->writes = 0;
}
