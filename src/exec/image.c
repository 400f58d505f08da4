/* The sandbox image litecode builds itself (litecode-sandbox[-ml]:VERSION):
 * when it is missing at start, scripts/build-image.sh builds it (offline,
 * from Debian's archive) and each line it prints is passed on as progress. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/exec.h"
#include "exec/exec_internal.h"

#define TAG "litecode-sandbox:" LC_VERSION
#define TAG_ML "litecode-sandbox-ml:" LC_VERSION

bool lc_image_is_builtin(const char *image, bool *ml)
{
    bool base = image && !strcmp(image, TAG), mlv = image && !strcmp(image, TAG_ML);
    if (ml)
        *ml = mlv;
    return base || mlv;
}

/* Hands each complete line of buf to fn and keeps the unfinished rest; a
 * line without an end is passed on in pieces. The script's text is not
 * trusted: lines are sanitized and cut. */
static void pass_lines(lc_buf *buf, bool flush, lc_image_progress_fn fn, void *ctx, lc_buf *last)
{
    size_t used = 0;
    while (used < buf->len) {
        const char *start = buf->data + used;
        const char *nl = memchr(start, '\n', buf->len - used);
        size_t n = nl ? (size_t)(nl - start) : buf->len - used;
        if (!nl && !flush && n <= 4096)
            break;
        lc_buf line = LC_BUF_INIT;
        lc_text_sanitize(start, n > 400 ? 400 : n, 0, &line);
        if (line.len) {
            if (fn)
                fn(ctx, lc_buf_cstr(&line));
            lc_buf_reset(last);
            lc_buf_append(last, line.data, line.len);
        }
        lc_buf_free(&line);
        used += n + (nl ? 1 : 0);
    }
    if (used) {
        memmove(buf->data, buf->data + used, buf->len - used);
        buf->len -= used;
    }
}

int lc_image_build(const lc_engine *e, const char *script, bool ml, const atomic_bool *cancel,
                   lc_image_progress_fn fn, void *ctx, lc_err *err)
{
    struct stat st;
    if (!script || stat(script, &st) != 0 || !S_ISREG(st.st_mode))
        return lc_err_set(err, LC_ENOTFOUND, "the image build script %s is missing; reinstall litecode",
                          script ? script : "(none)");
    const char *argv[6] = {"bash", script, "--engine", lc_engine_name(e), NULL, NULL};
    if (ml)
        argv[4] = "--ml";
    lc_proc_opts po = LC_PROC_OPTS_INIT;
    lc_strv env = LC_STRV_INIT;
    lc_engine_env(&env); /* the script runs the engine CLI and sudo: no API keys for them */
    po.argv = argv;
    po.envp = (const char *const *)env.v;
    po.pipe_stdout = true;
    po.stderr_to_stdout = true;
    po.new_process_group = true; /* a cancel stops debootstrap and docker import too */
    lc_proc *p = NULL;
    int rc = lc_proc_spawn(&po, &p, err);
    lc_strv_free(&env);
    if (rc != LC_OK)
        return rc;
    lc_buf buf = LC_BUF_INIT, last = LC_BUF_INIT;
    bool cancelled = false;
    int fd = lc_proc_stdout(p);
    for (;;) {
        if (cancel && atomic_load(cancel)) {
            cancelled = true;
            lc_proc_signal(p, SIGTERM);
            break;
        }
        struct pollfd pfd = {fd, POLLIN, 0};
        int pr = poll(&pfd, 1, 200);
        if (pr < 0 && errno != EINTR)
            break;
        if (pr <= 0)
            continue;
        char chunk[4096];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            break;
        lc_buf_append(&buf, chunk, (size_t)n);
        pass_lines(&buf, false, fn, ctx, &last);
    }
    pass_lines(&buf, true, fn, ctx, &last);
    int ws = 0;
    if (lc_proc_wait(p, cancelled ? 5000 : -1, &ws) != LC_OK)
        ws = -1; /* lc_proc_free kills it */
    lc_proc_free(p);
    if (cancelled)
        rc = lc_err_set(err, LC_ECANCEL, "the image build was cancelled");
    else if (ws == -1 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
        rc = lc_err_set(err, LC_EENGINE,
                        "building the sandbox image failed (%s); run scripts/build-image.sh in a terminal "
                        "to see why, or see docs/troubleshooting.md",
                        last.len ? lc_buf_cstr(&last) : "no output");
    lc_buf_free(&buf);
    lc_buf_free(&last);
    return rc;
}
