/*
 * obol reports: charts as inline SVG for the HTML report. Two kinds: bars (a
 * histogram over bin edges, e.g. tap times with the budget as a vertical line) and
 * lines (a series over time, e.g. queue length). Axes get "nice" ticks (1, 2, 5 x
 * 10^k); coordinates are printed with one decimal so the output is deterministic.
 */
#include <math.h>
#include <stdio.h>

#include "rpt_internal.h"

enum { ML = 64, MR = 24, MT = 34, MB = 46 };

/* A tick step of about RANGE / N rounded to 1, 2 or 5 x 10^k. */
static double nice_step(double range, int n)
{
    if (!(range > 0))
        return 1;
    double raw = range / n;
    double p = pow(10, floor(log10(raw)));
    double f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/* A tick label: compact, without a trailing ".0". */
static void tick_label(char *buf, size_t n, double v, double step)
{
    if (fabs(v) >= 1e6 && step >= 1e5)
        snprintf(buf, n, "%gM", v / 1e6);
    else if (fabs(v) >= 1e4 && step >= 1e3)
        snprintf(buf, n, "%gk", v / 1e3);
    else if (step >= 1)
        snprintf(buf, n, "%.0f", v);
    else if (step >= 0.1)
        snprintf(buf, n, "%.1f", v);
    else
        snprintf(buf, n, "%.2f", v);
    if (buf[0] == '-' && buf[1] == '0' && buf[2] == '\0')
        snprintf(buf, n, "0");
}

typedef struct frame {
    double x0, x1, y0, y1; /* data ranges */
    int w, h;
} frame;

static double px(const frame *f, double x)
{
    return ML + (x - f->x0) / (f->x1 - f->x0) * (f->w - ML - MR);
}

static double py(const frame *f, double y)
{
    return f->h - MB - (y - f->y0) / (f->y1 - f->y0) * (f->h - MT - MB);
}

/* A step for a clock axis (hours): 5, 10, 15, 30 minutes or 1, 2, 3, 6 hours. */
static double clock_step(double range)
{
    static const double steps[] = {5, 10, 15, 30, 60, 120, 180, 360};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        if (range * 60 / steps[i] <= 8)
            return steps[i] / 60;
    return 12;
}

static void axes(rpt__buf *b, const frame *f, const rpt_chart *ch)
{
    double ys = nice_step(f->y1 - f->y0, 5),
           xs = ch->x_clock ? clock_step(f->x1 - f->x0) : nice_step(f->x1 - f->x0, 8);
    char lab[32];
    for (double y = ceil(f->y0 / ys) * ys; y <= f->y1 + ys * 1e-9; y += ys) {
        tick_label(lab, sizeof(lab), y, ys);
        rpt__printf(b,
                    "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
                    "<text x=\"%d\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%s</text>\n",
                    ML, f->w - MR, py(f, y), py(f, y), ML - 6, py(f, y) + 4, lab);
    }
    for (double x = ceil(f->x0 / xs - 1e-9) * xs; x <= f->x1 + xs * 1e-9; x += xs) {
        if (ch->x_clock) {
            long m = lround(x * 60);
            snprintf(lab, sizeof(lab), "%02ld:%02ld", m / 60 % 24, m % 60);
        } else {
            tick_label(lab, sizeof(lab), x, xs);
        }
        rpt__printf(b,
                    "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" class=\"axis\"/>"
                    "<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>\n",
                    px(f, x), px(f, x), f->h - MB, f->h - MB + 4, px(f, x), f->h - MB + 17, lab);
    }
    rpt__printf(b,
                "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" class=\"axis\"/>"
                "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" class=\"axis\"/>\n",
                ML, f->w - MR, f->h - MB, f->h - MB, ML, ML, MT, f->h - MB);
    rpt__printf(b, "<text x=\"%d\" y=\"%d\" class=\"label\" text-anchor=\"middle\">",
                (ML + f->w - MR) / 2, f->h - 8);
    rpt__html(b, ch->xlabel);
    rpt__printf(b,
                "</text>\n<text x=\"14\" y=\"%d\" class=\"label\" text-anchor=\"middle\" "
                "transform=\"rotate(-90 14 %d)\">",
                (MT + f->h - MB) / 2, (MT + f->h - MB) / 2);
    rpt__html(b, ch->ylabel);
    rpt__puts(b, "</text>\n");
}

void rpt__svg_chart(rpt__buf *b, const rpt_chart *ch, int width, int height)
{
    frame f = {0, 1, 0, 1, width, height};
    size_t nx = ch->kind == RPT_CHART_BARS ? ch->n + 1 : ch->n;
    if (nx > 0) {
        f.x0 = f.x1 = ch->x[0];
        for (size_t i = 0; i < nx; i++) {
            f.x0 = fmin(f.x0, ch->x[i]);
            f.x1 = fmax(f.x1, ch->x[i]);
        }
    }
    f.y0 = 0;
    f.y1 = 0;
    for (size_t i = 0; i < ch->n; i++)
        f.y1 = fmax(f.y1, ch->y[i]);
    if (ch->has_ref && ch->ref_vertical) {
        f.x0 = fmin(f.x0, ch->ref);
        f.x1 = fmax(f.x1, ch->ref * 1.05);
    } else if (ch->has_ref) {
        f.y1 = fmax(f.y1, ch->ref);
    }
    if (f.y1 <= f.y0)
        f.y1 = f.y0 + 1;
    f.y1 += (f.y1 - f.y0) * 0.08;
    double ys = nice_step(f.y1 - f.y0, 5);
    f.y1 = ceil(f.y1 / ys) * ys;
    if (f.x1 <= f.x0)
        f.x1 = f.x0 + 1;

    rpt__printf(b,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" "
                "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n<title>",
                width, height, width, height);
    rpt__html(b, ch->title);
    rpt__printf(b, "</title>\n<text x=\"%d\" y=\"20\" class=\"ctitle\">", ML);
    rpt__html(b, ch->title);
    rpt__puts(b, "</text>\n");
    axes(b, &f, ch);
    double ymax = 0;
    for (size_t i = 0; i < ch->n; i++)
        ymax = fmax(ymax, ch->y[i]);
    if (ch->n > 0 && ymax == 0 && ch->kind == RPT_CHART_BARS)
        rpt__printf(b,
                    "<text x=\"%d\" y=\"%d\" class=\"label\" text-anchor=\"middle\">"
                    "every value is 0</text>\n",
                    (ML + width - MR) / 2, (MT + height - MB) / 2);
    if (ch->n == 0) {
        rpt__printf(b,
                    "<text x=\"%d\" y=\"%d\" class=\"label\" text-anchor=\"middle\">"
                    "no data</text>\n",
                    width / 2, height / 2);
    } else if (ch->kind == RPT_CHART_BARS) {
        for (size_t i = 0; i < ch->n; i++) {
            if (ch->y[i] <= 0)
                continue;
            double x0 = px(&f, ch->x[i]), x1 = px(&f, ch->x[i + 1]);
            double w = fmax(x1 - x0 - 1, 1);
            double top = py(&f, ch->y[i]);
            const char *cls =
                ch->has_ref && ch->ref_vertical && ch->x[i] >= ch->ref ? "bar over" : "bar";
            rpt__printf(b,
                        "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                        "height=\"%.1f\"/>\n",
                        cls, x0, top, w, fmax(py(&f, 0) - top, 0.5));
        }
    } else {
        rpt__puts(b, "<polyline class=\"line\" points=\"");
        for (size_t i = 0; i < ch->n; i++)
            rpt__printf(b, "%s%.1f,%.1f", i ? " " : "", px(&f, ch->x[i]), py(&f, ch->y[i]));
        rpt__puts(b, "\"/>\n");
    }
    if (ch->has_ref) {
        if (ch->ref_vertical) {
            double x = px(&f, ch->ref);
            /* The label sits on the side of the line with more room. */
            int left = x > (ML + width - MR) / 2.0;
            rpt__printf(b,
                        "<line class=\"ref\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
                        "<text class=\"reflabel\" x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">",
                        x, x, MT, height - MB, left ? x - 4 : x + 4, MT + 12,
                        left ? "end" : "start");
        } else {
            double y = py(&f, ch->ref);
            rpt__printf(b,
                        "<line class=\"ref\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                        "<text class=\"reflabel\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
                        ML, width - MR, y, y, width - MR - 4, y - 4);
        }
        rpt__html(b, ch->ref_label);
        rpt__puts(b, "</text>\n");
    }
    rpt__puts(b, "</svg>\n");
}
