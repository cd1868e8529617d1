/*
 * `obol card serve`: presents virtual cards to pcsc-lite through vsmartcard's vpcd.
 *
 *   obol card serve --card SPEC [--card SPEC]... [--qemu [--elf FILE]] [--trace FILE]
 *
 * Each card connects to its vpcd slot as a TCP client (vpcd.h) and answers its
 * frames: power off/on/reset, the ATR polls, command APDUs. One process serves any
 * number of cards on any number of slots with one poll() loop; a card whose pcscd
 * goes away reconnects when it comes back. Cards run in this process (obol's card OS
 * on the host port) or as the Cortex-M3 image under QEMU (--qemu, vcard.h), whose
 * frames are relayed unchanged. SIGINT/SIGTERM end the loop cleanly: every card is
 * powered off and its image saved (QEMU: QMP pmemsave) before exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "obol/trace.h"
#include "vcard.h"
#include "vpcd.h"

#define MAX_CARDS 64
#define RSP_MAX   (65536 + 2)

typedef struct served {
    vcard_spec spec;
    char *spec_text; /* the --card argument, owned (SPEC points into it) */
    const char *vpcd_addr;
    char name[64];
    vcard *card;
    vpcd_conn conn;
    int announced_wait; /* "waiting for vpcd" printed since the last connection */
} served;

static int stop_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    if (stop_pipe[1] >= 0 && write(stop_pipe[1], "x", 1) < 0) {
        /* nothing to do: the loop is already waking up */
    }
    errno = saved;
}

static void usage_serve(FILE *out)
{
    fprintf(out,
            "usage: obol card serve --card SPEC [--card SPEC]... [OPTIONS]\n\n"
            "Presents virtual cards to PC/SC applications through vsmartcard's vpcd virtual\n"
            "reader: each card connects to its vpcd slot (pcscd with libifdvpcd) as a TCP\n"
            "client and stays inserted until obol stops (SIGINT/SIGTERM: cards powered off,\n"
            "images saved). A card reconnects when pcscd restarts.\n\n"
            "SPEC is comma-separated key=value (a first bare word is the profile):\n"
            "  profile=NAME   personalize a new card from profiles/NAME.profile (or a path);\n"
            "                 default: the default test card\n"
            "  image=FILE     the card's NVM image, kept across runs (created when missing)\n"
            "  vpcd=HOST:PORT the vpcd slot (default 127.0.0.1:%d for the first card, the\n"
            "                 next port for the next card; vpcd's slot 0 and 1 of one reader.conf\n"
            "                 entry are PORT and PORT+1)\n"
            "  seed=N         the card's RNG seed (default 0)\n"
            "  serial=N       serial override for the profile\n"
            "  nvm=N          bytes of NVM of a new in-process card (default %u)\n"
            "  name=TEXT      the card's name in messages and traces (default card0, card1..)\n"
            "  qemu           run this card as the Cortex-M3 image under QEMU\n"
            "  elf=FILE       the image for qemu\n"
            "  e.g. --card purse,vpcd=35963,image=user.img --card psam,vpcd=35964\n\n"
            "Options:\n"
            "  --qemu         every card runs as the Cortex-M3 image under QEMU (mps2-an385);\n"
            "                 its NVM is preloaded from the image and saved back at exit\n"
            "  --elf FILE     the card image (default $OBOL_CARD_ELF or build-arm/obol-card.elf)\n"
            "  --trace FILE   write every card's power events and APDUs to FILE (obol trace\n"
            "                 format, docs/traces.md)\n\n"
            "Exit codes: 0 stopped by a signal, 1 a card failed or its image could not be\n"
            "saved, 2 bad usage.\n",
            VPCD_DEFAULT_PORT, VCARD_DEFAULT_NVM);
}

/* Answers one frame from vpcd. Returns 0, or -1 when the connection dropped. */
static int handle_frame(served *s, trace_writer *tw, const uint8_t *msg, size_t len, uint8_t *rsp)
{
    int64_t now = vpcd_now_ms();
    const uint8_t *atr;
    size_t atrlen, rsplen = 0;
    if (len == 1) {
        switch (msg[0]) {
        case VPCD_CTRL_OFF:
            if (vcard_is_powered(s->card) && tw)
                trace_write(tw, s->name, TRACE_OFF, NULL, 0);
            if (vcard_power_off(s->card) != 0)
                fprintf(stderr, "obol: card serve: %s\n", vcard_errmsg(s->card));
            return 0;
        case VPCD_CTRL_ON:
        case VPCD_CTRL_RESET:
            /* A reset (no reply) and a power on both reset all volatile card state. */
            if (vcard_power_on(s->card, msg[0] == VPCD_CTRL_RESET, &atr, &atrlen) != 0) {
                fprintf(stderr, "obol: card serve: %s\n", vcard_errmsg(s->card));
                return 0;
            }
            if (tw)
                trace_write(tw, s->name, msg[0] == VPCD_CTRL_ON ? TRACE_ON : TRACE_RESET, atr,
                            atrlen);
            return 0;
        case VPCD_CTRL_ATR:
            vcard_atr(s->card, &atr, &atrlen);
            return vpcd_send(&s->conn, atr, atrlen, now);
        default:
            fprintf(stderr, "obol: card serve: %s: unknown vpcd control code %u ignored\n", s->name,
                    msg[0]);
            return 0;
        }
    }
    if (len == 0)
        return 0;
    if (tw)
        trace_write(tw, s->name, TRACE_CMD, msg, len);
    if (vcard_transmit(s->card, msg, len, rsp, RSP_MAX, &rsplen) != 0) {
        /* A card that is off or faulted is mute; vpcd needs an answer all the same. */
        fprintf(stderr, "obol: card serve: %s\n", vcard_errmsg(s->card));
        rsp[0] = 0x6F;
        rsp[1] = 0x00;
        rsplen = 2;
    }
    if (tw)
        trace_write(tw, s->name, TRACE_RSP, rsp, rsplen);
    return vpcd_send(&s->conn, rsp, rsplen, now);
}

/* vpcd went away (pcscd stopped): the card is "removed", so power it off. */
static void removed(served *s, trace_writer *tw)
{
    if (vcard_is_powered(s->card)) {
        if (tw)
            trace_write(tw, s->name, TRACE_OFF, NULL, 0);
        vcard_power_off(s->card);
    }
    fprintf(stderr, "obol: card serve: %s: vpcd %s:%s closed the connection; reconnecting\n",
            s->name, s->conn.host, s->conn.port);
    s->announced_wait = 1;
}

static void on_connected(served *s)
{
    fprintf(stderr, "obol: card serve: %s: connected to vpcd %s:%s\n", s->name, s->conn.host,
            s->conn.port);
    s->announced_wait = 0;
}

static int serve_loop(served *cards, size_t n, trace_writer *tw)
{
    static uint8_t rsp[RSP_MAX];
    struct pollfd pf[MAX_CARDS + 1];
    int idx[MAX_CARDS + 1];
    for (;;) {
        int64_t now = vpcd_now_ms(), next = -1;
        for (size_t i = 0; i < n; i++) {
            served *s = &cards[i];
            if (s->conn.state == VPCD_IDLE) {
                if (vpcd_try_connect(&s->conn, now) == 1)
                    on_connected(s);
                else if (s->conn.state == VPCD_IDLE && !s->announced_wait) {
                    fprintf(stderr,
                            "obol: card serve: %s: waiting for vpcd at %s:%s (is pcscd with "
                            "vpcd running?)\n",
                            s->name, s->conn.host, s->conn.port);
                    s->announced_wait = 1;
                }
            }
            if (s->conn.state == VPCD_IDLE && (next < 0 || s->conn.retry_at < next))
                next = s->conn.retry_at;
        }
        nfds_t np = 0;
        pf[np].fd = stop_pipe[0];
        pf[np].events = POLLIN;
        idx[np++] = -1;
        for (size_t i = 0; i < n; i++) {
            short ev;
            int fd = vpcd_pollfd(&cards[i].conn, &ev);
            if (fd >= 0) {
                pf[np].fd = fd;
                pf[np].events = ev;
                idx[np++] = (int)i;
            }
        }
        int timeout = next < 0 ? -1 : (int)(next > now ? next - now : 0);
        int r = poll(pf, np, timeout);
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "obol: card serve: poll: %s\n", strerror(errno));
            return 1;
        }
        if (r <= 0)
            continue;
        if (pf[0].revents)
            return 0; /* SIGINT or SIGTERM */
        now = vpcd_now_ms();
        for (nfds_t k = 1; k < np; k++) {
            if (!pf[k].revents)
                continue;
            served *s = &cards[idx[k]];
            int st = vpcd_ready(&s->conn, pf[k].revents, now);
            if (st == 1) {
                on_connected(s);
                continue;
            }
            if (st < 0) {
                if (s->conn.failures == 0)
                    removed(s, tw);
                continue;
            }
            const uint8_t *msg;
            size_t len;
            while (vpcd_next_frame(&s->conn, &msg, &len))
                if (handle_frame(s, tw, msg, len, rsp) != 0) {
                    removed(s, tw);
                    break;
                }
        }
    }
}

static int install_signals(void)
{
    if (pipe(stop_pipe) != 0)
        return -1;
    fcntl(stop_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(stop_pipe[1], F_SETFD, FD_CLOEXEC);
    fcntl(stop_pipe[1], F_SETFL, O_NONBLOCK);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    return 0;
}

int obol_cmd_card_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        {"card", required_argument, NULL, 'c'}, {"qemu", no_argument, NULL, 'q'},
        {"elf", required_argument, NULL, 'e'},  {"trace", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    served *cards = calloc(MAX_CARDS, sizeof(*cards));
    size_t n = 0;
    int all_qemu = 0, rc = 0, c;
    const char *elf = NULL, *trace_path = NULL;
    char err[512];
    trace_writer tw;
    int tracing = 0;
    if (cards == NULL)
        return 1;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (n == MAX_CARDS) {
                rc = obol_usage_error("card serve: at most %d cards", MAX_CARDS);
                goto out;
            }
            if ((cards[n].spec_text = strdup(optarg)) == NULL) {
                rc = 1;
                goto out;
            }
            n++;
            if (vcard_spec_parse(cards[n - 1].spec_text, &cards[n - 1].spec,
                                 &cards[n - 1].vpcd_addr, err, sizeof(err)) != 0) {
                rc = obol_usage_error("card serve: --card %s: %s", optarg, err);
                goto out;
            }
            break;
        case 'q':
            all_qemu = 1;
            break;
        case 'e':
            elf = optarg;
            break;
        case 't':
            trace_path = optarg;
            break;
        case 'h':
            usage_serve(stdout);
            goto out;
        default:
            rc = obol_usage_error("card serve: unknown option '%s' (try 'obol card serve --help')",
                                  argv[optind - 1]);
            goto out;
        }
    }
    if (optind != argc) {
        rc = obol_usage_error("card serve: unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (n == 0) {
        rc = obol_usage_error("card serve: give at least one --card SPEC (try --help)");
        goto out;
    }
    /* addresses first (cheap checks), then the cards (which may start QEMU) */
    for (size_t i = 0; i < n; i++) {
        served *s = &cards[i];
        if (s->spec.name == NULL) {
            snprintf(s->name, sizeof(s->name), "card%zu", i);
            s->spec.name = s->name;
        } else {
            snprintf(s->name, sizeof(s->name), "%s", s->spec.name);
        }
        int r = vpcd_init(&s->conn, s->vpcd_addr ? s->vpcd_addr : "",
                          (unsigned)(VPCD_DEFAULT_PORT + i));
        if (r != 0) {
            rc = r == -1 ? obol_usage_error("card serve: %s: bad vpcd address '%s'", s->name,
                                            s->vpcd_addr)
                         : 1;
            goto out;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(cards[j].conn.host, s->conn.host) == 0 &&
                strcmp(cards[j].conn.port, s->conn.port) == 0) {
                rc = obol_usage_error("card serve: %s and %s both use vpcd %s:%s", cards[j].name,
                                      s->name, s->conn.host, s->conn.port);
                goto out;
            }
        if (all_qemu)
            s->spec.qemu = 1;
        if (elf != NULL && s->spec.elf == NULL)
            s->spec.elf = elf;
    }
    if (install_signals() != 0) {
        fprintf(stderr, "obol: card serve: pipe: %s\n", strerror(errno));
        rc = 1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        int r = vcard_open(&cards[i].card, &cards[i].spec, err, sizeof(err));
        if (r != 0) {
            if (r == VCARD_ERR_USAGE)
                rc = obol_usage_error("card serve: %s: %s", cards[i].name, err);
            else {
                fprintf(stderr, "obol: card serve: %s: %s\n", cards[i].name, err);
                rc = 1;
            }
            goto out;
        }
        fprintf(stderr, "obol: card serve: %s: %s card%s%s%s ready for vpcd %s:%s\n", cards[i].name,
                vcard_kind(cards[i].card),
                cards[i].spec.profile ? " from profile " : " (default test card)",
                cards[i].spec.profile ? cards[i].spec.profile : "",
                cards[i].spec.image ? ", image kept" : "", cards[i].conn.host, cards[i].conn.port);
    }
    if (trace_path != NULL) {
        if (trace_writer_open(&tw, trace_path, "obol card serve", 0) != 0) {
            rc = obol_usage_error("card serve: cannot write the trace %s: %s", trace_path,
                                  strerror(errno));
            goto out;
        }
        tracing = 1;
    }
    rc = serve_loop(cards, n, tracing ? &tw : NULL);
    fprintf(stderr, "obol: card serve: stopping\n");
out:
    for (size_t i = 0; i < n; i++) {
        served *s = &cards[i];
        if (s->card != NULL) {
            if (tracing && vcard_is_powered(s->card))
                trace_write(&tw, s->name, TRACE_OFF, NULL, 0);
            if (vcard_close(s->card, err, sizeof(err)) != 0) {
                fprintf(stderr, "obol: card serve: %s: %s\n", s->name, err);
                if (rc == 0)
                    rc = 1;
            }
        }
        vpcd_free(&s->conn);
        free(s->spec_text);
    }
    if (tracing && trace_writer_close(&tw) != 0) {
        fprintf(stderr, "obol: card serve: writing the trace %s failed\n", trace_path);
        if (rc == 0)
            rc = 1;
    }
    free(cards);
    return rc;
}
