/*
 * obol CLI: finding scenarios — a path or a library name — and listing the library
 * (every .xml file directly in the scenario directory, sorted by name).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_scenario.h"
#include "obol/scenario.h"

int obol_scenario_path(const char *arg, char *out, size_t cap)
{
    if (access(arg, F_OK) == 0) {
        snprintf(out, cap, "%s", arg);
        return 0;
    }
    size_t n = strlen(arg);
    if (strchr(arg, '/') != NULL || (n > 4 && strcmp(arg + n - 4, ".xml") == 0))
        return -1;
    snprintf(out, cap, "%s/%s.xml", scn_schema_dir(), arg);
    return access(out, F_OK) == 0 ? 0 : -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int obol_scenario_library(char ***paths)
{
    const char *dir = scn_schema_dir();
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    char **v = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".xml") != 0 || e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(v, (size_t)cap * sizeof(*v));
            if (nv == NULL)
                goto fail;
            v = nv;
        }
        size_t plen = strlen(dir) + len + 2;
        if ((v[n] = malloc(plen)) == NULL)
            goto fail;
        snprintf(v[n], plen, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n > 0)
        qsort(v, (size_t)n, sizeof(*v), by_name);
    *paths = v;
    return n;
fail:
    closedir(d);
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
    return -1;
}
