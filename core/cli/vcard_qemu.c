/*
 * obol CLI: the QEMU backend of virtual cards: runs the Cortex-M3 card image
 * (cardsim/port/cortexm) on QEMU's mps2-an385 and talks to its UART0.
 *
 * The harness listens first and QEMU connects its serial chardev to it (no start-up
 * race; `nodelay=on`, or every APDU costs ~50 ms). The image speaks vpcd's framing (2-byte
 * big-endian length + payload; 1-byte payloads are control codes), so frames pass
 * through unchanged. NVM: the personalized image file is preloaded at 0x00100000 with
 * `-device loader`, the RNG seed block ("OBOLSEED" + 8-byte little-endian seed) at
 * 0x001F0000, and at the end the region is saved with QMP `pmemsave` (into a temporary
 * file, then renamed over the image, so a crash never leaves half an image). QEMU gets
 * PR_SET_PDEATHSIG, so it never outlives the harness.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vcard.h"

#define NVM_ADDR     0x00100000u
#define CONFIG_ADDR  0x001F0000u
#define BOOT_TIMEOUT 10000 /* ms until the image's UART connects */
#define APDU_TIMEOUT 5000  /* ms for one answer */

struct vcard__qemu {
    pid_t pid;
    int fd;  /* the UART's TCP connection */
    int qmp; /* QMP socket, -1 when not connected */
    char dir[64];
    char log[96];
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

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The last line QEMU wrote to its log, for error messages. */
static const char *qemu_said(const vcard__qemu *q, char *buf, size_t cap)
{
    FILE *f = fopen(q->log, "r");
    buf[0] = '\0';
    if (f == NULL)
        return buf;
    char line[256];
    while (fgets(line, sizeof(line), f) != NULL)
        if (line[0] != '\n')
            snprintf(buf, cap, "%s", line);
    fclose(f);
    size_t n = strlen(buf);
    if (n > 0 && buf[n - 1] == '\n')
        buf[n - 1] = '\0';
    return buf;
}

/* Reads exactly LEN bytes with an overall deadline. */
static int read_full(int fd, uint8_t *buf, size_t len, int64_t deadline)
{
    size_t got = 0;
    while (got < len) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 ? -ETIMEDOUT : -errno;
#ifdef TCP_QUICKACK
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#endif
        ssize_t k = recv(fd, buf + got, len - got, 0);
        if (k == 0)
            return -EPIPE;
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return -errno;
        }
        got += (size_t)k;
    }
    return 0;
}

static int write_full(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t k = send(fd, buf, len, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += k;
        len -= (size_t)k;
    }
    return 0;
}

int vcard__qemu_frame(vcard__qemu *q, const uint8_t *msg, size_t len, int reply, uint8_t *buf,
                      size_t cap, size_t *got, char *err, size_t errlen)
{
    uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    int rc;
    if (len > 0xFFFF)
        return fail(err, errlen, VCARD_ERR_CARD, "a %zu-byte command does not fit a frame", len);
    if ((rc = write_full(q->fd, hdr, 2)) != 0 || (rc = write_full(q->fd, msg, len)) != 0)
        return fail(err, errlen, VCARD_ERR_IO, "writing to the card image: %s", strerror(-rc));
    if (!reply)
        return 0;
    int64_t deadline = now_ms() + APDU_TIMEOUT;
    if ((rc = read_full(q->fd, hdr, 2, deadline)) != 0)
        goto io;
    size_t n = (size_t)hdr[0] << 8 | hdr[1];
    if (n > cap) {
        /* drain it so the stream stays in step, then report */
        uint8_t sink[256];
        for (size_t left = n; left > 0 && rc == 0;) {
            size_t k = left < sizeof(sink) ? left : sizeof(sink);
            rc = read_full(q->fd, sink, k, deadline);
            left -= k;
        }
        return fail(err, errlen, VCARD_ERR_CARD, "the card image answered %zu bytes, room for %zu",
                    n, cap);
    }
    if ((rc = read_full(q->fd, buf, n, deadline)) != 0)
        goto io;
    *got = n;
    return 0;
io:
    return fail(err, errlen, VCARD_ERR_IO, "the card image did not answer: %s",
                rc == -ETIMEDOUT ? "timed out"
                : rc == -EPIPE   ? "QEMU closed the link"
                                 : strerror(-rc));
}

/* ---- QMP ---------------------------------------------------------------------------- */

/* Reads QMP lines until one carries "return" (0) or "error" (-1); events are skipped. */
static int qmp_wait(vcard__qemu *q, char *line, size_t cap, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    size_t n = 0;
    for (;;) {
        uint8_t ch;
        if (read_full(q->qmp, &ch, 1, deadline) != 0)
            return -2;
        if (ch != '\n') {
            if (n + 1 < cap)
                line[n++] = (char)ch;
            continue;
        }
        line[n] = '\0';
        n = 0;
        if (strstr(line, "\"return\"") != NULL || strstr(line, "\"QMP\"") != NULL)
            return 0;
        if (strstr(line, "\"error\"") != NULL)
            return -1;
    }
}

static int qmp_cmd(vcard__qemu *q, const char *json, char *line, size_t cap, int timeout_ms)
{
    if (write_full(q->qmp, (const uint8_t *)json, strlen(json)) != 0)
        return -2;
    return qmp_wait(q, line, cap, timeout_ms);
}

static int qmp_connect(vcard__qemu *q, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char line[512];
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/qmp.sock", q->dir);
    if ((q->qmp = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return fail(err, errlen, VCARD_ERR_IO, "QMP socket: %s", strerror(errno));
    int64_t deadline = now_ms() + BOOT_TIMEOUT;
    while (connect(q->qmp, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        if (now_ms() > deadline)
            return fail(err, errlen, VCARD_ERR_IO, "cannot connect to QEMU's QMP: %s",
                        strerror(errno));
        sleep_ms(10);
    }
    if (qmp_wait(q, line, sizeof(line), BOOT_TIMEOUT) != 0 ||
        qmp_cmd(q, "{\"execute\":\"qmp_capabilities\"}\n", line, sizeof(line), BOOT_TIMEOUT) != 0)
        return fail(err, errlen, VCARD_ERR_IO, "QEMU's QMP did not answer");
    return 0;
}

/* ---- start and stop ----------------------------------------------------------------- */

static int write_seed(const char *path, uint64_t seed)
{
    uint8_t block[64];
    memset(block, 0, sizeof(block));
    memcpy(block, "OBOLSEED", 8);
    for (int i = 0; i < 8; i++)
        block[8 + i] = (uint8_t)(seed >> (8 * i));
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    int ok = fwrite(block, 1, sizeof(block), f) == sizeof(block);
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

static void child_exec(const char *qemu, char *const argv[], const char *log)
{
    /* QEMU never outlives the harness, whatever kills the harness. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int in = open("/dev/null", O_RDONLY);
    int out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in >= 0)
        dup2(in, 0);
    if (out >= 0) {
        dup2(out, 1);
        dup2(out, 2);
    }
    execvp(qemu, argv);
    fprintf(stderr, "cannot run %s: %s\n", qemu, strerror(errno));
    _exit(127);
}

int vcard__qemu_start(vcard__qemu **out, const char *elf, const char *nvm_path, uint64_t seed,
                      char *err, size_t errlen)
{
    return vcard__qemu_start_args(out, elf, nvm_path, seed, NULL, err, errlen);
}

int vcard__qemu_start_args(vcard__qemu **out, const char *elf, const char *nvm_path, uint64_t seed,
                           const char *const *extra, char *err, size_t errlen)
{
    vcard__qemu *q = calloc(1, sizeof(*q));
    int ls = -1, rc;
    char said[256];
    *out = NULL;
    if (q == NULL)
        return fail(err, errlen, VCARD_ERR_NOMEM, "out of memory");
    q->fd = q->qmp = -1;
    snprintf(q->dir, sizeof(q->dir), "/tmp/obol-qemu-XXXXXX");
    if (mkdtemp(q->dir) == NULL) {
        q->dir[0] = '\0';
        rc = fail(err, errlen, VCARD_ERR_IO, "cannot create a temporary directory: %s",
                  strerror(errno));
        goto fail;
    }
    snprintf(q->log, sizeof(q->log), "%s/qemu.log", q->dir);
    char seedf[96], qmp[128], chardev[128], nvm_dev[4200], seed_dev[160];
    snprintf(seedf, sizeof(seedf), "%s/seed.bin", q->dir);
    if (write_seed(seedf, seed) != 0) {
        rc = fail(err, errlen, VCARD_ERR_IO, "%s: %s", seedf, strerror(errno));
        goto fail;
    }
    /* listen first: QEMU connects to us */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t salen = sizeof(sa);
    if ((ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(ls, 1) != 0 ||
        getsockname(ls, (struct sockaddr *)&sa, &salen) != 0) {
        rc = fail(err, errlen, VCARD_ERR_IO, "cannot listen for QEMU: %s", strerror(errno));
        goto fail;
    }
    snprintf(chardev, sizeof(chardev), "socket,id=s,host=127.0.0.1,port=%u,nodelay=on",
             (unsigned)ntohs(sa.sin_port));
    snprintf(qmp, sizeof(qmp), "unix:%s/qmp.sock,server=on,wait=off", q->dir);
    snprintf(nvm_dev, sizeof(nvm_dev), "loader,file=%s,addr=0x%08X,force-raw=on", nvm_path,
             NVM_ADDR);
    snprintf(seed_dev, sizeof(seed_dev), "loader,file=%s,addr=0x%08X,force-raw=on", seedf,
             CONFIG_ADDR);
    const char *qemu = getenv("OBOL_QEMU") ? getenv("OBOL_QEMU") : "qemu-system-arm";
    char *argv[21 + VCARD_QEMU_EXTRA_MAX + 1] = {(char *)qemu,
                                                 "-M",
                                                 "mps2-an385",
                                                 "-display",
                                                 "none",
                                                 "-monitor",
                                                 "none",
                                                 "-semihosting-config",
                                                 "enable=on,target=native",
                                                 "-kernel",
                                                 (char *)elf,
                                                 "-chardev",
                                                 chardev,
                                                 "-serial",
                                                 "chardev:s",
                                                 "-device",
                                                 nvm_dev,
                                                 "-device",
                                                 seed_dev,
                                                 "-qmp",
                                                 qmp,
                                                 NULL};
    size_t argc = 0;
    while (argv[argc] != NULL)
        argc++;
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
        if (i == VCARD_QEMU_EXTRA_MAX) {
            rc = fail(err, errlen, VCARD_ERR_USAGE, "more than %d extra QEMU options",
                      VCARD_QEMU_EXTRA_MAX);
            goto fail;
        }
        argv[argc++] = (char *)extra[i];
    }
    fflush(NULL);
    if ((q->pid = fork()) < 0) {
        rc = fail(err, errlen, VCARD_ERR_IO, "fork: %s", strerror(errno));
        goto fail;
    }
    if (q->pid == 0)
        child_exec(qemu, argv, q->log);
    /* wait for the UART to connect, or for QEMU to give up */
    int64_t deadline = now_ms() + BOOT_TIMEOUT;
    while (q->fd < 0) {
        struct pollfd p = {.fd = ls, .events = POLLIN};
        int r = poll(&p, 1, 50);
        if (r > 0) {
            q->fd = accept(ls, NULL, NULL);
            break;
        }
        int st;
        if (waitpid(q->pid, &st, WNOHANG) == q->pid) {
            q->pid = 0;
            rc = fail(err, errlen, VCARD_ERR_USAGE, "QEMU (%s) exited: %s", qemu,
                      qemu_said(q, said, sizeof(said)));
            goto fail;
        }
        if (now_ms() > deadline) {
            rc = fail(err, errlen, VCARD_ERR_IO, "QEMU did not connect the card's UART: %s",
                      qemu_said(q, said, sizeof(said)));
            goto fail;
        }
    }
    if (q->fd < 0) {
        rc = fail(err, errlen, VCARD_ERR_IO, "accept: %s", strerror(errno));
        goto fail;
    }
    int one = 1;
    setsockopt(q->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    close(ls);
    ls = -1;
    if ((rc = qmp_connect(q, err, errlen)) != 0)
        goto fail;
    *out = q;
    return 0;
fail:
    if (ls >= 0)
        close(ls);
    vcard__qemu_stop(q, NULL, NULL, 0);
    return rc;
}

int vcard__qemu_stop(vcard__qemu *q, const char *save_path, char *err, size_t errlen)
{
    int rc = 0;
    char line[512];
    if (q == NULL)
        return 0;
    if (save_path != NULL) {
        if (strpbrk(save_path, "\"\\") != NULL) {
            rc = fail(err, errlen, VCARD_ERR_USAGE, "%s: quotes or backslashes in the image path",
                      save_path);
            save_path = NULL;
        }
    }
    if (save_path != NULL && q->qmp >= 0) {
        char tmp[4200], cmd[4400];
        snprintf(tmp, sizeof(tmp), "%s.saving", save_path);
        /* a relative path is relative to QEMU's working directory, which is ours */
        snprintf(cmd, sizeof(cmd),
                 "{\"execute\":\"pmemsave\",\"arguments\":{\"val\":%u,\"size\":%u,"
                 "\"filename\":\"%s\"}}\n",
                 NVM_ADDR, VCARD_QEMU_NVM_SIZE, tmp);
        if (qmp_cmd(q, "{\"execute\":\"stop\"}\n", line, sizeof(line), APDU_TIMEOUT) != 0 ||
            qmp_cmd(q, cmd, line, sizeof(line), APDU_TIMEOUT) != 0)
            rc = fail(err, errlen, VCARD_ERR_IO, "QMP pmemsave of the card's NVM failed: %s", line);
        else if (rename(tmp, save_path) != 0)
            rc = fail(err, errlen, VCARD_ERR_IO, "cannot replace %s: %s", save_path,
                      strerror(errno));
        if (rc != 0)
            remove(tmp);
    }
    if (q->qmp >= 0) {
        qmp_cmd(q, "{\"execute\":\"quit\"}\n", line, sizeof(line), 1000);
        close(q->qmp);
    }
    if (q->fd >= 0)
        close(q->fd);
    if (q->pid > 0) {
        int st;
        int64_t deadline = now_ms() + 2000;
        while (waitpid(q->pid, &st, WNOHANG) == 0) {
            if (now_ms() > deadline) {
                kill(q->pid, SIGKILL);
                waitpid(q->pid, &st, 0);
                break;
            }
            sleep_ms(5);
        }
    }
    if (q->dir[0]) {
        char p[160];
        static const char *const files[] = {"seed.bin", "qemu.log", "qmp.sock"};
        for (size_t i = 0; i < 3; i++) {
            snprintf(p, sizeof(p), "%s/%s", q->dir, files[i]);
            remove(p);
        }
        rmdir(q->dir);
    }
    free(q);
    return rc;
}
