/* core: child processes. Spawning with and without pipes, missing programs,
 * waiting with timeouts, process groups, and lc_proc_run with large output
 * on both streams, large stdin, timeouts and capped capture. The tests use
 * /bin/sh as a convenient child; core itself never runs a shell. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"

#define MB5 (5 * 1024 * 1024)

static char *read_all(int fd)
{
    lc_buf b = LC_BUF_INIT;
    char chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        lc_buf_append(&b, chunk, (size_t)n);
    }
    return lc_buf_detach(&b);
}

static lc_proc *spawn_sh(const char *script, bool in, bool out, bool err_, bool merge, bool pg)
{
    const char *argv[] = {"sh", "-c", script, NULL};
    lc_proc_opts o = LC_PROC_OPTS_INIT;
    o.argv = argv;
    o.pipe_stdin = in;
    o.pipe_stdout = out;
    o.pipe_stderr = err_;
    o.stderr_to_stdout = merge;
    o.new_process_group = pg;
    lc_proc *p = NULL;
    lc_err err = {0};
    int rc = lc_proc_spawn(&o, &p, &err);
    if (rc != LC_OK)
        fail_msg("spawn failed: %s", err.msg);
    return p;
}

/* ---- spawn ---- */

static void test_spawn_pipes(void **state)
{
    (void)state;
    lc_proc *p = spawn_sh("read line; echo \"got:$line\"; echo oops >&2; exit 4", true, true, true,
                          false, false);
    assert_true(lc_proc_pid(p) > 0);
    assert_true(lc_proc_stdin(p) >= 0);
    assert_int_equal(lc_fd_write_all(lc_proc_stdin(p), "hello\n", 6), LC_OK);
    lc_proc_close_stdin(p);
    assert_int_equal(lc_proc_stdin(p), -1);
    char *out = read_all(lc_proc_stdout(p));
    char *err = read_all(lc_proc_stderr(p));
    assert_string_equal(out, "got:hello\n");
    assert_string_equal(err, "oops\n");
    int st = 0;
    assert_int_equal(lc_proc_wait(p, 5000, &st), LC_OK);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 4);
    /* Waiting again gives the same status. */
    assert_int_equal(lc_proc_wait(p, 0, &st), LC_OK);
    assert_int_equal(WEXITSTATUS(st), 4);
    free(out), free(err);
    lc_proc_free(p);
}

static void test_spawn_stderr_to_stdout(void **state)
{
    (void)state;
    lc_proc *p = spawn_sh("echo one; echo two >&2; echo three", false, true, false, true, false);
    assert_int_equal(lc_proc_stderr(p), -1);
    char *out = read_all(lc_proc_stdout(p));
    assert_string_equal(out, "one\ntwo\nthree\n");
    free(out);
    lc_proc_free(p);
}

static char *fd_target(pid_t pid, int fd)
{
    char path[64], target[256];
    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0)
        return NULL;
    target[n] = '\0';
    return lc_xstrdup(target);
}

static void test_spawn_unpiped_streams_are_dev_null(void **state)
{
    (void)state;
    lc_proc *p = spawn_sh("exec sleep 30", false, false, true, false, false);
    assert_int_equal(lc_proc_stdin(p), -1);
    assert_int_equal(lc_proc_stdout(p), -1);
    char *t0 = fd_target(lc_proc_pid(p), 0), *t1 = fd_target(lc_proc_pid(p), 1),
         *t2 = fd_target(lc_proc_pid(p), 2), *mine = fd_target(getpid(), lc_proc_stderr(p));
    assert_string_equal(t0, "/dev/null");
    assert_string_equal(t1, "/dev/null");
    assert_string_equal(t2, mine); /* fd 2 is the other end of our pipe */
    assert_true(lc_str_starts_with(t2, "pipe:"));
    free(t0), free(t1), free(t2), free(mine);
    lc_proc_free(p);
}

static void test_spawn_does_not_leak_fds(void **state)
{
    (void)state;
    /* A is alive with pipes open while B starts: B must not inherit them. */
    lc_proc *a = spawn_sh("exec cat", true, true, true, false, false);
    lc_proc *b = spawn_sh("exec sleep 30", true, true, true, false, false);
    int fds[] = {lc_proc_stdin(a), lc_proc_stdout(a), lc_proc_stderr(a),
                 lc_proc_stdin(b), lc_proc_stdout(b), lc_proc_stderr(b)};
    for (int i = 0; i < 6; i++) {
        char *ours = fd_target(getpid(), fds[i]);
        assert_non_null(ours);
        for (int fd = 3; fd < 1024; fd++) {
            char *theirs = fd_target(lc_proc_pid(b), fd);
            if (theirs && strcmp(theirs, ours) == 0)
                fail_msg("our pipe end %d (%s) leaked into a child as fd %d", fds[i], ours, fd);
            free(theirs);
        }
        free(ours);
    }
    lc_proc_free(b);
    lc_proc_free(a);
}

static void test_spawn_with_std_fds_closed(void **state)
{
    (void)state;
    /* Started with stdin and stdout closed, our pipes take fds 0 and 1;
     * the child must still get them on the right streams. */
    int save0 = dup(0), save1 = dup(1);
    assert_true(save0 >= 3 && save1 >= 3);
    close(0);
    close(1);
    lc_proc *p = spawn_sh("read x; echo \"[$x]\"", true, true, false, false, false);
    int wrote = lc_fd_write_all(lc_proc_stdin(p), "ping\n", 5);
    lc_proc_close_stdin(p);
    char *out = read_all(lc_proc_stdout(p));
    int fd_in = lc_proc_stdin(p), fd_out = lc_proc_stdout(p);
    lc_proc_free(p);
    dup2(save0, 0);
    dup2(save1, 1);
    close(save0);
    close(save1);
    assert_int_equal(wrote, LC_OK);
    assert_string_equal(out, "[ping]\n");
    assert_true(fd_out >= 3);
    (void)fd_in;
    free(out);
}

static void test_spawn_resets_signals(void **state)
{
    (void)state;
    /* We ignore SIGPIPE (as main() does) and block SIGUSR1; the child must
     * start with neither, or `yes | head` style pipelines misbehave. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    lc_proc *p = spawn_sh("exec grep -E '^Sig(Ign|Blk)' /proc/self/status", false, true, false, false,
                          false);
    sigprocmask(SIG_SETMASK, &old, NULL);
    char *out = read_all(lc_proc_stdout(p));
    if (!strstr(out, "SigBlk:\t0000000000000000"))
        fail_msg("signals blocked in the child: %s", out);
    /* sh itself may ignore nothing; SIGPIPE is bit 13 (0x1000). */
    char *ign = strstr(out, "SigIgn:\t");
    assert_non_null(ign);
    unsigned long long mask = strtoull(ign + 8, NULL, 16);
    assert_int_equal(mask & (1ULL << (SIGPIPE - 1)), 0);
    free(out);
    lc_proc_free(p);
}

static void test_spawn_env(void **state)
{
    (void)state;
    const char *argv[] = {"env", NULL};
    const char *envp[] = {"ONLY_THIS=1", NULL};
    lc_proc_opts o = LC_PROC_OPTS_INIT;
    o.argv = argv;
    o.envp = envp;
    o.pipe_stdout = true;
    lc_proc *p;
    lc_err err = {0};
    assert_int_equal(lc_proc_spawn(&o, &p, &err), LC_OK);
    char *out = read_all(lc_proc_stdout(p));
    assert_string_equal(out, "ONLY_THIS=1\n");
    free(out);
    lc_proc_free(p);
}

static void test_spawn_missing_program(void **state)
{
    (void)state;
    const char *argv[] = {"lc-no-such-program-xyz", "--version", NULL};
    lc_proc_opts o = LC_PROC_OPTS_INIT;
    o.argv = argv;
    o.pipe_stdout = true;
    lc_proc *p = (lc_proc *)1;
    lc_err err = {0};
    assert_int_equal(lc_proc_spawn(&o, &p, &err), LC_ENOTFOUND);
    assert_null(p);
    assert_non_null(strstr(err.msg, "program 'lc-no-such-program-xyz' was not found in PATH"));

    const char *argv2[] = {"/nonexistent/bin/tool", NULL};
    o.argv = argv2;
    assert_int_equal(lc_proc_spawn(&o, &p, &err), LC_ENOTFOUND);
    assert_non_null(strstr(err.msg, "/nonexistent/bin/tool"));

    /* An empty PATH entry means the current directory to execvp; a program
     * planted there (by a container, in the shadow copy) must not run. */
    char dir[] = "/tmp/lc-core-proc-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *planted = lc_xasprintf("%s/lc-planted-tool", dir);
    assert_int_equal(lc_file_write_atomic(planted, "#!/bin/sh\necho ran\n", 20, 0755, &err), LC_OK);
    char *saved_path = lc_xstrdup(getenv("PATH"));
    char *new_path = lc_xasprintf(":%s", saved_path ? saved_path : "/usr/bin:/bin");
    int back = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_int_equal(chdir(dir), 0);
    setenv("PATH", new_path, 1);
    const char *argv4[] = {"lc-planted-tool", NULL};
    o.argv = argv4;
    int rc = lc_proc_spawn(&o, &p, &err);
    if (saved_path)
        setenv("PATH", saved_path, 1);
    assert_int_equal(fchdir(back), 0);
    close(back);
    unlink(planted);
    rmdir(dir);
    free(planted), free(saved_path), free(new_path);
    assert_int_equal(rc, LC_ENOTFOUND);

    const char *argv3[] = {NULL};
    o.argv = argv3;
    assert_int_equal(lc_proc_spawn(&o, &p, &err), LC_EINVAL);
}

/* ---- wait, signal, free ---- */

static void test_wait_timeout_and_signal(void **state)
{
    (void)state;
    lc_proc *p = spawn_sh("exec sleep 30", false, false, false, false, false);
    int64_t t0 = lc_now_ms();
    int st;
    assert_int_equal(lc_proc_wait(p, 150, &st), LC_ETIMEOUT);
    int64_t waited = lc_now_ms() - t0;
    assert_true(waited >= 140);
    assert_true(waited < 3000);
    assert_int_equal(lc_proc_wait(p, 0, &st), LC_ETIMEOUT);
    assert_int_equal(lc_proc_signal(p, SIGTERM), LC_OK);
    assert_int_equal(lc_proc_wait(p, 5000, &st), LC_OK);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGTERM);
    /* The pid is no longer ours to signal. */
    assert_int_equal(lc_proc_signal(p, SIGTERM), LC_ESTATE);
    lc_proc_free(p);
}

static void test_free_kills_running_child(void **state)
{
    (void)state;
    lc_proc *p = spawn_sh("exec sleep 30", false, false, false, false, false);
    pid_t pid = lc_proc_pid(p);
    uint64_t ticks = lc_pid_start_ticks(pid);
    assert_true(ticks > 0);
    assert_true(lc_pid_alive(pid, ticks));
    int64_t t0 = lc_now_ms();
    lc_proc_free(p);
    assert_true(lc_now_ms() - t0 < 3000);
    assert_false(lc_pid_alive(pid, ticks));
}

static void test_free_kills_process_group(void **state)
{
    (void)state;
    lc_proc *p = spawn_sh("sleep 30 & echo $!; wait", false, true, false, false, true);
    char line[32] = {0};
    ssize_t n = read(lc_proc_stdout(p), line, sizeof line - 1);
    assert_true(n > 0);
    pid_t grandchild = (pid_t)atoi(line);
    assert_true(grandchild > 0);
    uint64_t ticks = lc_pid_start_ticks(grandchild);
    assert_true(lc_pid_alive(grandchild, ticks));
    assert_int_equal(getpgid(grandchild), lc_proc_pid(p)); /* its own group */
    lc_proc_free(p);
    /* The grandchild is not ours to reap; give init a moment. */
    for (int i = 0; i < 100 && lc_pid_alive(grandchild, ticks); i++)
        lc_sleep_ms(20);
    assert_false(lc_pid_alive(grandchild, ticks));
}

static void test_signal_reaches_the_group(void **state)
{
    (void)state;
    lc_proc *p = spawn_sh("sleep 30 & echo $!; wait", false, true, false, false, true);
    char line[32] = {0};
    assert_true(read(lc_proc_stdout(p), line, sizeof line - 1) > 0);
    pid_t grandchild = (pid_t)atoi(line);
    uint64_t ticks = lc_pid_start_ticks(grandchild);
    assert_int_equal(lc_proc_signal(p, SIGTERM), LC_OK);
    int st;
    assert_int_equal(lc_proc_wait(p, 5000, &st), LC_OK);
    assert_true(WIFSIGNALED(st));
    for (int i = 0; i < 100 && lc_pid_alive(grandchild, ticks); i++)
        lc_sleep_ms(20);
    assert_false(lc_pid_alive(grandchild, ticks));
    assert_int_equal(lc_proc_signal(p, SIGTERM), LC_ESTATE);
    lc_proc_free(p);
}

static void test_pid_alive(void **state)
{
    (void)state;
    uint64_t mine = lc_pid_start_ticks(getpid());
    assert_true(mine > 0);
    assert_true(lc_pid_alive(getpid(), 0));
    assert_true(lc_pid_alive(getpid(), mine));
    assert_false(lc_pid_alive(getpid(), mine + 1)); /* pid reused by someone else */
    assert_false(lc_pid_alive(0, 0));
    assert_false(lc_pid_alive(-1, 0));
    assert_int_equal(lc_pid_start_ticks(-5), 0);

    /* An exited but unreaped child (a zombie) counts as dead. */
    lc_proc *p = spawn_sh("exit 0", false, false, false, false, false);
    pid_t pid = lc_proc_pid(p);
    assert_true(lc_pid_start_ticks(pid) >= mine);
    for (int i = 0; i < 200 && lc_pid_alive(pid, 0); i++)
        lc_sleep_ms(10);
    assert_false(lc_pid_alive(pid, 0));
    lc_proc_free(p);
}

/* ---- run ---- */

static int run_sh(const char *script, const char *in, size_t inlen, int timeout_ms, size_t max,
                  lc_proc_result *res)
{
    const char *argv[] = {"sh", "-c", script, NULL};
    lc_err err = {0};
    int rc = lc_proc_run(argv, in, inlen, timeout_ms, max, res, &err);
    if (rc != LC_OK)
        print_error("lc_proc_run: %s\n", err.msg);
    return rc;
}

static void test_run_basic(void **state)
{
    (void)state;
    lc_proc_result r = LC_PROC_RESULT_INIT;
    assert_int_equal(run_sh("echo out; echo err >&2; exit 3", NULL, 0, 5000, 1024, &r), LC_OK);
    assert_int_equal(r.exit_code, 3);
    assert_int_equal(r.signal, 0);
    assert_false(r.timed_out);
    assert_false(r.truncated);
    assert_string_equal(lc_buf_cstr(&r.out), "out\n");
    assert_string_equal(lc_buf_cstr(&r.err), "err\n");
    char desc[64];
    lc_proc_describe(&r, desc, sizeof desc);
    assert_string_equal(desc, "exit 3");
    lc_proc_result_free(&r);

    /* No stdin_data: stdin is /dev/null, so cat ends at once. */
    assert_int_equal(run_sh("cat; echo done", NULL, 0, 5000, 1024, &r), LC_OK);
    assert_string_equal(r.out.data, "done\n");
    assert_int_equal(r.exit_code, 0);
    lc_proc_result_free(&r);

    assert_int_equal(run_sh("cat", "abc", 3, -1, 1024, &r), LC_OK);
    assert_string_equal(r.out.data, "abc");
    assert_string_equal(lc_buf_cstr(&r.err), "");
    lc_proc_result_free(&r);
}

static void test_run_5mb_both_streams(void **state)
{
    (void)state;
    lc_proc_result r = LC_PROC_RESULT_INIT;
    const char *script = "head -c 5242880 /dev/zero | tr '\\0' a & "
                         "head -c 5242880 /dev/zero | tr '\\0' b >&2; wait";
    assert_int_equal(run_sh(script, NULL, 0, 60000, 2 * MB5, &r), LC_OK);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.out.len, MB5);
    assert_int_equal(r.err.len, MB5);
    assert_int_equal(strspn(r.out.data, "a"), MB5);
    assert_int_equal(strspn(r.err.data, "b"), MB5);
    assert_false(r.truncated);
    lc_proc_result_free(&r);
}

static void test_run_large_stdin_while_child_writes(void **state)
{
    (void)state;
    /* The child writes 5 MB before it reads anything, then echoes 5 MB of
     * stdin: both sides must make progress at once. */
    char *in = lc_xmalloc(MB5);
    for (size_t i = 0; i < MB5; i++)
        in[i] = (char)('0' + i % 10);
    lc_proc_result r = LC_PROC_RESULT_INIT;
    assert_int_equal(run_sh("head -c 5242880 /dev/zero >&2; cat", in, MB5, 60000, MB5, &r), LC_OK);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.err.len, MB5);
    assert_int_equal(r.out.len, MB5);
    assert_memory_equal(r.out.data, in, MB5);
    lc_proc_result_free(&r);
    free(in);
}

static void test_run_child_ignores_stdin(void **state)
{
    (void)state;
    /* The child exits without reading: our write sees EPIPE (SIGPIPE is
     * ignored, as in main), which is not an error. */
    char *in = lc_xcalloc(1, MB5);
    lc_proc_result r = LC_PROC_RESULT_INIT;
    assert_int_equal(run_sh("exec 0<&-; echo bye", in, MB5, 10000, 100, &r), LC_OK);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out.data, "bye\n");
    lc_proc_result_free(&r);
    free(in);
}

static void test_run_timeout(void **state)
{
    (void)state;
    lc_proc_result r = LC_PROC_RESULT_INIT;
    int64_t t0 = lc_now_ms();
    /* The background sleep keeps the pipes open: the whole group must go. */
    assert_int_equal(run_sh("echo started; sleep 30 & sleep 30", NULL, 0, 300, 1024, &r), LC_OK);
    int64_t took = lc_now_ms() - t0;
    if (took < 290 || !r.timed_out)
        fail_msg("took %lld ms, timed_out %d, exit %d, signal %d, out '%s'", (long long)took,
                 r.timed_out, r.exit_code, r.signal, r.out.data);
    assert_true(took < 5000);
    assert_true(r.timed_out);
    assert_int_equal(r.exit_code, -1);
    assert_int_equal(r.signal, SIGKILL);
    assert_string_equal(r.out.data, "started\n"); /* output before the kill is kept */
    char desc[64];
    lc_proc_describe(&r, desc, sizeof desc);
    assert_string_equal(desc, "timed out after 0.3 s");
    lc_proc_result_free(&r);

    assert_int_equal(run_sh("sleep 30", NULL, 0, 1000, 1024, &r), LC_OK);
    lc_proc_describe(&r, desc, sizeof desc);
    assert_string_equal(desc, "timed out after 1 s");
    lc_proc_result_free(&r);
}

static void test_run_background_child_does_not_block(void **state)
{
    (void)state;
    /* The shell exits at once but leaves a grandchild holding stdout. */
    lc_proc_result r = LC_PROC_RESULT_INIT;
    int64_t t0 = lc_now_ms();
    assert_int_equal(run_sh("(sleep 20; echo late) & echo now", NULL, 0, 30000, 1024, &r), LC_OK);
    assert_true(lc_now_ms() - t0 < 10000);
    assert_false(r.timed_out);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out.data, "now\n");
    lc_proc_result_free(&r);
}

static void test_run_reads_everything_written_before_exit(void **state)
{
    (void)state;
    /* The child grows its stdout pipe to 1 MB, leaves a background process
     * holding the pipe, fills the pipe and exits: all of it must arrive
     * although the pipe never reaches end of file. */
    const char *script =
        "import fcntl, os, subprocess, sys\n"
        "try:\n"
        "    fcntl.fcntl(1, 1031, 1 << 20)\n"
        "except OSError:\n"
        "    sys.exit(77)\n"
        "subprocess.Popen(['sleep', '20'])\n"
        "os.write(1, b'z' * (1 << 20))\n";
    const char *argv[] = {"python3", "-c", script, NULL};
    lc_proc_result r = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    int rc = lc_proc_run(argv, NULL, 0, 30000, 8 << 20, &r, &err);
    if (rc == LC_ENOTFOUND || (rc == LC_OK && r.exit_code == 77)) {
        lc_proc_result_free(&r);
        skip();
    }
    assert_int_equal(rc, LC_OK);
    assert_int_equal(r.exit_code, 0);
    assert_false(r.timed_out);
    assert_int_equal(r.out.len, 1 << 20);
    lc_proc_result_free(&r);
}

static void test_run_caps_output(void **state)
{
    (void)state;
    lc_proc_result r = LC_PROC_RESULT_INIT;
    assert_int_equal(run_sh("head -c 1000000 /dev/zero | tr '\\0' x; echo tail >&2", NULL, 0,
                            30000, 1000, &r),
                     LC_OK);
    assert_int_equal(r.exit_code, 0); /* drained, so the child was never stuck */
    assert_int_equal(r.out.len, 1000);
    assert_true(r.truncated);
    assert_string_equal(r.err.data, "tail\n");
    lc_proc_result_free(&r);
}

static void test_run_signal_and_missing(void **state)
{
    (void)state;
    lc_proc_result r = LC_PROC_RESULT_INIT;
    assert_int_equal(run_sh("kill -KILL $$", NULL, 0, 5000, 100, &r), LC_OK);
    assert_int_equal(r.exit_code, -1);
    assert_int_equal(r.signal, SIGKILL);
    assert_false(r.timed_out);
    char desc[64];
    lc_proc_describe(&r, desc, sizeof desc);
    assert_string_equal(desc, "killed by SIGKILL");
    lc_proc_result_free(&r);

    const char *argv[] = {"docker-does-not-exist-here", "version", NULL};
    lc_err err = {0};
    assert_int_equal(lc_proc_run(argv, NULL, 0, 1000, 100, &r, &err), LC_ENOTFOUND);
    assert_non_null(strstr(err.msg, "program 'docker-does-not-exist-here' was not found in PATH"));
    lc_proc_result_free(&r);
}


/* ---- the user's editor ---- */

static void test_editor_argv(void **state)
{
    (void)state;
    lc_strv a = LC_STRV_INIT;
    lc_editor_argv("code --wait", "/t/step.py", &a);
    assert_int_equal(a.n, 3);
    assert_string_equal(a.v[0], "code");
    assert_string_equal(a.v[1], "--wait");
    assert_string_equal(a.v[2], "/t/step.py");
    lc_strv_free(&a);
    /* No shell: metacharacters are plain bytes of the words. */
    lc_editor_argv("ed; touch x $(id)", "/t/a b.py", &a);
    assert_int_equal(a.n, 5);
    assert_string_equal(a.v[0], "ed;");
    assert_string_equal(a.v[3], "$(id)");
    assert_string_equal(a.v[4], "/t/a b.py");
    lc_strv_free(&a);
    setenv("VISUAL", "vis -x", 1);
    setenv("EDITOR", "ed", 1);
    lc_editor_argv(NULL, "f", &a);
    assert_string_equal(a.v[0], "vis");
    lc_strv_free(&a);
    unsetenv("VISUAL");
    lc_editor_argv(NULL, "f", &a);
    assert_string_equal(a.v[0], "ed");
    lc_strv_free(&a);
    unsetenv("EDITOR");
    lc_editor_argv(NULL, "f", &a);
    assert_string_equal(a.v[0], "vi");
    lc_strv_free(&a);
    lc_editor_argv("  \t ", "f", &a);
    assert_int_equal(a.n, 2);
    assert_string_equal(a.v[0], "vi");
    lc_strv_free(&a);
}

static void test_edit_text(void **state)
{
    (void)state;
    char dir[] = "/tmp/lc-core-edit-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *tmp = lc_xasprintf("%s/tmp", dir);
    assert_int_equal(mkdir(tmp, 0755), 0);
    char *seen = lc_xasprintf("%s/seen", dir);
    char *marker = lc_xasprintf("%s/marker", dir);
    char *ed = lc_xasprintf("%s/ed.sh", dir);
    /* The editor records its directory's mode, the file's name and its
     * blocked signals, then rewrites the file. */
    char *script = lc_xasprintf("#!/bin/sh\n"
                                "[ \"$1\" = fail ] && shift && exit 3\n"
                                "stat -c %%a \"$(dirname \"$1\")\" > '%s'\n"
                                "basename \"$1\" >> '%s'\n"
                                "grep SigBlk /proc/self/status >> '%s'\n"
                                "sed -i s/1000/10/ \"$1\"\n"
                                "exit 0\n",
                                seen, seen, seen);
    lc_err err = {0};
    assert_int_equal(lc_file_write_atomic(ed, script, strlen(script), 0755, &err), LC_OK);
    setenv("TMPDIR", tmp, 1);
    unsetenv("VISUAL");
    setenv("EDITOR", ed, 1);
    /* As in litecode-tui: the terminating signals are blocked in every
     * thread; the editor must not inherit that. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    char *out = NULL;
    int rc = lc_edit_text("x = 1000\n", "step.py", 1 << 20, &out, &err);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    assert_int_equal(rc, LC_OK);
    assert_string_equal(out, "x = 10\n");
    free(out);
    lc_buf b = LC_BUF_INIT;
    assert_int_equal(lc_file_read(seen, 4096, &b, &err), LC_OK);
    assert_non_null(strstr(lc_buf_cstr(&b), "700\nstep.py\nSigBlk:\t0000000000000000\n"));
    lc_buf_free(&b);
    /* The private directory is gone. */
    DIR *d = opendir(tmp);
    assert_non_null(d);
    struct dirent *de;
    int left = 0;
    while ((de = readdir(d)))
        left += de->d_name[0] != '.';
    closedir(d);
    assert_int_equal(left, 0);

    /* A failing editor: the text is not taken. */
    char *failing = lc_xasprintf("%s fail", ed);
    setenv("EDITOR", failing, 1);
    assert_int_equal(lc_edit_text("x = 1000\n", "step.py", 1 << 20, &out, &err), LC_ECANCEL);
    assert_null(out);
    assert_non_null(strstr(err.msg, "status 3"));
    /* A string with shell syntax is not given to a shell. */
    char *shelly = lc_xasprintf("%s; touch '%s'", ed, marker);
    setenv("EDITOR", shelly, 1);
    assert_int_equal(lc_edit_text("x\n", "step.py", 1 << 20, &out, &err), LC_ENOTFOUND);
    assert_int_equal(access(marker, F_OK), -1);
    setenv("EDITOR", "/nonexistent/editor", 1);
    assert_int_equal(lc_edit_text("x\n", "step.py", 1 << 20, &out, &err), LC_ENOTFOUND);
    assert_non_null(strstr(err.msg, "$EDITOR"));
    unsetenv("EDITOR");
    unsetenv("TMPDIR");
    lc_rm_rf(dir, &err);
    free(shelly), free(failing), free(script), free(ed), free(marker), free(seen), free(tmp);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as main() does */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spawn_pipes),
        cmocka_unit_test(test_spawn_stderr_to_stdout),
        cmocka_unit_test(test_spawn_unpiped_streams_are_dev_null),
        cmocka_unit_test(test_spawn_does_not_leak_fds),
        cmocka_unit_test(test_spawn_with_std_fds_closed),
        cmocka_unit_test(test_spawn_resets_signals),
        cmocka_unit_test(test_spawn_env),
        cmocka_unit_test(test_spawn_missing_program),
        cmocka_unit_test(test_wait_timeout_and_signal),
        cmocka_unit_test(test_free_kills_running_child),
        cmocka_unit_test(test_free_kills_process_group),
        cmocka_unit_test(test_signal_reaches_the_group),
        cmocka_unit_test(test_pid_alive),
        cmocka_unit_test(test_run_basic),
        cmocka_unit_test(test_run_5mb_both_streams),
        cmocka_unit_test(test_run_large_stdin_while_child_writes),
        cmocka_unit_test(test_run_child_ignores_stdin),
        cmocka_unit_test(test_run_timeout),
        cmocka_unit_test(test_run_background_child_does_not_block),
        cmocka_unit_test(test_run_reads_everything_written_before_exit),
        cmocka_unit_test(test_run_caps_output),
        cmocka_unit_test(test_run_signal_and_missing),
        cmocka_unit_test(test_editor_argv),
        cmocka_unit_test(test_edit_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
