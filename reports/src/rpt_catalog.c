/*
 * obol reports: the requirement catalogue, a tab-separated data file
 * (reports/requirements.tsv) mapping each stable requirement id to its area, title,
 * source (spec clause or seed budget) and text. Data, not code: adding a requirement
 * is adding a line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_internal.h"

#ifndef OBOL_REQUIREMENTS_DEFAULT
#define OBOL_REQUIREMENTS_DEFAULT "reports/requirements.tsv"
#endif

const char *rpt_catalog_default_path(void)
{
    const char *env = getenv("OBOL_REQUIREMENTS");
    return env != NULL && env[0] ? env : OBOL_REQUIREMENTS_DEFAULT;
}

void rpt_catalog_free(rpt_catalog *cat)
{
    for (size_t i = 0; i < cat->n; i++) {
        free(cat->req[i].id);
        free(cat->req[i].area);
        free(cat->req[i].title);
        free(cat->req[i].source);
        free(cat->req[i].text);
    }
    free(cat->req);
    cat->req = NULL;
    cat->n = 0;
}

const rpt_req *rpt_catalog_find(const rpt_catalog *cat, const char *id)
{
    for (size_t i = 0; id != NULL && i < cat->n; i++)
        if (strcmp(cat->req[i].id, id) == 0)
            return &cat->req[i];
    return NULL;
}

static int valid_id(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return 0;
    return 1;
}

int rpt_catalog_load(rpt_catalog *cat, const char *path, char *err, size_t errlen)
{
    cat->req = NULL;
    cat->n = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        rpt__err(err, errlen, "%s: %s", path, strerror(errno));
        return RPT_ERR_IO;
    }
    size_t cap = 0;
    int rc = 0;
    char line[2048];
    for (int lineno = 1; fgets(line, sizeof(line), f) != NULL; lineno++) {
        size_t len = strlen(line);
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            rpt__err(err, errlen, "%s:%d: line longer than %zu bytes", path, lineno,
                     sizeof(line) - 2);
            rc = RPT_ERR_FORMAT;
            goto out;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        char *col[5];
        int ncol = 0;
        char *p = line;
        while (ncol < 5) {
            col[ncol++] = p;
            char *tab = strchr(p, '\t');
            if (tab == NULL)
                break;
            *tab = '\0';
            p = tab + 1;
        }
        if (ncol != 5 || strchr(col[4], '\t') != NULL) {
            rpt__err(err, errlen,
                     "%s:%d: expected 5 tab-separated columns (id, area, title, source, text)",
                     path, lineno);
            rc = RPT_ERR_FORMAT;
            goto out;
        }
        if (!valid_id(col[0])) {
            rpt__err(err, errlen, "%s:%d: requirement id '%s' is not [A-Z0-9-]+", path, lineno,
                     col[0]);
            rc = RPT_ERR_FORMAT;
            goto out;
        }
        if (rpt_catalog_find(cat, col[0]) != NULL) {
            rpt__err(err, errlen, "%s:%d: duplicate requirement id '%s'", path, lineno, col[0]);
            rc = RPT_ERR_FORMAT;
            goto out;
        }
        for (int i = 1; i < 5; i++)
            if (col[i][0] == '\0') {
                rpt__err(err, errlen, "%s:%d: empty column %d for '%s'", path, lineno, i + 1,
                         col[0]);
                rc = RPT_ERR_FORMAT;
                goto out;
            }
        if (cat->n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            rpt_req *nr = realloc(cat->req, nc * sizeof(*nr));
            if (nr == NULL) {
                rc = RPT_ERR_NOMEM;
                goto out;
            }
            cat->req = nr;
            cap = nc;
        }
        rpt_req *q = &cat->req[cat->n];
        q->id = strdup(col[0]);
        q->area = strdup(col[1]);
        q->title = strdup(col[2]);
        q->source = strdup(col[3]);
        q->text = strdup(col[4]);
        cat->n++;
        if (!q->id || !q->area || !q->title || !q->source || !q->text) {
            rc = RPT_ERR_NOMEM;
            goto out;
        }
    }
    if (ferror(f)) {
        rpt__err(err, errlen, "%s: read error", path);
        rc = RPT_ERR_IO;
    }
out:
    fclose(f);
    if (rc != 0) {
        if (rc == RPT_ERR_NOMEM)
            rpt__err(err, errlen, "%s: out of memory", path);
        rpt_catalog_free(cat);
    }
    return rc;
}
