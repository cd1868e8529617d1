/*
 * obol card profiles: what the loader's two files share (profile_read.c reads and
 * checks the text, profile.c plays the directives against the card).
 */
#ifndef OBOL_PROFILE_INTERNAL_H
#define OBOL_PROFILE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "obol/cos.h"
#include "obol/cos_perso.h"

#ifndef OBOL_PROFILE_DIR_DEFAULT
#define OBOL_PROFILE_DIR_DEFAULT "profiles"
#endif

#define MAX_INCLUDE_DEPTH 8
#define MAX_MKEYS         64
#define MAX_PARAMS        255
#define MAX_DATA          4096

typedef struct attr {
    const char *k; /* NULL for a positional argument */
    const char *v;
    int used;
} attr;

typedef struct pline {
    const char *file;
    int line;
    const char *dir; /* the directive */
    int nattr;
    attr *attrs;
} pline;

typedef struct mkey {
    const char *name;
    uint8_t v[COS_KEY_MAX];
    size_t len;
} mkey;

typedef struct loader {
    pline *lines;
    size_t n, cap;
    char **owned; /* file names and contents */
    size_t nowned, capowned;
    mkey mk[MAX_MKEYS];
    size_t nmk;
    const pline *card_line;
    uint8_t serial[8], issuer[8];
    uint16_t journal;
    uint8_t options;
    uint8_t mf_name[COS_AID_MAX];
    size_t mf_name_len;
    cos_card *card;
    int dry;
    cos_oid mf, cur;
    char *err;
    size_t errlen;
} loader;

/* ---- profile_read.c: errors, bookkeeping, attributes, values, files ------------------- */

/* Writes "FILE:LINE: message" (P's place, or none) into the caller's error buffer and
 * returns CODE. */
int prof__fail(loader *L, const pline *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Keeps P (malloc'd) until the loader is freed; returns it, or NULL (P freed) when out
 * of memory. */
char *prof__own(loader *L, char *p);
void prof__loader_free(loader *L);
/* The value of attribute K of P (marking it used), or NULL. */
const char *prof__get(const pline *p, const char *k);
/* Positional argument IDX of P, or NULL. */
const char *prof__arg(const pline *p, int idx);
/* Fails when P has an attribute no directive code asked for (a typo). */
int prof__check_used(loader *L, const pline *p);
/* Numbers: decimal or 0x hex up to MAX, into *OUT; opt_num gives DFLT when K is absent. */
int prof__num(loader *L, const pline *p, const char *what, const char *s, unsigned long long max,
              unsigned long long *out);
int prof__opt_num(loader *L, const pline *p, const char *k, unsigned long long max,
                  unsigned long long dflt, unsigned long long *out);
/* Hex byte strings with '_' separators and ${serial}/${issuer} placeholders. */
int prof__hex(loader *L, const pline *p, const char *what, const char *s, uint8_t *out, size_t cap,
              size_t *len);
int prof__hex_exact(loader *L, const pline *p, const char *what, const char *s, uint8_t *out,
                    size_t want);
/* An access condition attribute K (default DFLT) into *OUT. */
int prof__acond(loader *L, const pline *p, const char *k, uint8_t dflt, uint8_t *out);
/* Reads PATH (and its includes, DEPTH deep) into L's lines; FROM is the include line. */
int prof__read_file(loader *L, const char *path, int depth, const pline *from);

#endif
