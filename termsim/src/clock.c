/*
 * obol terminal kernel: the terminal's calendar. The card MACs and logs local date and
 * time as BCD (YYYYMMDD, hhmmss); the kernel keeps time as ns since 1970 (UTC) and
 * converts with the configured UTC offset. Civil dates use the proleptic Gregorian
 * calendar (days_from_civil / civil_from_days after H. Hinnant, "chrono-compatible
 * low-level date algorithms").
 */
#include <stdint.h>

#include "term_internal.h"

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    int64_t era, yy;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = floor_div(z, 146097);
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    yy = (int64_t)yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
    int64_t era, yy = (int64_t)y - (m <= 2);
    unsigned yoe, doy, doe;

    era = floor_div(yy, 400);
    yoe = (unsigned)(yy - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static uint8_t bcd(unsigned v)
{
    return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

static int unbcd(uint8_t b)
{
    if ((b >> 4) > 9 || (b & 15) > 9)
        return -1;
    return (b >> 4) * 10 + (b & 15);
}

void term__local_bcd(const term *t, int64_t ns, uint8_t date[4], uint8_t time[3])
{
    int64_t s = floor_div(ns, 1000000000) + (int64_t)t->cfg.utc_offset_min * 60;
    int64_t days = floor_div(s, 86400), sod = s - days * 86400;
    unsigned m, d;
    int y;

    civil_from_days(days, &y, &m, &d);
    date[0] = bcd((unsigned)(y / 100));
    date[1] = bcd((unsigned)(y % 100));
    date[2] = bcd(m);
    date[3] = bcd(d);
    time[0] = bcd((unsigned)(sod / 3600));
    time[1] = bcd((unsigned)(sod / 60 % 60));
    time[2] = bcd((unsigned)(sod % 60));
}

/* Minutes since 1970 of a BCD date/time, or INT64_MIN when invalid. */
static int64_t minutes(const uint8_t d[4], const uint8_t t[3])
{
    int c = unbcd(d[0]), yy = unbcd(d[1]), mo = unbcd(d[2]), da = unbcd(d[3]);
    int h = unbcd(t[0]), mi = unbcd(t[1]), se = unbcd(t[2]);

    if (c < 0 || yy < 0 || mo < 1 || mo > 12 || da < 1 || da > 31 || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || se < 0 || se > 59)
        return INT64_MIN;
    return days_from_civil(c * 100 + yy, (unsigned)mo, (unsigned)da) * 1440 + h * 60 + mi;
}

int64_t term_minutes_between(const uint8_t ad[4], const uint8_t at[3], const uint8_t bd[4],
                             const uint8_t bt[3])
{
    int64_t a = minutes(ad, at), b = minutes(bd, bt);

    if (a == INT64_MIN || b == INT64_MIN)
        return INT64_MIN;
    return b - a;
}
