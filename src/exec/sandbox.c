/* The container sandbox: an lc_executor whose steps run in the Python kernel,
 * the container's main process. Steps have a deadline: interrupt first (state
 * kept), then kill and restart (state lost, said so). See docs/architecture.md. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/exec.h"
#include "exec/exec_internal.h"

#define READY_TIMEOUT_MS 60000
#define CONTROL_TIMEOUT_MS 20000
#define MAX_LINE (32u << 20)      /* a kernel line longer than this is a protocol error */
#define SHADOW_POLL_MS 1000
#define TICK_MS 100
#define SKIP_NOTE_MS 1000       /* live "being skipped" notes at most this often */
#define ERRTEXT_MAX 16384       /* bytes of the engine CLI's stderr kept */

typedef struct sandbox {
    lc_executor ex;
    lc_container_config cfg;
    char *shadow;
    char *session_id;
    char *memo_path; /* lc_sandbox_opts.memo_path, or NULL */
    lc_engine *engine;
    lc_proc *proc;
    lc_buf rbuf;         /* kernel bytes not yet a whole line */
    lc_buf errtext;      /* the engine CLI's stderr, bounded */
    char name[96];
    pthread_mutex_t name_lock; /* name is read by lc_sandbox_kill from any thread */
    int starts;
    int next_id;
    lc_strv defines;
    double start_ms;
    uint64_t shadow_base;
    bool have_base;
    atomic_bool interrupt_requested;
    bool stderr_done;    /* the engine CLI closed its stderr */
    char *lost;          /* a restart outside a step, told with the next result */
    long long oom_base;  /* the host's OOM kill count at launch and at each step's start */
    /* The workspace transport, decided at the first start (container.transport,
     * the engine's settings, then the probe) and kept for the session. */
    bool ws_decided;
    bool ws_copy;
    bool ws_probe;       /* mount under "auto": check that the kernel sees the shadow */
    char ws_why[300];    /* why the copy transport is used, for --check and the status */
    char *git_objects;   /* the project's objects, lent read-only (lc_sandbox_lend_git) */
    char git_volume[64]; /* copy transport: the volume they were sent into once, or "" */
} sandbox;

static sandbox *sb_of(lc_executor *ex) { return ex->impl; }

/* ---- reading the kernel ------------------------------------------------- */

static void read_stderr(sandbox *sb)
{
    char tmp[4096];
    ssize_t n = read(lc_proc_stderr(sb->proc), tmp, sizeof tmp);
    if (n > 0 && sb->errtext.len < ERRTEXT_MAX)
        lc_buf_append(&sb->errtext, tmp, (size_t)n);
    if (n == 0)
        sb->stderr_done = true;
}

/* cJSON hands strings out as C strings, so a "\u0000" in a kernel line would cut
 * the text there (print('a\x00b') showed "a", and binary output vanished). Every
 * NUL, escaped or raw, becomes the four characters \x00 before parsing: shown,
 * counted, never dropped. Linear in the line; NULL when there is none. */
static char *escape_nuls(const char *line, size_t n, size_t *outn)
{
    bool any = memchr(line, '\0', n) != NULL;
    for (const char *p = line; !any && (p = memchr(p, '\\', (size_t)(line + n - p))) != NULL; p += 2) {
        if (p + 6 <= line + n && memcmp(p, "\\u0000", 6) == 0)
            any = true;
        if (p + 1 >= line + n)
            break;
    }
    if (!any)
        return NULL;
    lc_buf b = LC_BUF_INIT;
    lc_buf_reserve(&b, n + 16);
    for (size_t i = 0; i < n;) {
        if (line[i] == '\0') {
            lc_buf_puts(&b, "\\\\x00");
            i++;
        } else if (line[i] == '\\' && i + 6 <= n && memcmp(line + i, "\\u0000", 6) == 0) {
            lc_buf_puts(&b, "\\\\x00");
            i += 6;
        } else if (line[i] == '\\' && i + 1 < n) {
            lc_buf_append(&b, line + i, 2); /* an escape pair: "\\u0000" is not a NUL */
            i += 2;
        } else {
            lc_buf_putc(&b, line[i++]);
        }
    }
    *outn = b.len;
    return lc_buf_detach(&b);
}

cJSON *lc_sandbox_parse_line(const char *line, size_t n)
{
    size_t en = 0;
    char *esc = escape_nuls(line, n, &en);
    cJSON *ev = esc ? lc_json_parse(esc, en) : lc_json_parse(line, n);
    free(esc);
    return ev;
}

/* Next kernel event, waiting until deadline_ms (monotonic). LC_ETIMEOUT when
 * nothing whole arrived in time; LC_EIO when the container's output ended. */
static int next_event(sandbox *sb, int64_t deadline_ms, cJSON **ev, lc_err *err)
{
    *ev = NULL;
    for (;;) {
        char *nl = sb->rbuf.len ? memchr(sb->rbuf.data, '\n', sb->rbuf.len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - sb->rbuf.data);
            *ev = lc_sandbox_parse_line(sb->rbuf.data, n);
            memmove(sb->rbuf.data, nl + 1, sb->rbuf.len - n - 1);
            sb->rbuf.len -= n + 1;
            sb->rbuf.data[sb->rbuf.len] = '\0';
            if (*ev && cJSON_IsObject(*ev))
                return LC_OK;
            cJSON_Delete(*ev);
            *ev = NULL;
            continue; /* not an event: ignore it, as the protocol says */
        }
        if (sb->rbuf.len > MAX_LINE)
            return lc_err_set(err, LC_EPROTO, "the kernel sent a line over %u bytes", MAX_LINE);
        int64_t left = deadline_ms - lc_now_ms();
        if (left <= 0)
            return LC_ETIMEOUT;
        struct pollfd pfd[2] = {{lc_proc_stdout(sb->proc), POLLIN, 0},
                                {lc_proc_stderr(sb->proc), POLLIN, 0}};
        int np = pfd[1].fd >= 0 && !sb->stderr_done ? 2 : 1;
        int r = poll(pfd, (nfds_t)np, left > TICK_MS ? TICK_MS : (int)left);
        if (r < 0 && errno != EINTR)
            return lc_err_errno(err, LC_EIO, errno, "waiting for the kernel");
        if (np == 2 && (pfd[1].revents & (POLLIN | POLLHUP)))
            read_stderr(sb);
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            lc_buf_reserve(&sb->rbuf, 65536);
            ssize_t n = read(pfd[0].fd, sb->rbuf.data + sb->rbuf.len, 65536);
            if (n == 0)
                return lc_err_set(err, LC_EIO, "the sandbox container ended");
            if (n < 0 && errno != EINTR && errno != EAGAIN)
                return lc_err_errno(err, LC_EIO, errno, "reading from the kernel");
            if (n > 0) {
                sb->rbuf.len += (size_t)n;
                sb->rbuf.data[sb->rbuf.len] = '\0';
            }
        }
        if (r == 0 || (r > 0 && !(pfd[0].revents & POLLIN)))
            return LC_ETIMEOUT; /* a tick passed: let the caller look at its clocks */
    }
}

/* A write to a kernel that is gone is an EPIPE error that leads to the
 * restart, never a SIGPIPE, whatever the program's disposition: SIGPIPE is
 * blocked around the write and one it raised is taken back. */
static int write_no_sigpipe(int fd, const char *s, size_t n)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    int rc = lc_fd_write_all(fd, s, n);
    int saved = errno;
    if (rc != 0 && saved == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return rc;
}

static int send_json(sandbox *sb, cJSON *msg, lc_err *err)
{
    char *s = lc_json_print(msg);
    cJSON_Delete(msg);
    size_t n = strlen(s);
    s[n] = '\n';
    int rc = write_no_sigpipe(lc_proc_stdin(sb->proc), s, n + 1);
    free(s);
    if (rc != 0)
        return lc_err_errno(err, LC_EIO, errno, "sending to the kernel");
    return LC_OK;
}

/* ---- lifecycle ---------------------------------------------------------- */

static void remove_container(sandbox *sb)
{
    const char *rm[] = {"rm", "-f", "-v", sb->name, NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err ignored = {0};
    lc_engine_run(sb->engine, rm, CONTROL_TIMEOUT_MS, &res, &ignored);
    lc_proc_result_free(&res);
    if (sb->ws_copy) {
        char volume[sizeof sb->name + 8];
        snprintf(volume, sizeof volume, "%s-ws", sb->name);
        lc_transport_volume_rm(sb->engine, volume);
    }
}

/* What the ended kernel still had to say on its stderr (why it exited): read
 * until the end, for at most 200 ms, never past errtext's bound. */
static void drain_stderr(sandbox *sb)
{
    int64_t until = lc_now_ms() + 200;
    while (!sb->stderr_done && sb->errtext.len < ERRTEXT_MAX) {
        int left = (int)(until - lc_now_ms());
        struct pollfd p = {lc_proc_stderr(sb->proc), POLLIN, 0};
        if (left <= 0 || p.fd < 0 || poll(&p, 1, left) <= 0)
            break;
        read_stderr(sb);
    }
}

/* Waits for the engine CLI to end (the kernel exits on stdin EOF). The
 * container is not removed here: it runs without --rm so that how it
 * ended can still be asked (see how_it_ended). */
static void reap(sandbox *sb, int *wstatus)
{
    int st = 0;
    if (sb->proc) {
        lc_proc_close_stdin(sb->proc);
        if (lc_proc_wait(sb->proc, 5000, &st) == LC_ETIMEOUT) {
            remove_container(sb);
            lc_proc_wait(sb->proc, 10000, &st);
        }
        drain_stderr(sb);
        lc_proc_free(sb->proc);
        sb->proc = NULL;
    }
    if (wstatus)
        *wstatus = st;
    sb->rbuf.len = 0;
}

/* The host's count of OOM kills (/proc/vmstat oom_kill, memory cgroups
 * included); -1 when unknown. */
static long long host_oom_kills(void)
{
    lc_buf b = LC_BUF_INIT;
    lc_err ignored = {0};
    long long n = -1;
    if (lc_file_read("/proc/vmstat", 1 << 16, &b, &ignored) == LC_OK) {
        const char *at = strstr(lc_buf_cstr(&b), "\noom_kill ");
        if (at)
            n = strtoll(at + 10, NULL, 10);
    }
    lc_buf_free(&b);
    return n;
}

/* What the engine knows about a container that ended by itself: the
 * kernel's OOM killer, a kill or removal from outside, or an exit. Docker
 * records OOMKilled; podman (conmon) misses it on cgroup v1 hosts, so there
 * an exit 137 while the host's OOM kill count rose is read as OOM too. */
static lc_sandbox_end how_it_ended(sandbox *sb, int wstatus)
{
    lc_sandbox_end end = {LC_END_EXITED, WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus), 0};
    const char *args[] = {"inspect", "--type", "container", "--format", "{{.State.OOMKilled}} {{.State.ExitCode}}",
                          sb->name, NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err gone = {0};
    if (lc_engine_run(sb->engine, args, CONTROL_TIMEOUT_MS, &res, &gone) != LC_OK) {
        end.how = LC_END_REMOVED; /* the container is gone: removed from outside */
    } else {
        char oom[16] = "";
        int code = 0;
        if (sscanf(lc_buf_cstr(&res.out), "%15s %d", oom, &code) == 2) {
            end.exit_code = code;
            long long now = host_oom_kills();
            bool host_oom = lc_engine_has(sb->engine, LC_ENGINE_F_OOM_HOST_COUNT) && code == 137 &&
                            sb->oom_base >= 0 && now > sb->oom_base;
            if (strcmp(oom, "true") == 0 || host_oom)
                end.how = LC_END_OOM;
            else if (code == 137 || code == 143)
                end.how = LC_END_KILLED;
        }
    }
    lc_proc_result_free(&res);
    end.worker_code = lc_sandbox_worker_code(lc_buf_cstr(&sb->errtext));
    return end;
}

static void clear_name(sandbox *sb)
{
    pthread_mutex_lock(&sb->name_lock);
    sb->name[0] = '\0';
    pthread_mutex_unlock(&sb->name_lock);
}

static int wait_done(sandbox *sb, int id, int timeout_ms, cJSON **done, lc_err *err);

int64_t lc_sandbox_change_deadline(int64_t at, int64_t first, bool over_cap)
{
    /* Past the cap, or after LC_CHANGE_MAX_MS of them: no more time (a sender that trickles
     * changes, were the channel ever not the kernel's, cannot keep a step alive). */
    return over_cap || at - first >= LC_CHANGE_MAX_MS ? 0 : at + LC_CHANGE_IDLE_MS;
}

/* How many argv entries `<engine> [global options]` takes. */
static size_t engine_prefix_len(const lc_engine *e)
{
    lc_strv t = LC_STRV_INIT;
    lc_engine_argv(e, &t, NULL);
    size_t n = t.n;
    lc_strv_free(&t);
    return n;
}

/* The copy transport's one-time send of the project's git objects. */
typedef struct git_fill {
    sandbox *sb;
    char volume[64];
    pthread_t thread;
    int rc;
    lc_err err;
} git_fill;

static void *git_fill_run(void *p)
{
    git_fill *g = p;
    g->rc = lc_transport_fill_through(g->sb->engine, g->sb->cfg.image, g->sb->session_id, g->volume,
                                      g->sb->git_objects, &g->err);
    return NULL;
}

/* ---- engines that do not see this machine's files ------------------------ */

/* The memo's line for this engine: "<engine> <address>", or false when the
 * engine has no address of its own (the default socket is this machine's:
 * always looked at) or one that cannot be a line. */
static bool memo_line(const sandbox *sb, char *line, size_t n)
{
    const char *host = sb->memo_path ? lc_engine_endpoint(sb->engine, NULL) : NULL;
    if (!host || strlen(host) > 1024)
        return false;
    for (const char *p = host; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return false;
    snprintf(line, n, "%s %s\n", lc_engine_name(sb->engine), host);
    return true;
}

/* Whether an earlier start found that this engine does not see this
 * machine's files (the bind mount was empty): then the copy transport is
 * taken at once instead of a first start that finds it out again. */
static bool memo_says_copy(const sandbox *sb)
{
    char line[1100];
    if (!memo_line(sb, line, sizeof line))
        return false;
    lc_buf b = LC_BUF_INIT;
    lc_err ignored = {0};
    bool found = false;
    if (lc_file_read(sb->memo_path, 64 * 1024, &b, &ignored) == LC_OK) {
        size_t n = strlen(line);
        for (const char *p = lc_buf_cstr(&b); p && !found; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
            found = strncmp(p, line, n) == 0; /* line ends in its newline: a whole line */
    }
    lc_buf_free(&b);
    return found;
}

static void memo_add(const sandbox *sb)
{
    char line[1100];
    if (!memo_line(sb, line, sizeof line) || memo_says_copy(sb))
        return;
    int fd = open(sb->memo_path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
        if (lc_fd_write_all(fd, line, strlen(line)) != 0) {
            /* a memo not written costs the next start one probe */
        }
        close(fd);
    }
}

static int launch(sandbox *sb, lc_err *err)
{
    int present = lc_engine_image_exists(sb->engine, sb->cfg.image, err);
    if (present < 0)
        return present;
    if (present == 0)
        return lc_err_set(err, LC_ENOTFOUND,
                          "the sandbox image %s is not in %s: build it with scripts/build-image.sh "
                          "(offline, from Debian), or with `%s build -t %s image/` where the "
                          "python base image can be pulled",
                          sb->cfg.image, lc_engine_name(sb->engine), lc_engine_name(sb->engine),
                          sb->cfg.image);
    if (sb->ws_copy) {
        /* Nothing that would fill the engine's disk goes out; the git objects only count when they go too. */
        int mrc = lc_transport_measure(sb->shadow, sb->git_volume[0] ? NULL : sb->git_objects,
                                       sb->cfg.copy_max_bytes > 0 ? (uint64_t)sb->cfg.copy_max_bytes : 0, NULL, err);
        if (mrc != LC_OK)
            return mrc;
    }
    char rnd[8];
    lc_random_hex(rnd, 3);
    pthread_mutex_lock(&sb->name_lock);
    snprintf(sb->name, sizeof sb->name, "litecode-%.24s-%d-%s", sb->session_id, ++sb->starts, rnd);
    pthread_mutex_unlock(&sb->name_lock);
    lc_strv argv = LC_STRV_INIT, env = LC_STRV_INIT;
    char probe[64] = "";
    char *probe_path = NULL;
    if (!sb->ws_copy && sb->ws_probe) {
        /* A marker the kernel must see at /workspace; removed as soon as it answered. */
        char prnd[17];
        lc_random_hex(prnd, 8);
        snprintf(probe, sizeof probe, ".litecode-probe-%s", prnd);
        probe_path = lc_path_join(sb->shadow, probe);
        lc_err perr = {0};
        if (lc_file_write_atomic(probe_path, "", 0, 0644, &perr) != LC_OK) {
            free(probe_path);
            probe_path = NULL;
            probe[0] = '\0';
        }
    }
    /* The copy transport's workspace: a named volume labelled like the
     * container (podman cannot label an anonymous one), removed with it. */
    char volume[sizeof sb->name + 8] = "";
    if (sb->ws_copy)
        snprintf(volume, sizeof volume, "%s-ws", sb->name);
    git_fill gf = {.sb = sb};
    bool git_thread = false;
    if (sb->ws_copy && sb->git_objects && !sb->git_volume[0]) {
        /* Sent once per session: objects never change, so restarts keep the
         * volume. Made (labelled) here, before a create could make it without
         * labels; filled on a thread while the workspace goes in. */
        snprintf(gf.volume, sizeof gf.volume, "litecode-%.24s-git", sb->session_id);
        int grc = lc_transport_volume_create(sb->engine, sb->session_id, gf.volume, err);
        if (grc == LC_OK && pthread_create(&gf.thread, NULL, git_fill_run, &gf) == 0)
            git_thread = true;
        else if (grc == LC_OK && (git_fill_run(&gf), gf.rc != LC_OK))
            grc = lc_err_set(err, gf.rc, "%s", gf.err.msg);
        if (grc != LC_OK) {
            lc_transport_volume_rm(sb->engine, gf.volume);
            free(probe_path);
            clear_name(sb);
            return lc_err_set(err, grc, "sending the project's git history to the engine failed: %s", err->msg);
        }
        snprintf(sb->git_volume, sizeof sb->git_volume, "%s", gf.volume);
    }
    lc_sandbox_ws ws = {sb->ws_copy, probe[0] ? probe : NULL, volume[0] ? volume : NULL,
                        sb->ws_copy ? NULL : sb->git_objects, sb->git_volume[0] ? sb->git_volume : NULL};
    lc_sandbox_run_argv(&sb->cfg, sb->engine, sb->name, sb->session_id, sb->shadow, &ws, &argv);
    if (volume[0]) {
        /* Read-only: filled through a helper, as the sandbox cannot write it;
         * else filled below through the created sandbox itself. */
        int vrc = sb->cfg.workspace_ro
                      ? lc_transport_fill_volume(sb->engine, sb->cfg.image, sb->session_id, volume, sb->shadow, err)
                      : lc_transport_volume_create(sb->engine, sb->session_id, volume, err);
        if (vrc != LC_OK) {
            if (git_thread) {
                pthread_join(gf.thread, NULL); /* its volume stays for the next start, or the stop */
                if (gf.rc != LC_OK) {
                    lc_transport_volume_rm(sb->engine, gf.volume);
                    sb->git_volume[0] = '\0';
                }
            }
            lc_strv_free(&argv);
            remove_container(sb);
            clear_name(sb);
            return vrc;
        }
    }
    if (sb->ws_copy) {
        /* create, fill the container's volume over the engine, then start
         * attached: the same process shape as `run --interactive`. */
        lc_proc_result cres = LC_PROC_RESULT_INIT;
        int crc = lc_engine_run(sb->engine, (const char *const *)argv.v + engine_prefix_len(sb->engine),
                                READY_TIMEOUT_MS, &cres, err);
        lc_proc_result_free(&cres);
        if (crc == LC_OK && !sb->cfg.workspace_ro) /* a read-only volume was filled above */
            crc = lc_transport_fill(sb->engine, sb->name, sb->shadow, err);
        if (crc == LC_OK)
            crc = lc_transport_fill_tools(sb->engine, sb->name, &sb->cfg.tool_files, err);
        if (git_thread) {
            pthread_join(gf.thread, NULL);
            git_thread = false;
            if (gf.rc != LC_OK && crc == LC_OK)
                crc = lc_err_set(err, gf.rc, "sending the project's git history to the engine failed: %s",
                                 gf.err.msg);
            if (gf.rc != LC_OK) {
                lc_transport_volume_rm(sb->engine, gf.volume);
                sb->git_volume[0] = '\0';
            }
        }
        lc_strv_free(&argv);
        if (crc != LC_OK) {
            remove_container(sb);
            clear_name(sb);
            return crc;
        }
        argv = (lc_strv)LC_STRV_INIT;
        lc_engine_argv(sb->engine, &argv, "start");
        lc_strv_push(&argv, "--attach");
        lc_strv_push(&argv, "--interactive");
        lc_strv_push(&argv, sb->name);
    }
    lc_engine_env(&env);
    lc_proc_opts po = LC_PROC_OPTS_INIT;
    po.argv = (const char *const *)argv.v;
    po.envp = (const char *const *)env.v;
    po.pipe_stdin = po.pipe_stdout = po.pipe_stderr = true;
    po.new_process_group = true; /* a Ctrl-C in the terminal must not reach the engine CLI */
    int64_t t0 = lc_now_ms();
    sb->oom_base = host_oom_kills();
    sb->errtext.len = 0;
    sb->stderr_done = false;
    int rc = lc_proc_spawn(&po, &sb->proc, err);
    lc_strv_free(&argv);
    lc_strv_free(&env);
    if (rc != LC_OK)
        return rc;
    cJSON *ev = NULL;
    int64_t deadline = t0 + READY_TIMEOUT_MS;
    for (;;) {
        rc = next_event(sb, deadline, &ev, err);
        if (rc == LC_ETIMEOUT && lc_now_ms() < deadline)
            continue;
        if (rc != LC_OK || !ev)
            break;
        const char *kind = lc_json_str(ev, "ev");
        if (kind && strcmp(kind, "ready") == 0)
            break;
        cJSON_Delete(ev);
        ev = NULL;
    }
    if (probe_path) {
        unlink(probe_path);
        free(probe_path);
    }
    if (rc != LC_OK) {
        char how[512];
        lc_buf msg = LC_BUF_INIT;
        size_t n = sb->errtext.len > 400 ? 400 : sb->errtext.len;
        while (n > 0 && (sb->errtext.data[n - 1] == '\n' || sb->errtext.data[n - 1] == '\r'))
            n--;
        lc_text_sanitize(lc_buf_cstr(&sb->errtext), n, 0, &msg);
        snprintf(how, sizeof how, "%s", lc_buf_cstr(&msg));
        lc_buf_free(&msg);
        reap(sb, NULL);
        remove_container(sb);
        clear_name(sb);
        return lc_err_set(err, rc == LC_ETIMEOUT ? LC_ETIMEOUT : LC_EENGINE,
                          "the sandbox container did not start%s: %s. Run `litecode-tui --check` for "
                          "a diagnosis.",
                          rc == LC_ETIMEOUT ? " within 60 s" : "", how[0] ? how : err->msg);
    }
    bool unseen = probe[0] && !lc_json_bool(ev, "probe", false);
    cJSON_Delete(ev);
    if (unseen) {
        /* The engine does not see this machine's files: never a session on an
         * empty /workspace. Start again with the copy transport. */
        reap(sb, NULL);
        remove_container(sb);
        clear_name(sb);
        sb->ws_copy = true;
        snprintf(sb->ws_why, sizeof sb->ws_why, "the %s engine does not see this machine's files (the "
                 "shadow copy was empty at /workspace)", lc_engine_name(sb->engine));
        memo_add(sb);
        return launch(sb, err);
    }
    if (probe[0])
        sb->ws_probe = false; /* seen once: restarts leave the shadow alone */
    sb->start_ms = (double)(lc_now_ms() - t0);
    /* Helpers loaded before: load them again into the fresh kernel. */
    for (size_t i = 0; i < sb->defines.n && rc == LC_OK; i++) {
        cJSON *msg = cJSON_CreateObject(), *done = NULL;
        int id = ++sb->next_id;
        cJSON_AddStringToObject(msg, "op", "define");
        cJSON_AddNumberToObject(msg, "id", id);
        cJSON_AddStringToObject(msg, "code", sb->defines.v[i]);
        rc = send_json(sb, msg, err);
        if (rc == LC_OK)
            rc = wait_done(sb, id, CONTROL_TIMEOUT_MS, &done, err);
        cJSON_Delete(done);
    }
    return rc;
}

static int restart(sandbox *sb, bool we_killed, lc_stop_reason why, lc_exec_result *res, lc_err *err);

/* Also the check before each request: a kernel that ended since the last
 * one (killed, removed, out of memory while idle) goes through restart(). */
static int sb_start(lc_executor *ex, lc_err *err)
{
    sandbox *sb = sb_of(ex);
    int st;
    if (sb->proc && lc_proc_wait(sb->proc, 0, &st) == LC_OK)
        return restart(sb, false, LC_WHY_NONE, NULL, err);
    if (sb->proc)
        return LC_OK;
    if (!sb->have_base) {
        sb->shadow_base = lc_shadow_usage(sb->shadow);
        sb->have_base = true;
    }
    if (!sb->ws_decided) {
        const char *t = sb->cfg.transport ? sb->cfg.transport : "auto";
        char why[256];
        sb->ws_decided = true;
        if (strcmp(t, "copy") == 0) {
            sb->ws_copy = true;
            snprintf(sb->ws_why, sizeof sb->ws_why, "container.transport is copy");
        } else if (strcmp(t, "auto") == 0 && lc_engine_is_remote(sb->engine, why, sizeof why)) {
            sb->ws_copy = true;
            snprintf(sb->ws_why, sizeof sb->ws_why, "the engine is on another machine (%s)", why);
        } else if (strcmp(t, "auto") == 0 && memo_says_copy(sb)) {
            const char *var = NULL, *host = lc_engine_endpoint(sb->engine, &var);
            sb->ws_copy = true;
            snprintf(sb->ws_why, sizeof sb->ws_why, "the %s engine at %s=%s did not see this machine's files at "
                     "an earlier start (remembered in %s: remove its line to look again)",
                     lc_engine_name(sb->engine), var, host, sb->memo_path);
        } else {
            sb->ws_probe = strcmp(t, "auto") == 0;
        }
    }
    return launch(sb, err);
}

static void sb_stop(lc_executor *ex)
{
    sandbox *sb = sb_of(ex);
    if (sb->proc) {
        reap(sb, NULL); /* the kernel exits on stdin EOF */
        remove_container(sb);
    }
    clear_name(sb);
    if (sb->git_volume[0]) {
        lc_transport_volume_rm(sb->engine, sb->git_volume);
        sb->git_volume[0] = '\0';
    }
}

/* The one restart path, wherever the sandbox is found dead or stuck: the
 * container is removed (killed first when we_killed), how it ended is put
 * in res (during a step) or kept in sb->lost for the next result, and a
 * fresh kernel is started with the helpers loaded again. */
static int restart(sandbox *sb, bool we_killed, lc_stop_reason why, lc_exec_result *res, lc_err *err)
{
    int wstatus = 0;
    if (we_killed)
        remove_container(sb);
    reap(sb, &wstatus);
    lc_sandbox_end end = {LC_END_EXITED, 0, 0};
    if (!we_killed)
        end = how_it_ended(sb, wstatus);
    remove_container(sb);
    clear_name(sb);
    lc_exec_result dead = {0};
    lc_sandbox_describe_death(&sb->cfg, end, we_killed, why, res != NULL, res ? res : &dead);
    lc_err serr = {0};
    int rc = launch(sb, &serr);
    char *notice = res ? res->notice : dead.notice;
    if (rc != LC_OK) {
        char *n = lc_xasprintf("%s Restarting the sandbox failed: %s", notice, serr.msg);
        free(notice);
        notice = n;
        lc_err_set(err, rc, "%s", n);
    }
    if (res) {
        res->notice = notice;
    } else {
        char *all = sb->lost ? lc_xasprintf("%s %s", sb->lost, notice) : lc_xstrdup(notice);
        free(sb->lost);
        sb->lost = all;
        free(notice);
        dead.notice = NULL;
        lc_exec_result_free(&dead);
    }
    return rc;
}

/* A restart outside a step goes with the next result, once. */
static void take_lost(sandbox *sb, lc_exec_result *res)
{
    if (!sb->lost)
        return;
    res->state_lost = true;
    if (res->notice) {
        char *n = lc_xasprintf("%s %s", sb->lost, res->notice);
        free(res->notice);
        res->notice = n;
        free(sb->lost);
    } else {
        res->notice = sb->lost;
    }
    sb->lost = NULL;
}

/* ---- steps -------------------------------------------------------------- */

/* Waits for the "done" of a control request (check, define). */
static int wait_done(sandbox *sb, int id, int timeout_ms, cJSON **done, lc_err *err)
{
    int64_t deadline = lc_now_ms() + timeout_ms;
    for (;;) {
        cJSON *ev = NULL;
        int rc = next_event(sb, deadline, &ev, err);
        if (rc == LC_ETIMEOUT && lc_now_ms() < deadline)
            continue;
        if (rc == LC_ETIMEOUT)
            return lc_err_set(err, LC_ETIMEOUT, "the kernel did not answer within %d s", timeout_ms / 1000);
        if (rc != LC_OK)
            return rc;
        const char *kind = lc_json_str(ev, "ev");
        int64_t ev_id = 0;
        if (kind && strcmp(kind, "done") == 0 && lc_sandbox_json_int(ev, "id", 1, INT_MAX, &ev_id) &&
            ev_id == id) {
            *done = ev;
            return LC_OK;
        }
        cJSON_Delete(ev);
    }
}

/* Sends one request (check, define, exec) and, for check and define, waits
 * for its done. A kernel found dead, or that dies or hangs on the way, goes
 * through restart() and is asked once more: nothing of the request ran. */
static int request(sandbox *sb, cJSON *msg, bool wait, cJSON **done, lc_err *err)
{
    *done = NULL;
    int rc = sb_start(&sb->ex, err);
    for (int attempt = 0; rc == LC_OK; attempt++) {
        int id = ++sb->next_id;
        cJSON_DeleteItemFromObjectCaseSensitive(msg, "id");
        cJSON_AddNumberToObject(msg, "id", id);
        lc_err rerr = {0};
        rc = send_json(sb, cJSON_Duplicate(msg, true), &rerr);
        if (rc == LC_OK && wait)
            rc = wait_done(sb, id, CONTROL_TIMEOUT_MS, done, &rerr);
        if (rc == LC_OK || attempt > 0) {
            if (rc != LC_OK)
                lc_err_set(err, rc, "%s", rerr.msg);
            break;
        }
        rc = restart(sb, rc == LC_ETIMEOUT || rc == LC_EPROTO, LC_WHY_NONE, NULL, err);
    }
    cJSON_Delete(msg);
    return rc;
}

static cJSON *op_msg(const char *op, const char *code)
{
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "op", op);
    cJSON_AddStringToObject(msg, "code", code);
    return msg;
}

static int sb_check(lc_executor *ex, const char *code, lc_exec_result *res, lc_err *err)
{
    sandbox *sb = sb_of(ex);
    cJSON *done = NULL;
    int rc = request(sb, op_msg("check", code), true, &done, err);
    if (rc == LC_OK) {
        res->status = lc_json_bool(done, "ok", false) ? LC_STEP_OK : LC_STEP_SYNTAX;
        lc_sandbox_fill_error(res, done);
        if (res->status == LC_STEP_SYNTAX)
            take_lost(sb, res); /* nothing runs: this is the result the model reads */
    }
    cJSON_Delete(done);
    return rc;
}

static cJSON *names_json(const lc_strv *v)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; v && i < v->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v->v[i]));
    return a;
}

static int sb_analyze(lc_executor *ex, const char *code, const lc_strv *vouched, const lc_strv *dirty,
                      cJSON **analysis, lc_err *err)
{
    sandbox *sb = sb_of(ex);
    cJSON *msg = op_msg("analyze", code);
    cJSON_AddItemToObject(msg, "vouched", names_json(vouched));
    cJSON_AddItemToObject(msg, "dirty", names_json(dirty));
    cJSON *done = NULL;
    int rc = request(sb, msg, true, &done, err);
    if (rc == LC_OK) {
        *analysis = cJSON_DetachItemFromObjectCaseSensitive(done, "analysis");
        if (!cJSON_IsObject(*analysis)) {
            cJSON_Delete(*analysis);
            *analysis = NULL;
            rc = lc_err_set(err, LC_EPROTO, "the kernel's static check sent no analysis");
        }
    }
    cJSON_Delete(done);
    return rc;
}

static int sb_define(lc_executor *ex, const char *code, lc_err *err)
{
    sandbox *sb = sb_of(ex);
    cJSON *done = NULL;
    int rc = request(sb, op_msg("define", code), true, &done, err);
    if (rc == LC_OK && !lc_json_bool(done, "ok", false)) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(done, "error");
        rc = lc_err_set(err, LC_EINVAL, "helper code failed to load: %s: %s",
                        e ? lc_json_str(e, "type") : "?", e ? lc_json_str(e, "message") : "?");
    }
    if (rc == LC_OK)
        lc_strv_push(&sb->defines, code);
    cJSON_Delete(done);
    return rc;
}

static void send_signal(sandbox *sb, const char *sig)
{
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err ignored = {0};
    const char *args[] = {"kill", "--signal", sig, sb->name, NULL};
    lc_engine_run(sb->engine, args, CONTROL_TIMEOUT_MS, &res, &ignored);
    lc_proc_result_free(&res);
}

static void sb_interrupt(lc_executor *ex)
{
    atomic_store(&sb_of(ex)->interrupt_requested, true);
}

static void append_output(lc_exec_result *res, lc_buf *out, uint64_t cap, lc_stream s, const char *d,
                          size_t n, const lc_exec_hooks *hooks)
{
    (void)res;
    if (hooks && hooks->output)
        hooks->output(hooks->ctx, s, d, n);
    if (out->len + n <= cap) /* the kernel caps already; this guards a hostile one */
        lc_buf_append(out, d, n);
}

static void answer_tool(sandbox *sb, const cJSON *ev, const lc_exec_hooks *hooks, lc_err *err)
{
    int64_t id = 0, call = 0;
    if (!lc_sandbox_json_int(ev, "id", 1, INT_MAX, &id) || !lc_sandbox_json_int(ev, "call", 1, INT_MAX, &call))
        return; /* no answer can reach a call without a valid number: nothing is run for it */
    const char *name = lc_json_str(ev, "name");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(ev, "args");
    cJSON *value = NULL;
    lc_err terr = {0};
    int rc = LC_ENOTFOUND;
    if (!name)
        lc_err_set(&terr, LC_EPROTO, "a tool call without a name");
    else if (!hooks || !hooks->tool_call)
        lc_err_set(&terr, LC_ENOTFOUND, "no host tools are available in this session");
    else
        rc = hooks->tool_call(hooks->ctx, name, args, &value, &terr);
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "op", "tool_result");
    cJSON_AddNumberToObject(msg, "id", (double)id);
    cJSON_AddNumberToObject(msg, "call", (double)call);
    cJSON_AddBoolToObject(msg, "ok", rc == LC_OK);
    if (rc == LC_OK)
        cJSON_AddItemToObject(msg, "value", value ? value : cJSON_CreateNull());
    else {
        cJSON_Delete(value);
        cJSON_AddStringToObject(msg, "value", terr.msg[0] ? terr.msg : "the tool failed");
    }
    send_json(sb, msg, err);
}

static int sb_exec(lc_executor *ex, const char *code, int timeout_s, const lc_exec_hooks *hooks,
                   lc_exec_result *res, lc_err *err)
{
    sandbox *sb = sb_of(ex);
    if (timeout_s <= 0)
        timeout_s = sb->cfg.timeout_s;
    atomic_store(&sb->interrupt_requested, false);
    cJSON *msg = op_msg("exec", code), *none = NULL;
    cJSON_AddNumberToObject(msg, "timeout_s", timeout_s);
    int rc = request(sb, msg, false, &none, err);
    if (rc != LC_OK)
        return rc;
    int id = sb->next_id;
    int64_t t0 = lc_now_ms(); /* after a restart, if there was one: the step's own time */
    sb->oom_base = host_oom_kills();

    lc_buf out = LC_BUF_INIT;
    uint64_t cap = (uint64_t)sb->cfg.output_cap_bytes * 2 + 4096;
    int64_t deadline = t0 + (int64_t)timeout_s * 1000, grace_end = 0, next_poll = t0 + SHADOW_POLL_MS;
    lc_stop_reason why = LC_WHY_NONE;
    cJSON *done = NULL;
    bool died = false, hung = false;
    int64_t tool_ms = 0; /* time in host tools, counted against the step */
    int64_t next_skip_note = 0;
    char half_cap[32];
    lc_format_size(sb->cfg.output_cap_bytes / 2, half_cap, sizeof half_cap);
    lc_transport_in tin; /* the copy transport: this step's changes, into the shadow */
    int64_t changes_from = 0; /* when the first of them came */
    lc_transport_in_init(&tin, sb->shadow, sb->cfg.shadow_cap_bytes > 0 ? (uint64_t)sb->cfg.shadow_cap_bytes : 0);
    char change_err[sizeof(((lc_err *)0)->msg)] = "";
    while (!done && !died) {
        int64_t now = lc_now_ms();
        if (why == LC_WHY_NONE) {
            if (atomic_exchange(&sb->interrupt_requested, false))
                why = LC_WHY_USER;
            else if (now >= deadline)
                why = LC_WHY_TIMEOUT;
            else if (now >= next_poll && sb->cfg.shadow_cap_bytes > 0 && !sb->ws_copy) {
                next_poll = now + SHADOW_POLL_MS;
                uint64_t used = lc_shadow_usage(sb->shadow);
                if (used > sb->shadow_base + (uint64_t)sb->cfg.shadow_cap_bytes)
                    why = LC_WHY_SHADOW;
            }
            if (why != LC_WHY_NONE) {
                send_signal(sb, "INT");
                grace_end = lc_now_ms() + (int64_t)sb->cfg.grace_s * 1000;
            }
        } else if (now >= grace_end) {
            break; /* it ignored the interrupt: kill below */
        }
        cJSON *ev = NULL;
        lc_err rerr = {0};
        int r = next_event(sb, why == LC_WHY_NONE ? deadline : grace_end, &ev, &rerr);
        if (r == LC_ETIMEOUT)
            continue;
        if (r != LC_OK) {
            died = true;
            hung = r == LC_EPROTO; /* alive but unusable: ours to remove */
            break;
        }
        const char *kind = lc_json_str(ev, "ev");
        int64_t ev_id = 0;
        if (!kind || !lc_sandbox_json_int(ev, "id", 1, INT_MAX, &ev_id) || ev_id != id) {
            cJSON_Delete(ev); /* output of an earlier step's stragglers: not this step's */
            continue;
        }
        bool change = strcmp(kind, "change") == 0 && sb->ws_copy && !sb->cfg.workspace_ro; /* into the shadow */
        if (strcmp(kind, "out") == 0) {
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev, "data");
            const char *stream = lc_json_str(ev, "stream");
            if (cJSON_IsString(d))
                append_output(res, &out, cap,
                              stream && strcmp(stream, "stderr") == 0 ? LC_STREAM_STDERR : LC_STREAM_STDOUT,
                              d->valuestring, strlen(d->valuestring), hooks);
        } else if (strcmp(kind, "skipped") == 0) {
            int64_t bytes = 0;
            if (lc_sandbox_json_int(ev, "bytes", 0, LC_SANDBOX_MAX_BYTES, &bytes) && hooks && hooks->output &&
                lc_now_ms() >= next_skip_note) {
                /* Live only: the observation gets the kernel's own summary at the end. */
                char size[32], note[160];
                lc_format_size(bytes, size, sizeof size);
                int len = snprintf(note, sizeof note,
                                   "\n[... output past the first %s is being skipped: %s so far; the last "
                                   "part is shown when the step ends ...]\n",
                                   half_cap, size);
                if (len > 0)
                    hooks->output(hooks->ctx, LC_STREAM_STDERR, note,
                                  (size_t)len < sizeof note ? (size_t)len : sizeof note - 1);
                next_skip_note = lc_now_ms() + SKIP_NOTE_MS;
            }
        } else if (strcmp(kind, "tool_call") == 0) {
            /* Host tools count against the step's limit, except waiting
             * for the user's answer (ask_user): a person is not a loop. */
            int64_t paused = lc_now_ms();
            const char *tool = lc_json_str(ev, "name");
            bool user = tool && hooks && hooks->tool_waits_for_user &&
                        hooks->tool_waits_for_user(hooks->ctx, tool);
            lc_err terr = {0};
            answer_tool(sb, ev, hooks, &terr);
            if (user)
                deadline += lc_now_ms() - paused;
            else
                tool_ms += lc_now_ms() - paused;
        } else if (strcmp(kind, "over") == 0 && sb->ws_copy && why == LC_WHY_NONE) {
            why = LC_WHY_SHADOW; /* the kernel measured the workspace the host cannot see */
            send_signal(sb, "INT");
            grace_end = lc_now_ms() + (int64_t)sb->cfg.grace_s * 1000;
        } else if (strcmp(kind, "ended") == 0 || change) {
            /* "ended": the step is over (what it left running stopped, its output sent), and the
             * kernel looks for its changes; it sends them (copy transport) only after that.
             * Neither is the step's time: a step that ended in time must not be killed (its state
             * and changes lost) meanwhile, or while its changes come back over a slow link.
             * Silence still ends it. */
            int64_t at = lc_now_ms();
            if (!changes_from)
                changes_from = at;
            int64_t more = lc_sandbox_change_deadline(at, changes_from, tin.over_cap);
            if (why == LC_WHY_NONE && deadline < more)
                deadline = more;
            else if (why != LC_WHY_NONE && grace_end < more)
                grace_end = more;
        }
        if (change) {
            lc_err cerr = {0};
            if (lc_transport_take(&tin, ev, &cerr) != LC_OK && !change_err[0])
                snprintf(change_err, sizeof change_err, "%s", cerr.msg);
        } else if (strcmp(kind, "done") == 0) {
            done = ev;
            ev = NULL;
        }
        cJSON_Delete(ev);
    }
    char *unread_note = lc_transport_in_note(&tin);
    lc_transport_in_end(&tin);

    if (done) {
        lc_sandbox_fill_done(res, done, why);
        lc_sandbox_clamp_line(res, code);
        cJSON_Delete(done);
        char *counts = res->notice; /* what the supervisor counted comes after why it stopped */
        res->notice = NULL;
        if (why == LC_WHY_SHADOW && tin.over_cap)
            res->notice = lc_xstrdup("the step was stopped: the shadow copy grew past its limit; the changed "
                                     "files past it were not brought back from the sandbox");
        else if (why == LC_WHY_SHADOW)
            res->notice = lc_xstrdup("the step was stopped: the shadow copy grew past its limit");
        else if (tin.over_cap)
            res->notice = lc_xstrdup("the step's changed files were larger than the shadow copy's limit; "
                                     "those past it were not brought back from the sandbox");
        else if (change_err[0])
            res->notice = lc_xasprintf("a change from the sandbox was refused: %s", change_err);
        else if (why == LC_WHY_TIMEOUT && tool_ms >= 1000)
            res->notice = lc_xasprintf("the step ran past its %d s limit (%lld s of it in host tools such "
                                       "as llm_query) and was interrupted; Python state is kept",
                                       timeout_s, (long long)(tool_ms / 1000));
        else if (why == LC_WHY_TIMEOUT)
            res->notice = lc_xasprintf("the step ran past its %d s limit and was interrupted; Python "
                                       "state is kept", timeout_s);
        if (unread_note) { /* never hidden behind another notice: the review is not the sandbox there */
            char *both = res->notice ? lc_xasprintf("%s. %s", res->notice, unread_note) : unread_note;
            if (res->notice) {
                free(res->notice);
                free(unread_note);
            }
            res->notice = both;
            unread_note = NULL;
        }
        if (counts && res->notice) {
            char *both = lc_xasprintf("%s. %s", res->notice, counts);
            free(res->notice);
            free(counts);
            res->notice = both;
        } else if (counts) {
            res->notice = counts;
        }
    } else {
        lc_err ignored = {0};
        restart(sb, !died || hung, why, res, &ignored);
        if (sb->ws_copy && !sb->cfg.workspace_ro && res->notice) {
            char *n = tin.files || tin.removed
                          ? lc_xasprintf("%s Only part of the files the step changed in the sandbox were brought "
                                         "back before it ended (the workspace is copied to this engine): the "
                                         "shadow copy holds part of the step's changes.", res->notice)
                          : lc_xasprintf("%s Files the step changed in the sandbox were not brought back (the "
                                         "workspace is copied to this engine): the shadow copy is as before "
                                         "the step.", res->notice);
            free(res->notice);
            res->notice = n;
        }
    }
    free(unread_note);
    take_lost(sb, res);
    res->output = lc_buf_detach(&out);
    res->duration_s = (double)(lc_now_ms() - t0) / 1000.0;
    return LC_OK;
}

static char *sb_describe(lc_executor *ex)
{
    sandbox *sb = sb_of(ex);
    char mem[32];
    lc_format_size(sb->cfg.memory_bytes, mem, sizeof mem);
    return lc_xasprintf("%s %s %gcpu pids %d %ds net:%s%s%s", lc_engine_name(sb->engine), mem, sb->cfg.cpus,
                        sb->cfg.pids, sb->cfg.timeout_s, sb->cfg.network ? "ON" : "none",
                        sb->cfg.workspace_ro ? " ro" : "", sb->ws_copy ? " ws:copy" : "");
}

static void sb_destroy(lc_executor *ex)
{
    sandbox *sb = sb_of(ex);
    sb_stop(ex);
    lc_container_config_free(&sb->cfg);
    free(sb->shadow);
    free(sb->memo_path);
    free(sb->session_id);
    lc_buf_free(&sb->rbuf);
    lc_buf_free(&sb->errtext);
    lc_strv_free(&sb->defines);
    free(sb->lost);
    free(sb->git_objects);
    pthread_mutex_destroy(&sb->name_lock);
    free(sb);
}

static const lc_executor_ops sandbox_ops = {
    .name = "sandbox",
    .start = sb_start,
    .check = sb_check,
    .analyze = sb_analyze,
    .exec = sb_exec,
    .define = sb_define,
    .interrupt = sb_interrupt,
    .stop = sb_stop,
    .describe = sb_describe,
    .destroy = sb_destroy,
};

int lc_sandbox_new(const lc_sandbox_opts *opts, lc_executor **out, lc_err *err)
{
    if (!opts->container || !opts->shadow_dir || !opts->session_id || !opts->engine)
        return lc_err_set(err, LC_EINVAL, "lc_sandbox_new: container, shadow_dir, session_id and engine are required");
    sandbox *sb = lc_xcalloc(1, sizeof *sb);
    lc_container_config_copy(&sb->cfg, opts->container);
    sb->shadow = lc_xstrdup(opts->shadow_dir);
    sb->session_id = lc_xstrdup(opts->session_id);
    sb->memo_path = opts->memo_path ? lc_xstrdup(opts->memo_path) : NULL;
    sb->engine = opts->engine;
    atomic_init(&sb->interrupt_requested, false);
    pthread_mutex_init(&sb->name_lock, NULL);
    sb->ex.ops = &sandbox_ops;
    sb->ex.impl = sb;
    *out = &sb->ex;
    return LC_OK;
}

void lc_sandbox_kill(lc_executor *ex)
{
    sandbox *sb = sb_of(ex);
    char name[sizeof sb->name];
    pthread_mutex_lock(&sb->name_lock);
    memcpy(name, sb->name, sizeof name);
    pthread_mutex_unlock(&sb->name_lock);
    if (!name[0])
        return;
    const char *rm[] = {"rm", "-f", "-v", name, NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err ignored = {0};
    lc_engine_run(sb->engine, rm, CONTROL_TIMEOUT_MS, &res, &ignored);
    lc_proc_result_free(&res);
    if (sb->ws_copy) {
        char volume[sizeof sb->name + 8];
        snprintf(volume, sizeof volume, "%s-ws", name);
        lc_transport_volume_rm(sb->engine, volume);
    }
}

void lc_sandbox_lend_git(lc_executor *ex, const char *objects)
{
    sandbox *sb = sb_of(ex);
    free(sb->git_objects);
    sb->git_objects = objects ? lc_xstrdup(objects) : NULL;
}

const char *lc_sandbox_container(lc_executor *ex)
{
    sandbox *sb = sb_of(ex);
    return sb->proc ? sb->name : NULL;
}

double lc_sandbox_start_ms(lc_executor *ex) { return sb_of(ex)->start_ms; }

const char *lc_sandbox_transport(lc_executor *ex, const char **why)
{
    sandbox *sb = sb_of(ex);
    if (why)
        *why = sb->ws_copy ? sb->ws_why : NULL;
    return sb->ws_copy ? "copy" : "mount";
}
