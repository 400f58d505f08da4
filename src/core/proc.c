/* Child processes from argv arrays, never through a shell. Every pipe end we
 * hold is O_CLOEXEC so children spawned from other threads do not inherit
 * it; children start with default signal dispositions and an empty mask
 * (main() ignores SIGPIPE, which they must not inherit). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"

extern char **environ;

struct lc_proc {
    pid_t pid;
    int in, out, err;
    int pidfd; /* -1 where pidfd_open is unavailable */
    bool pgroup;
    bool reaped;
    int status;
};

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd >= 0) {
        /* Older kernels do not set close-on-exec on pidfds. */
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        return fd;
    }
#else
    (void)pid;
#endif
    return -1;
}

/* If we were started with fd 0, 1 or 2 closed, a pipe end can land there;
 * a dup2 onto itself then keeps close-on-exec on C libraries older than
 * glibc 2.29 and the child loses that stream. Move such ends up. */
static int lift_pipe(int p[2])
{
    for (int i = 0; i < 2; i++) {
        if (p[i] >= 0 && p[i] < 3) {
            int fd = fcntl(p[i], F_DUPFD_CLOEXEC, 3);
            if (fd < 0)
                return -1;
            close(p[i]);
            p[i] = fd;
        }
    }
    return 0;
}

/* Finds prog in PATH like execvp, but says plainly when it is not there: an
 * unreadable PATH entry (say /root/bin for another user) makes execvp
 * report EACCES instead. Empty entries (the current directory) are
 * skipped: a planted ./docker must not run. NULL when not found. */
static char *find_in_path(const char *prog)
{
    if (strchr(prog, '/'))
        return lc_xstrdup(prog);
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        if (n > 0) {
            char *cand = lc_xasprintf("%.*s/%s", (int)n, path, prog);
            struct stat st;
            if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
                return cand;
            free(cand);
        }
        path += n;
        if (*path == ':')
            path++;
    }
    return NULL;
}

int lc_proc_spawn(const lc_proc_opts *opts, lc_proc **out, lc_err *err)
{
    *out = NULL;
    if (!opts || !opts->argv || !opts->argv[0] || !opts->argv[0][0])
        return lc_err_set(err, LC_EINVAL, "no program to run");
    const char *prog = opts->argv[0];
    char *exe = find_in_path(prog);
    if (!exe)
        return lc_err_set(err, LC_ENOTFOUND,
                          "program '%s' was not found in PATH: install it or check PATH", prog);
    int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
    if ((opts->pipe_stdin && pipe2(pin, O_CLOEXEC) != 0) ||
        (opts->pipe_stdout && pipe2(pout, O_CLOEXEC) != 0) ||
        (opts->pipe_stderr && !opts->stderr_to_stdout && pipe2(perr, O_CLOEXEC) != 0) ||
        lift_pipe(pin) != 0 || lift_pipe(pout) != 0 || lift_pipe(perr) != 0) {
        int e = errno;
        close_fd(&pin[0]), close_fd(&pin[1]), close_fd(&pout[0]), close_fd(&pout[1]);
        close_fd(&perr[0]), close_fd(&perr[1]);
        free(exe);
        return lc_err_errno(err, LC_EIO, e, "starting %s: creating pipes", prog);
    }

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    if (opts->pipe_stdin)
        posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
    else
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (opts->pipe_stdout)
        posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
    else
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (opts->stderr_to_stdout)
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
    else if (opts->pipe_stderr)
        posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
    else
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);

    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    if (opts->new_process_group) {
        flags |= POSIX_SPAWN_SETPGROUP;
        posix_spawnattr_setpgroup(&attr, 0);
    }
    posix_spawnattr_setflags(&attr, flags);

    pid_t pid;
    char *const *envp = opts->envp ? (char *const *)opts->envp : environ;
    int rc = posix_spawn(&pid, exe, &fa, &attr, (char *const *)opts->argv, envp);
    free(exe);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close_fd(&pin[0]), close_fd(&pout[1]), close_fd(&perr[1]);
    if (rc != 0) {
        close_fd(&pin[1]), close_fd(&pout[0]), close_fd(&perr[0]);
        if ((rc == ENOENT || rc == ENOTDIR) && strchr(prog, '/'))
            return lc_err_set(err, LC_ENOTFOUND, "program '%s' was not found", prog);
        if (rc == ENOENT) /* found, so its interpreter or loader is missing */
            return lc_err_errno(err, LC_ENOTFOUND, rc, "starting %s (a missing interpreter?)",
                                prog);
        if (rc == EACCES)
            return lc_err_errno(err, LC_ENOTFOUND, rc, "program '%s' cannot be run", prog);
        return lc_err_errno(err, LC_EIO, rc, "starting %s", prog);
    }
    lc_proc *p = lc_xcalloc(1, sizeof *p);
    p->pid = pid;
    p->in = pin[1];
    p->out = pout[0];
    p->err = perr[0];
    p->pgroup = opts->new_process_group;
    p->pidfd = open_pidfd(pid);
    *out = p;
    return LC_OK;
}

pid_t lc_proc_pid(const lc_proc *p) { return p->pid; }
int lc_proc_stdin(const lc_proc *p) { return p->in; }
int lc_proc_stdout(const lc_proc *p) { return p->out; }
int lc_proc_stderr(const lc_proc *p) { return p->err; }
void lc_proc_close_stdin(lc_proc *p) { close_fd(&p->in); }

int lc_proc_signal(lc_proc *p, int sig)
{
    /* Once reaped the pid (and, with the group empty, the group id) may
     * belong to someone else. */
    if (p->reaped)
        return LC_ESTATE;
    int r = p->pgroup ? kill(-p->pid, sig) : kill(p->pid, sig);
    if (r != 0)
        return errno == ESRCH ? LC_ESTATE : LC_EIO;
    return LC_OK;
}

static bool try_reap(lc_proc *p, int flags)
{
    if (p->reaped)
        return true;
    for (;;) {
        int st;
        pid_t r = waitpid(p->pid, &st, flags);
        if (r == p->pid) {
            p->reaped = true;
            p->status = st;
            close_fd(&p->pidfd);
            return true;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == ECHILD) {
            /* Someone else reaped it (SIGCHLD ignored?): treat as gone. */
            p->reaped = true;
            p->status = 0;
            close_fd(&p->pidfd);
            return true;
        }
        return false;
    }
}

int lc_proc_wait(lc_proc *p, int timeout_ms, int *wstatus)
{
    int64_t deadline = timeout_ms < 0 ? -1 : lc_now_ms() + timeout_ms;
    int nap = 1;
    while (!try_reap(p, timeout_ms < 0 && p->pidfd < 0 ? 0 : WNOHANG)) {
        int64_t left = deadline < 0 ? -1 : deadline - lc_now_ms();
        if (deadline >= 0 && left <= 0)
            return LC_ETIMEOUT;
        if (p->pidfd >= 0) {
            struct pollfd pfd = {p->pidfd, POLLIN, 0};
            (void)poll(&pfd, 1, left < 0 ? -1 : (int)left);
        } else {
            lc_sleep_ms(left < 0 || left > nap ? nap : (int)left);
            nap = nap < 50 ? nap * 2 : 50;
        }
    }
    if (wstatus)
        *wstatus = p->status;
    return LC_OK;
}

void lc_proc_free(lc_proc *p)
{
    if (!p)
        return;
    close_fd(&p->in);
    close_fd(&p->out);
    close_fd(&p->err);
    if (!try_reap(p, WNOHANG)) {
        if (p->pgroup)
            kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL);
        try_reap(p, 0);
    }
    close_fd(&p->pidfd);
    free(p);
}

/* ---- run to completion ---- */

/* Waits until the child has exited but leaves it unreaped (a zombie), so
 * its pid cannot be reused yet. False when the deadline passes first. */
static bool wait_exit_noreap(lc_proc *p, int64_t deadline)
{
    int nap = 1;
    for (;;) {
        if (p->reaped)
            return true;
        siginfo_t si;
        memset(&si, 0, sizeof si);
        int flags = WEXITED | WNOWAIT | (deadline < 0 && p->pidfd < 0 ? 0 : WNOHANG);
        if (waitid(P_PID, (id_t)p->pid, &si, flags) == 0) {
            if (si.si_pid == p->pid)
                return true;
        } else if (errno == ECHILD) {
            return true;
        } else if (errno != EINTR) {
            return true; /* cannot tell; the caller's blocking wait decides */
        }
        int64_t left = deadline < 0 ? -1 : deadline - lc_now_ms();
        if (deadline >= 0 && left <= 0)
            return false;
        if (p->pidfd >= 0) {
            struct pollfd pfd = {p->pidfd, POLLIN, 0};
            (void)poll(&pfd, 1, left < 0 || left > 1000000 ? -1 : (int)left);
        } else {
            lc_sleep_ms(left < 0 || left > nap ? nap : (int)left);
            nap = nap < 50 ? nap * 2 : 50;
        }
    }
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

enum { DRAIN_EOF, DRAIN_EMPTY, DRAIN_MORE };

/* Reads what is there, a bounded amount so that a fast writer cannot
 * starve the other streams or the timeout: DRAIN_MORE when it stopped for
 * that reason, DRAIN_EMPTY when the pipe is empty for now, DRAIN_EOF at end
 * of file or on an error. */
static int drain(int fd, lc_buf *b, size_t max, bool *truncated)
{
    char chunk[65536];
    for (int round = 0; round < 16; round++) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return DRAIN_EMPTY;
        if (n <= 0)
            return DRAIN_EOF;
        size_t room = b->len < max ? max - b->len : 0;
        size_t keep = (size_t)n < room ? (size_t)n : room;
        if (keep)
            lc_buf_append(b, chunk, keep);
        if (keep < (size_t)n)
            *truncated = true; /* keep reading so the child never blocks on us */
    }
    return DRAIN_MORE;
}

int lc_proc_run(const char *const *argv, const char *stdin_data, size_t stdin_len, int timeout_ms,
                size_t max_output, lc_proc_result *res, lc_err *err)
{
    return lc_proc_run_env(argv, NULL, stdin_data, stdin_len, timeout_ms, max_output, res, err);
}

int lc_proc_run_env(const char *const *argv, const char *const *envp, const char *stdin_data,
                    size_t stdin_len, int timeout_ms, size_t max_output, lc_proc_result *res, lc_err *err)
{
    *res = (lc_proc_result)LC_PROC_RESULT_INIT;
    res->timeout_ms = timeout_ms;
    lc_buf_append(&res->out, "", 0);
    lc_buf_append(&res->err, "", 0);
    lc_proc_opts o = LC_PROC_OPTS_INIT;
    o.argv = argv;
    o.envp = envp;
    o.pipe_stdin = stdin_data != NULL;
    o.pipe_stdout = true;
    o.pipe_stderr = true;
    o.new_process_group = true;
    lc_proc *p;
    int rc = lc_proc_spawn(&o, &p, err);
    if (rc != LC_OK)
        return rc;
    if (p->in >= 0) {
        set_nonblock(p->in);
        if (stdin_len == 0)
            close_fd(&p->in);
    }
    set_nonblock(p->out);
    set_nonblock(p->err);

    int64_t deadline = timeout_ms < 0 ? -1 : lc_now_ms() + timeout_ms;
    size_t written = 0;
    bool exited = false;
    int final_passes = 0;
    while (p->out >= 0 || p->err >= 0 || p->in >= 0) {
        struct pollfd fds[4];
        int nf = 0, iin = -1, iout = -1, ierr = -1, ipid = -1;
        if (p->in >= 0)
            iin = nf, fds[nf++] = (struct pollfd){p->in, POLLOUT, 0};
        if (p->out >= 0)
            iout = nf, fds[nf++] = (struct pollfd){p->out, POLLIN, 0};
        if (p->err >= 0)
            ierr = nf, fds[nf++] = (struct pollfd){p->err, POLLIN, 0};
        /* A grandchild that keeps our pipes open must not keep us waiting
         * after the child itself is gone. */
        if (p->pidfd >= 0 && !exited)
            ipid = nf, fds[nf++] = (struct pollfd){p->pidfd, POLLIN, 0};
        int wait_ms = -1;
        if (deadline >= 0) {
            int64_t left = deadline - lc_now_ms();
            if (left <= 0) {
                res->timed_out = true;
                break;
            }
            wait_ms = left > 1000000 ? 1000000 : (int)left;
        }
        if (!exited && p->pidfd < 0) {
            /* No pidfd (old kernel, seccomp): look every 50 ms instead. */
            siginfo_t si;
            memset(&si, 0, sizeof si);
            if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOWAIT | WNOHANG) == 0 &&
                si.si_pid == p->pid)
                exited = true;
            else if (wait_ms < 0 || wait_ms > 50)
                wait_ms = 50;
        }
        bool final_pass = exited;
        if (final_pass)
            wait_ms = 0;
        int n = poll(fds, (nfds_t)nf, wait_ms);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = lc_err_errno(err, LC_EIO, errno, "running %s: waiting for output", argv[0]);
            break;
        }
        if (n == 0 && final_pass)
            break; /* child gone and nothing more to read right now */
        bool more = false;
        if (iout >= 0 && fds[iout].revents) {
            int d = drain(p->out, &res->out, max_output, &res->truncated);
            if (d == DRAIN_EOF)
                close_fd(&p->out);
            more |= d == DRAIN_MORE;
        }
        if (ierr >= 0 && fds[ierr].revents) {
            int d = drain(p->err, &res->err, max_output, &res->truncated);
            if (d == DRAIN_EOF)
                close_fd(&p->err);
            more |= d == DRAIN_MORE;
        }
        if (iin >= 0 && fds[iin].revents) {
            if (fds[iin].revents & (POLLERR | POLLHUP)) {
                close_fd(&p->in); /* child closed its stdin */
            } else {
                size_t left = stdin_len - written;
                ssize_t w = write(p->in, stdin_data + written, left > 65536 ? 65536 : left);
                if (w > 0)
                    written += (size_t)w;
                else if (w < 0 && errno != EAGAIN && errno != EINTR)
                    close_fd(&p->in); /* EPIPE: the child stopped reading */
                if (written == stdin_len)
                    close_fd(&p->in);
            }
        }
        if (ipid >= 0 && fds[ipid].revents)
            exited = true;
        /* What the child wrote before exiting has been read (a pipe holds
         * a bounded amount; a grandchild still writing is not waited for). */
        if (final_pass && (!more || ++final_passes > 64))
            break;
    }
    if (!res->timed_out && rc == LC_OK && !wait_exit_noreap(p, deadline))
        res->timed_out = true;
    if (res->timed_out || rc != LC_OK)
        kill(p->pid, SIGKILL);
    /* Whatever it left behind in its group goes too; the unreaped leader
     * keeps the group id from being reused until we reap it below. */
    kill(-p->pid, SIGKILL);
    int st = 0;
    lc_proc_wait(p, -1, &st);
    if (WIFEXITED(st)) {
        res->exit_code = WEXITSTATUS(st);
    } else if (WIFSIGNALED(st)) {
        res->exit_code = -1;
        res->signal = WTERMSIG(st);
    }
    lc_proc_free(p);
    return rc;
}

void lc_proc_result_free(lc_proc_result *res)
{
    if (!res)
        return;
    lc_buf_free(&res->out);
    lc_buf_free(&res->err);
}

void lc_proc_describe(const lc_proc_result *res, char *out, size_t outsz)
{
    if (res->timed_out) {
        if (res->timeout_ms >= 0 && res->timeout_ms % 1000 == 0)
            snprintf(out, outsz, "timed out after %d s", res->timeout_ms / 1000);
        else if (res->timeout_ms >= 0)
            snprintf(out, outsz, "timed out after %.1f s", res->timeout_ms / 1000.0);
        else
            snprintf(out, outsz, "timed out");
    } else if (res->signal) {
        const char *abbrev = sigabbrev_np(res->signal);
        if (abbrev)
            snprintf(out, outsz, "killed by SIG%s", abbrev);
        else
            snprintf(out, outsz, "killed by signal %d", res->signal);
    } else {
        snprintf(out, outsz, "exit %d", res->exit_code);
    }
}

/* /proc/PID/stat: "pid (comm) state ppid ...", comm may hold spaces and
 * parentheses, so fields are counted from the last ')'. */
static bool read_stat(pid_t pid, char *state, uint64_t *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return false;
    p += 2;
    *state = *p;
    /* p is at field 3; starttime is field 22. */
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return false;
        p++;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 10);
    if (errno || end == p)
        return false;
    *start = v;
    return true;
}

uint64_t lc_pid_start_ticks(pid_t pid)
{
    char state;
    uint64_t start;
    if (pid <= 0 || !read_stat(pid, &state, &start))
        return 0;
    return start;
}

bool lc_pid_alive(pid_t pid, uint64_t start_ticks)
{
    if (pid <= 0)
        return false;
    if (kill(pid, 0) != 0 && errno != EPERM)
        return false;
    char state;
    uint64_t start;
    if (!read_stat(pid, &state, &start))
        return true; /* no /proc: trust kill() */
    if (state == 'Z' || state == 'X')
        return false;
    return start_ticks == 0 || start == start_ticks;
}

/* ---- the user's editor ------------------------------------------------------ */

void lc_editor_argv(const char *editor, const char *path, lc_strv *argv)
{
    const char *ed = editor;
    if (!ed || !*ed)
        ed = getenv("VISUAL");
    if (!ed || !*ed)
        ed = getenv("EDITOR");
    if (!ed || !*ed)
        ed = "vi";
    char *copy = lc_xstrdup(ed);
    for (char *save = NULL, *tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save))
        lc_strv_push(argv, tok);
    free(copy);
    if (argv->n == 0) /* only blanks */
        lc_strv_push(argv, "vi");
    lc_strv_push(argv, path);
}

/* Runs argv on the terminal this process has, and waits. The child gets
 * default dispositions and an empty mask: main() blocks the terminating
 * signals in every thread (a signal thread takes them) and ignores SIGPIPE,
 * and an editor must not inherit either. */
static int run_on_terminal(const lc_strv *argv, lc_err *err)
{
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&dflt, sigs[i]);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dflt);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv->v[0], NULL, &attr, argv->v, environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
        return lc_err_errno(err, LC_ENOTFOUND, rc, "the editor '%s' could not be started; set $VISUAL or $EDITOR",
                            argv->v[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        return lc_err_set(err, LC_ENOTFOUND, "the editor '%s' could not be started (exit 127); set $VISUAL or $EDITOR",
                          argv->v[0]);
    if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
        return lc_err_set(err, LC_ECANCEL, "the editor '%s' exited with status %d", argv->v[0], WEXITSTATUS(st));
    if (WIFSIGNALED(st))
        return lc_err_set(err, LC_ECANCEL, "the editor '%s' was killed by signal %d", argv->v[0], WTERMSIG(st));
    return LC_OK;
}

int lc_edit_text(const char *text, const char *name, size_t max, char **out, lc_err *err)
{
    *out = NULL;
    /* A private directory, not a guessable name in a shared /tmp: nobody
     * else can swap the file under the editor or read the step. */
    const char *tmp = getenv("TMPDIR");
    char *dir = lc_xasprintf("%s/litecode-edit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        int rc = lc_err_errno(err, LC_EIO, errno, "making a private directory for the editor in %s",
                              tmp && *tmp ? tmp : "/tmp");
        free(dir);
        return rc;
    }
    chmod(dir, 0700); /* mkdtemp's mode already, whatever the umask; said once more */
    char *path = lc_path_join(dir, name && *name ? name : "edit.txt");
    int rc = LC_OK;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || lc_fd_write_all(fd, text ? text : "", text ? strlen(text) : 0) != 0)
        rc = lc_err_errno(err, LC_EIO, errno, "writing %s for the editor", path);
    if (fd >= 0 && close(fd) != 0 && rc == LC_OK)
        rc = lc_err_errno(err, LC_EIO, errno, "writing %s for the editor", path);
    if (rc == LC_OK) {
        lc_strv argv = LC_STRV_INIT;
        lc_editor_argv(NULL, path, &argv);
        rc = run_on_terminal(&argv, err);
        lc_strv_free(&argv);
    }
    if (rc == LC_OK) {
        lc_buf b = LC_BUF_INIT;
        rc = lc_file_read(path, max, &b, err);
        if (rc == LC_OK)
            *out = lc_buf_detach(&b);
        lc_buf_free(&b);
    }
    lc_err ignored = {0};
    lc_rm_rf(dir, &ignored); /* the editor's swap and backup files go too */
    free(path);
    free(dir);
    return rc;
}
