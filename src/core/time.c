/* Clocks, random ids and the user's XDG directories. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"

int64_t lc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double lc_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t lc_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lc_iso8601(int64_t wall_ms, char *out, size_t outsz)
{
    int64_t secs = wall_ms / 1000;
    int64_t ms = wall_ms % 1000;
    if (ms < 0) {
        ms += 1000;
        secs -= 1;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, outsz, "invalid-time");
        return;
    }
    snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)ms);
}

void lc_sleep_ms(int ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static bool fill_random(unsigned char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(p + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        got += (size_t)r;
    }
    if (got == n)
        return true;
    /* getrandom can be filtered out by a seccomp profile. */
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    return got == n;
}

void lc_random_hex(char *out, size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char buf[64];
    size_t done = 0;
    while (done < nbytes) {
        size_t n = nbytes - done < sizeof buf ? nbytes - done : sizeof buf;
        if (!fill_random(buf, n)) {
            /* Ids name temp files and sessions; predictable ones are unsafe. */
            fprintf(stderr, "litecode: no source of randomness (getrandom, /dev/urandom)\n");
            abort();
        }
        for (size_t i = 0; i < n; i++) {
            out[2 * (done + i)] = hex[buf[i] >> 4];
            out[2 * (done + i) + 1] = hex[buf[i] & 15];
        }
        done += n;
    }
    out[2 * nbytes] = '\0';
}

static const char *home_dir(void)
{
    const char *h = getenv("HOME");
    if (h && h[0] == '/')
        return h;
    struct passwd *pw = getpwuid(getuid());
    if (pw && pw->pw_dir && pw->pw_dir[0] == '/')
        return pw->pw_dir;
    return NULL;
}

char *lc_xdg_dir(const char *kind, lc_err *err)
{
    const char *var, *fallback;
    if (kind && strcmp(kind, "config") == 0)
        var = "XDG_CONFIG_HOME", fallback = ".config";
    else if (kind && strcmp(kind, "state") == 0)
        var = "XDG_STATE_HOME", fallback = ".local/state";
    else if (kind && strcmp(kind, "cache") == 0)
        var = "XDG_CACHE_HOME", fallback = ".cache";
    else {
        lc_err_set(err, LC_EINVAL, "unknown XDG directory kind '%s'", kind ? kind : "(null)");
        return NULL;
    }
    /* The spec says relative values are invalid and must be ignored. */
    const char *v = getenv(var);
    if (v && v[0] == '/')
        return lc_xasprintf("%s/litecode", v);
    const char *home = home_dir();
    if (!home) {
        lc_err_set(err, LC_ENOTFOUND,
                   "cannot find the home directory: set HOME or %s to an absolute path", var);
        return NULL;
    }
    return lc_xasprintf("%s%s%s/litecode", home, lc_str_ends_with(home, "/") ? "" : "/", fallback);
}
