/* A sandbox image missing from the engine at start: litecode's own
 * (litecode-sandbox[-ml]:VERSION) is built by scripts/build-image.sh
 * (offline, from Debian's archive), each line it prints passed on as
 * progress; any image that a remote engine lacks and this machine's docker
 * or podman has is streamed there (save | load) with progress of its own. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
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

/* ---- loading an image from this machine onto a remote engine ------------ */

#define LOAD_REPORT_MS 2000
#define INSPECT_TIMEOUT_MS 30000

/* Bytes of image in engine e, 0 when it does not say. */
static uint64_t image_bytes(const lc_engine *e, const char *image)
{
    const char *args[] = {"image", "inspect", "--format", "{{.Size}}", image, NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err ignored = {0};
    uint64_t n = 0;
    if (lc_engine_run(e, args, INSPECT_TIMEOUT_MS, &res, &ignored) == LC_OK)
        n = strtoull(lc_buf_cstr(&res.out), NULL, 10);
    lc_proc_result_free(&res);
    return n;
}

/* The litecode.inputs label of image in e (what build-image.sh built it
 * from), new string; "" when it has none or is missing. */
static char *image_inputs(const lc_engine *e, const char *image)
{
    const char *args[] = {"image", "inspect", "--format", "{{ index .Config.Labels \"litecode.inputs\" }}", image,
                          NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err ignored = {0};
    char *out = NULL;
    if (lc_engine_run(e, args, INSPECT_TIMEOUT_MS, &res, &ignored) == LC_OK) {
        const char *t = lc_buf_cstr(&res.out);
        out = lc_xstrndup(t, strcspn(t, " \r\n"));
    }
    lc_proc_result_free(&res);
    return out ? out : lc_xstrdup("");
}

/* What build-image.sh would build the built-in image from (its input hash),
 * new string or NULL. */
static char *script_inputs(const char *script, bool ml)
{
    const char *argv[] = {"bash", script, "--print-hash", ml ? "--ml" : NULL, NULL};
    lc_strv env = LC_STRV_INIT;
    lc_engine_env(&env);
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err ignored = {0};
    char *out = NULL;
    if (lc_proc_run_env(argv, (const char *const *)env.v, NULL, 0, INSPECT_TIMEOUT_MS, 4096, &res, &ignored) ==
            LC_OK &&
        res.exit_code == 0 && res.out.len) {
        const char *t = lc_buf_cstr(&res.out);
        out = lc_xstrndup(t, strcspn(t, " \r\n"));
    }
    lc_proc_result_free(&res);
    lc_strv_free(&env);
    return out;
}

static void report(lc_image_progress_fn fn, void *ctx, const char *fmt, ...) LC_PRINTF(3, 4);
static void report(lc_image_progress_fn fn, void *ctx, const char *fmt, ...)
{
    if (!fn)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fn(ctx, line);
}

static lc_proc *spawn_engine(const lc_engine *e, const char *sub, const char *image, bool feed, lc_err *err)
{
    lc_strv argv = LC_STRV_INIT, env = LC_STRV_INIT;
    lc_engine_argv(e, &argv, sub);
    if (image)
        lc_strv_push(&argv, image);
    lc_engine_env_for(e, &env); /* no API keys; this machine's own engine without DOCKER_HOST */
    lc_proc_opts po = LC_PROC_OPTS_INIT;
    po.argv = (const char *const *)argv.v;
    po.envp = (const char *const *)env.v;
    po.pipe_stdin = feed;
    po.pipe_stdout = true;
    po.pipe_stderr = !feed;
    po.stderr_to_stdout = feed;
    po.new_process_group = true; /* a Ctrl-C in the terminal is ours to act on, not the CLI's */
    lc_proc *p = NULL;
    if (lc_proc_spawn(&po, &p, err) != LC_OK)
        p = NULL;
    lc_strv_free(&argv);
    lc_strv_free(&env);
    return p;
}

/* The tail of a stream, for the message of a failure. */
static void keep_tail(lc_buf *b, const char *data, size_t n)
{
    lc_buf_append(b, data, n);
    if (b->len > 2048) {
        memmove(b->data, b->data + b->len - 1024, 1024);
        b->len = 1024;
    }
}

static void last_line(const lc_buf *b, char *out, size_t outsz)
{
    size_t end = b->len;
    while (end > 0 && (b->data[end - 1] == '\n' || b->data[end - 1] == '\r'))
        end--;
    size_t start = end;
    while (start > 0 && b->data[start - 1] != '\n')
        start--;
    lc_buf line = LC_BUF_INIT;
    lc_text_sanitize(b->data ? b->data + start : "", end - start > 300 ? 300 : end - start, 0, &line);
    snprintf(out, outsz, "%s", lc_buf_cstr(&line));
    lc_buf_free(&line);
}

int lc_image_load(const lc_engine *dst, const lc_engine *src, const char *image, uint64_t bytes,
                  const atomic_bool *cancel, lc_image_progress_fn fn, void *ctx, lc_err *err)
{
    if (!image || !*image || image[0] == '-')
        return lc_err_set(err, LC_EINVAL, "'%s' is not an image name", image ? image : "");
    char total[32] = "?";
    if (bytes)
        lc_format_bytes_human(bytes, total, sizeof total);
    int64_t t0 = lc_now_ms(), next = t0 + LOAD_REPORT_MS;
    report(fn, ctx, "loading %s from this machine's %s (%s) into the remote %s", image, lc_engine_name(src), total,
           lc_engine_name(dst));
    lc_proc *save = spawn_engine(src, "save", image, false, err);
    if (!save)
        return err->code;
    lc_proc *load = spawn_engine(dst, "load", NULL, true, err);
    if (!load) {
        lc_proc_free(save);
        return err->code;
    }
    int in = lc_proc_stdin(load);
    (void)fcntl(in, F_SETFL, fcntl(in, F_GETFL) | O_NONBLOCK); /* a stalled engine never blocks a cancel */
    int sout = lc_proc_stdout(save), serr = lc_proc_stderr(save), lout = lc_proc_stdout(load);
    char *chunk = lc_xmalloc(1 << 16);
    size_t have = 0, off = 0;
    uint64_t sent = 0;
    lc_buf save_tail = LC_BUF_INIT, load_lines = LC_BUF_INIT, load_last = LC_BUF_INIT;
    bool cancelled = false, broken = false;
    while (sout >= 0 || serr >= 0 || lout >= 0) {
        if (cancel && atomic_load(cancel)) {
            cancelled = true;
            break;
        }
        struct pollfd pfd[4];
        int n = 0, i_sout = -1, i_in = -1, i_serr = -1, i_lout = -1;
        if (sout >= 0 && have == off)
            pfd[i_sout = n++] = (struct pollfd){sout, POLLIN, 0};
        if (in >= 0 && have > off)
            pfd[i_in = n++] = (struct pollfd){in, POLLOUT, 0};
        if (serr >= 0)
            pfd[i_serr = n++] = (struct pollfd){serr, POLLIN, 0};
        if (lout >= 0)
            pfd[i_lout = n++] = (struct pollfd){lout, POLLIN, 0};
        int pr = poll(pfd, (nfds_t)n, 200);
        if (pr < 0 && errno != EINTR)
            break;
        int64_t now = lc_now_ms();
        if (now >= next) {
            /* The size the engine reports is close to the stream's, not equal. */
            char done[32];
            lc_format_bytes_human(sent, done, sizeof done);
            if (sent < bytes)
                report(fn, ctx, "  %s sent of about %s (%d%%), %" PRId64 " s", done, total,
                       (int)(sent * 100 / bytes), (now - t0) / 1000);
            else
                report(fn, ctx, "  %s sent, %" PRId64 " s", done, (now - t0) / 1000);
            next = now + LOAD_REPORT_MS;
        }
        if (pr <= 0)
            continue;
        if (i_sout >= 0 && pfd[i_sout].revents) {
            ssize_t r = read(sout, chunk, 1 << 16);
            if (r > 0) {
                have = (size_t)r;
                off = 0;
            } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                sout = -1; /* the whole image is out */
            }
        }
        if (i_in >= 0 && pfd[i_in].revents) {
            ssize_t w = write(in, chunk + off, have - off);
            if (w > 0) {
                off += (size_t)w;
                sent += (uint64_t)w;
            } else if (w < 0 && errno != EINTR && errno != EAGAIN) {
                broken = true; /* the engine stopped reading: its output says why */
                sout = -1;
                have = off = 0;
                lc_proc_signal(save, SIGTERM); /* else it waits on a pipe nobody reads, and we on its stderr */
            }
        }
        if (in >= 0 && sout < 0 && have == off) {
            lc_proc_close_stdin(load);
            in = -1;
        }
        if (i_serr >= 0 && pfd[i_serr].revents) {
            char b[1024];
            ssize_t r = read(serr, b, sizeof b);
            if (r > 0)
                keep_tail(&save_tail, b, (size_t)r);
            else if (r == 0 || (errno != EINTR && errno != EAGAIN))
                serr = -1;
        }
        if (i_lout >= 0 && pfd[i_lout].revents) {
            char b[1024];
            ssize_t r = read(lout, b, sizeof b);
            if (r > 0) {
                lc_buf_append(&load_lines, b, (size_t)r);
                pass_lines(&load_lines, false, fn, ctx, &load_last);
            } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                lout = -1;
                if (in >= 0) { /* the engine ended before the image was in */
                    broken = true;
                    lc_proc_close_stdin(load);
                    in = -1;
                    sout = -1;
                    lc_proc_signal(save, SIGTERM);
                }
            }
        }
    }
    pass_lines(&load_lines, true, fn, ctx, &load_last);
    int sws = -1, lws = -1;
    if (cancelled) {
        /* Clients only: the engines drop a request whose client is gone.
         * docker load outlives a SIGTERM for seconds. */
        lc_proc_signal(save, SIGKILL);
        lc_proc_signal(load, SIGKILL);
    }
    if (lc_proc_wait(save, 5000, &sws) != LC_OK)
        sws = -1;
    if (lc_proc_wait(load, cancelled ? 5000 : -1, &lws) != LC_OK) /* unless cancelled, the load takes its time */
        lws = -1;
    lc_proc_free(save);
    lc_proc_free(load);
    bool save_ok = sws != -1 && WIFEXITED(sws) && WEXITSTATUS(sws) == 0;
    bool load_ok = lws != -1 && WIFEXITED(lws) && WEXITSTATUS(lws) == 0;
    int rc = LC_OK;
    char why[320];
    if (cancelled) {
        rc = lc_err_set(err, LC_ECANCEL, "loading the sandbox image %s was cancelled", image);
    } else if (!save_ok || !load_ok || broken) {
        bool blame_save = !save_ok && !broken; /* a save stopped by us: the load failed first */
        if (blame_save)
            last_line(&save_tail, why, sizeof why);
        else
            snprintf(why, sizeof why, "%s", lc_buf_cstr(&load_last));
        rc = lc_err_set(err, LC_EENGINE,
                        "loading the sandbox image %s from this machine's %s into the remote %s failed (%s `%s`: "
                        "%s); load it by hand (`%s save %s | %s load` with the second command pointed at the "
                        "remote engine) or build it there",
                        image, lc_engine_name(src), lc_engine_name(dst), lc_engine_name(blame_save ? src : dst),
                        blame_save ? "save" : "load", why[0] ? why : "no message", lc_engine_name(src), image,
                        lc_engine_name(dst));
    } else {
        char done[32];
        lc_format_bytes_human(sent, done, sizeof done);
        report(fn, ctx, "%s is on the remote %s (%s in %.1f s)", image, lc_engine_name(dst), done,
               (double)(lc_now_ms() - t0) / 1000.0);
    }
    free(chunk);
    lc_buf_free(&save_tail);
    lc_buf_free(&load_lines);
    lc_buf_free(&load_last);
    return rc;
}

/* ---- deciding how a missing image gets onto the engine ------------------ */

void lc_image_plan_free(lc_image_plan *plan)
{
    if (!plan)
        return;
    free(plan->image);
    free(plan->script);
    free(plan->notice);
    lc_engine_free(plan->from);
    memset(plan, 0, sizeof *plan);
}

int lc_image_plan_make(lc_engine *e, const lc_container_config *cfg, const char *script, lc_image_plan *plan,
                       lc_err *err)
{
    memset(plan, 0, sizeof *plan);
    const char *image = cfg->image;
    bool ml = false, builtin = lc_image_is_builtin(image, &ml);
    plan->image = lc_xstrdup(image);
    plan->ml = ml;
    char why[300];
    bool elsewhere = lc_engine_elsewhere(e, why, sizeof why);
    char *want = elsewhere && builtin && script ? script_inputs(script, ml) : NULL;
    /* This machine's own engine of the same kind first, then the other. */
    lc_engine_kind kinds[2] = {lc_engine_kind_of(e),
                               lc_engine_kind_of(e) == LC_ENGINE_DOCKER ? LC_ENGINE_PODMAN : LC_ENGINE_DOCKER};
    for (int i = 0; elsewhere && image[0] != '-' && i < 2 && !plan->from; i++) {
        lc_engine *src = NULL;
        lc_err ignored = {0};
        if (lc_engine_open_local(cfg, kinds[i], &src, &ignored) != LC_OK)
            continue;
        bool fits = lc_engine_image_exists(src, image, &ignored) == 1;
        if (fits && want) {
            /* litecode's own image only as current as a build would make it */
            char *have = image_inputs(src, image);
            fits = strcmp(have, want) == 0;
            free(have);
        }
        if (fits)
            plan->from = src;
        else
            lc_engine_free(src);
    }
    free(want);
    if (plan->from) {
        plan->how = LC_IMAGE_LOAD;
        plan->bytes = image_bytes(plan->from, image);
        char size[32] = "size unknown";
        if (plan->bytes)
            lc_format_bytes_human(plan->bytes, size, sizeof size);
        plan->notice = lc_xasprintf("the sandbox image %s is not on the remote engine (%s): loading it there from "
                                    "this machine's %s (%s)",
                                    image, why, lc_engine_name(plan->from), size);
        return LC_OK;
    }
    if (builtin && script) {
        plan->how = LC_IMAGE_BUILD;
        plan->script = lc_xstrdup(script);
        plan->notice = lc_xasprintf("the sandbox image %s is missing: building it (the first time takes about a "
                                    "minute)",
                                    image);
        return LC_OK;
    }
    const char *en = lc_engine_name(e);
    int rc;
    if (elsewhere)
        rc = lc_err_set(err, LC_ENOTFOUND,
                        "the sandbox image %s is neither on the remote engine (%s) nor in this machine's docker or "
                        "podman: build or pull it on the remote engine (`%s build -t %s DIR` or `%s pull %s` with "
                        "%s set), or into this machine's %s, from where litecode loads it onto the remote engine "
                        "when a session starts; or set container.image to an image the remote engine has",
                        image, why, en, image, en, image, why, en);
    else if (builtin)
        rc = lc_err_set(err, LC_ENOTFOUND,
                        "the sandbox image %s is not in %s: build it with scripts/build-image.sh (offline, from "
                        "Debian), or `%s build -t %s image/` where python images can be pulled",
                        image, en, en, image);
    else
        rc = lc_err_set(err, LC_ENOTFOUND,
                        "the sandbox image %s (container.image or --image) is not in %s: build or pull it (`%s build -t %s "
                        "DIR`, `%s pull %s`), or set container.image to an image `%s images` lists (litecode's "
                        "own, litecode-sandbox:%s, is built by scripts/build-image.sh)",
                        image, en, en, image, en, image, en, LC_VERSION);
    lc_image_plan_free(plan);
    return rc;
}

int lc_image_plan_run(lc_engine *e, const lc_image_plan *plan, const atomic_bool *cancel, lc_image_progress_fn fn,
                      void *ctx, lc_err *err)
{
    switch (plan->how) {
    case LC_IMAGE_LOAD:
        return lc_image_load(e, plan->from, plan->image, plan->bytes, cancel, fn, ctx, err);
    case LC_IMAGE_BUILD:
        return lc_image_build(e, plan->script, plan->ml, cancel, fn, ctx, err);
    }
    return LC_OK;
}
