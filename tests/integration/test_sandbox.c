/* The container sandbox against a real engine (LITECODE_ENGINE=docker|podman).
 * Without an engine the tests skip and say why; with LITECODE_REQUIRE_ENGINE=1
 * a missing engine fails them. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "diff/diff.h"
#include "engine_support.h"

typedef struct fixture {
    lc_config cfg;
    lc_engine *engine;
    char *project;
    char *state;
    char *shadow;
    char *session_id;
    lc_executor *ex;
    lc_buf seen; /* output as the hooks saw it, "O:" / "E:" prefixed chunks */
} fixture;

static fixture F;

static void on_output(void *ctx, lc_stream s, const char *data, size_t len)
{
    lc_buf *b = ctx;
    lc_buf_puts(b, s == LC_STREAM_STDERR ? "E:" : "O:");
    lc_buf_append(b, data, len);
    lc_buf_putc(b, '|');
}

static int on_tool(void *ctx, const char *name, const cJSON *args, cJSON **result, lc_err *err)
{
    (void)ctx;
    if (strcmp(name, "shout") != 0)
        return lc_err_set(err, LC_ENOTFOUND, "no tool named %s", name);
    const char *text = lc_json_str(args, "text");
    char *up = lc_xstrdup(text ? text : "");
    for (char *p = up; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 32);
    *result = cJSON_CreateString(up);
    free(up);
    return LC_OK;
}

static int run(const char *code, int timeout_s, lc_exec_result *res)
{
    lc_exec_hooks hooks = {&F.seen, on_output, on_tool, NULL};
    lc_err err = {0};
    F.seen.len = 0;
    int rc = lc_executor_exec(F.ex, code, timeout_s, &hooks, res, &err);
    if (rc != LC_OK)
        fprintf(stderr, "exec failed: %s\n", err.msg);
    return rc;
}

static int group_setup(void **state)
{
    (void)state;
    lc_config_defaults(&F.cfg);
    lc_strv_clear(&F.cfg.container.authorized_imports);
    lc_strv_push(&F.cfg.container.authorized_imports, "*");
    F.cfg.container.grace_s = 2;
    F.engine = lc_test_engine_open(&F.cfg.container);
    if (!F.engine)
        return lc_test_engine_required() ? -1 : 0;
    F.project = lc_test_tmpdir("project");
    lc_test_write(F.project, "a.txt", "original\n");
    lc_test_write(F.project, "src/main.py", "print('hi')\n");
    F.state = lc_test_tmpdir("state");
    lc_err err = {0};
    char *sdir = NULL;
    assert_int_equal(lc_session_dir_create(F.state, &sdir, &F.session_id, &err), LC_OK);
    F.shadow = lc_path_join(sdir, "shadow");
    free(sdir);
    uid_t uid;
    gid_t gid;
    lc_sandbox_user(&uid, &gid);
    lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
    assert_int_equal(lc_shadow_copy(F.project, F.shadow, uid, gid, &rep, &err), LC_OK);
    lc_shadow_report_free(&rep);
    char *memo = lc_path_join(F.state, ".remote-engines");
    lc_sandbox_opts so = {&F.cfg.container, F.shadow, F.session_id, F.engine, memo};
    assert_int_equal(lc_sandbox_new(&so, &F.ex, &err), LC_OK);
    free(memo);
    if (lc_executor_start(F.ex, &err) != LC_OK) {
        fprintf(stderr, "start failed: %s\n", err.msg);
        return -1;
    }
    fprintf(stderr, "kernel ready in %.0f ms\n", lc_sandbox_start_ms(F.ex));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    lc_executor_destroy(F.ex);
    lc_err err = {0};
    if (F.project)
        lc_rm_rf(F.project, &err);
    if (F.state)
        lc_rm_rf(F.state, &err);
    free(F.project);
    free(F.state);
    free(F.shadow);
    free(F.session_id);
    lc_engine_free(F.engine);
    lc_config_free(&F.cfg);
    lc_buf_free(&F.seen);
    return 0;
}

#define NEED_ENGINE()                 \
    do {                              \
        if (!F.engine)                \
            skip();                   \
    } while (0)

/* An engine found not to see this machine's files (a unix socket of an
 * engine elsewhere: its bind mount was empty) is remembered, so the next
 * start takes the copy transport at once; a local engine never is. */
static void test_engine_without_this_machines_files_is_remembered(void **state)
{
    (void)state;
    NEED_ENGINE();
    char *memo = lc_path_join(F.state, ".remote-engines");
    const char *want = getenv("LITECODE_EXPECT_TRANSPORT");
    const char *host = getenv("DOCKER_HOST");
    bool probed = lc_engine_kind_of(F.engine) == LC_ENGINE_DOCKER && host && strncmp(host, "unix://", 7) == 0 &&
                  want && strcmp(want, "copy") == 0;
    struct stat st;
    if (!probed) {
        assert_int_not_equal(stat(memo, &st), 0);
        free(memo);
        return;
    }
    char *text = lc_test_read(F.state, ".remote-engines");
    char *line = lc_xasprintf("docker %s\n", host);
    assert_string_equal(text, line);
    lc_sandbox_opts so = {&F.cfg.container, F.shadow, F.session_id, F.engine, memo};
    lc_executor *ex = NULL;
    lc_err err = {0};
    assert_int_equal(lc_sandbox_new(&so, &ex, &err), LC_OK);
    assert_int_equal(lc_executor_start(ex, &err), LC_OK);
    const char *why = NULL;
    assert_string_equal(lc_sandbox_transport(ex, &why), "copy");
    assert_non_null(why);
    assert_non_null(strstr(why, "remembered in"));
    lc_executor_destroy(ex);
    free(line);
    free(text);
    free(memo);
}

static void test_state_persists_between_steps(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_exec_result r;
    assert_int_equal(run("x = 41\nimport json", 0, &r), LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    lc_exec_result_free(&r);
    assert_int_equal(run("x + 1", 0, &r), LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    assert_string_equal(r.value_repr, "42");
    lc_exec_result_free(&r);
}

static void test_stdout_and_stderr_stream_in_order(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_exec_result r;
    assert_int_equal(run("import sys, os\nfor i in range(3):\n    print('out', i)\n    print('err', i, file=sys.stderr)\n"
                         "os.system('echo from-shell')\nprint('last')",
                         0, &r),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    assert_string_equal(r.output, "out 0\nerr 0\nout 1\nerr 1\nout 2\nerr 2\nfrom-shell\nlast\n");
    /* The hooks saw stderr as stderr. */
    assert_non_null(strstr(lc_buf_cstr(&F.seen), "E:err 0"));
    assert_non_null(strstr(lc_buf_cstr(&F.seen), "O:from-shell"));
    lc_exec_result_free(&r);
}

static void test_exception_has_type_line_and_traceback(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_exec_result r;
    assert_int_equal(run("a = 1\nb = 0\nc = a / b\n", 0, &r), LC_OK);
    assert_int_equal(r.status, LC_STEP_ERROR);
    assert_string_equal(r.error_type, "ZeroDivisionError");
    assert_int_equal(r.error_line, 3);
    assert_non_null(strstr(r.traceback, "line 3"));
    assert_non_null(strstr(r.traceback, "c = a / b"));
    assert_null(strstr(r.traceback, "<string>")); /* the kernel's own frames are hidden */
    lc_exec_result_free(&r);
}

static void test_syntax_error_is_caught_by_check(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_exec_result r;
    lc_err err = {0};
    assert_int_equal(lc_executor_check(F.ex, "def f(:\n    pass\n", &r, &err), LC_OK);
    assert_int_equal(r.status, LC_STEP_SYNTAX);
    assert_string_equal(r.error_type, "SyntaxError");
    assert_int_equal(r.error_line, 1);
    lc_exec_result_free(&r);
    assert_int_equal(lc_executor_check(F.ex, "print('fine')", &r, &err), LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    lc_exec_result_free(&r);
}

static void test_final_answer_survives_except_exception(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_exec_result r;
    assert_int_equal(run("try:\n    final_answer({'files': 3})\nexcept Exception:\n    print('swallowed')\n", 0, &r),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_FINAL);
    assert_string_equal(r.final_answer, "{\"files\":3}");
    assert_null(strstr(r.output, "swallowed"));
    lc_exec_result_free(&r);
}

static void test_unauthorized_import_lists_allowed(void **state)
{
    (void)state;
    NEED_ENGINE();
    /* A second sandbox with the "secure" template's imports. */
    lc_container_config cc;
    lc_container_config_copy(&cc, &F.cfg.container);
    lc_err err = {0};
    assert_int_equal(lc_container_template_apply(&cc, "secure", &err), LC_OK);
    lc_strv_clear(&cc.authorized_imports);
    lc_strv_push(&cc.authorized_imports, "json");
    lc_strv_push(&cc.authorized_imports, "os.*");
    lc_executor *ex = NULL;
    lc_sandbox_opts so = {&cc, F.shadow, F.session_id, F.engine, NULL};
    assert_int_equal(lc_sandbox_new(&so, &ex, &err), LC_OK);
    lc_exec_result r;
    assert_int_equal(lc_executor_exec(ex, "import os.path\nimport json\nimport socket\n", 0, NULL, &r, &err), LC_OK);
    assert_int_equal(r.status, LC_STEP_ERROR);
    assert_string_equal(r.error_type, "ImportError");
    assert_int_equal(r.error_line, 3);
    assert_non_null(strstr(r.error_message, "'socket' is not allowed"));
    assert_non_null(strstr(r.error_message, "json, os.*"));
    lc_exec_result_free(&r);
    lc_executor_destroy(ex);
    lc_container_config_free(&cc);
}

static void test_host_tool_call_round_trip(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_exec_result r;
    assert_int_equal(run("v = _lc_host_tool('shout', text='hello')\nprint(v)\n"
                         "try:\n    _lc_host_tool('nope')\nexcept RuntimeError as e:\n    print('refused:', e)",
                         0, &r),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    assert_non_null(strstr(r.output, "HELLO\n"));
    assert_non_null(strstr(r.output, "refused: nope failed: no tool named nope"));
    lc_exec_result_free(&r);
}

static void test_infinite_loop_is_interrupted_and_state_kept(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_exec_result r;
    assert_int_equal(run("kept = 'yes'", 0, &r), LC_OK);
    lc_exec_result_free(&r);
    assert_int_equal(run("while True:\n    pass\n", 2, &r), LC_OK);
    assert_int_equal(r.status, LC_STEP_TIMEOUT);
    assert_false(r.state_lost);
    assert_string_equal(r.error_type, "KeyboardInterrupt");
    assert_non_null(strstr(r.notice, "2 s limit"));
    lc_exec_result_free(&r);
    assert_int_equal(run("kept", 0, &r), LC_OK);
    assert_string_equal(r.value_repr, "'yes'");
    lc_exec_result_free(&r);
}

static void test_step_ignoring_sigint_is_killed_and_restarted(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_exec_result r;
    assert_int_equal(run("lost = 1", 0, &r), LC_OK);
    lc_exec_result_free(&r);
    const char *before = lc_sandbox_container(F.ex);
    char *name = lc_xstrdup(before);
    assert_int_equal(run("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n", 1, &r),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_KILLED);
    assert_true(r.state_lost);
    assert_non_null(strstr(r.notice, "state"));
    lc_exec_result_free(&r);
    /* A fresh sandbox answers, without the old globals. */
    assert_non_null(lc_sandbox_container(F.ex));
    assert_string_not_equal(lc_sandbox_container(F.ex), name);
    free(name);
    assert_int_equal(run("'lost' in globals()", 0, &r), LC_OK);
    assert_string_equal(r.value_repr, "False");
    lc_exec_result_free(&r);
}

static void interrupt_on_output(void *ctx, lc_stream s, const char *data, size_t len)
{
    (void)s;
    (void)data;
    (void)len;
    lc_executor_interrupt(ctx); /* what the TUI's Ctrl-C does, from any thread */
}

static void test_user_interrupt_keeps_state(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_exec_result r;
    lc_err err = {0};
    lc_exec_hooks hooks = {F.ex, interrupt_on_output, NULL, NULL};
    assert_int_equal(lc_executor_exec(F.ex, "n = 7\nimport time\nprint('started', flush=True)\ntime.sleep(60)\n", 0,
                                      &hooks, &r, &err),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_INTERRUPTED);
    assert_true(r.duration_s < 30);
    assert_false(r.state_lost);
    lc_exec_result_free(&r);
    assert_int_equal(run("n", 0, &r), LC_OK);
    assert_string_equal(r.value_repr, "7");
    lc_exec_result_free(&r);
}

static void test_memory_bomb_is_reported_and_session_continues(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_container_config cc;
    lc_container_config_copy(&cc, &F.cfg.container);
    cc.memory_bytes = 96LL << 20;
    lc_executor *ex = NULL;
    lc_err err = {0};
    lc_sandbox_opts so = {&cc, F.shadow, F.session_id, F.engine, NULL};
    assert_int_equal(lc_sandbox_new(&so, &ex, &err), LC_OK);
    lc_exec_result r;
    assert_int_equal(lc_executor_exec(ex, "hog = []\nwhile True:\n    hog.append(b'x' * (1 << 20))\n", 60, NULL, &r, &err),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_KILLED);
    assert_string_equal(r.error_type, "OutOfMemory");
    assert_non_null(strstr(r.notice, "ran out of memory (limit 96m)"));
    assert_true(r.state_lost);
    lc_exec_result_free(&r);
    assert_int_equal(lc_executor_exec(ex, "6 * 7", 0, NULL, &r, &err), LC_OK);
    assert_string_equal(r.value_repr, "42");
    lc_exec_result_free(&r);
    lc_executor_destroy(ex);
    lc_container_config_free(&cc);
}

/* `<engine> kill|rm -f <the sandbox's container>`, as a user or a script
 * outside litecode would. */
static void engine_on_container(const char *what)
{
    const char *name = lc_sandbox_container(F.ex);
    assert_non_null(name);
    lc_strv a = LC_STRV_INIT;
    lc_engine_argv(F.engine, &a, NULL);
    if (strcmp(what, "rm") == 0) {
        lc_strv_push(&a, "rm");
        lc_strv_push(&a, "-f");
    } else {
        lc_strv_push(&a, "kill");
    }
    lc_strv_push(&a, name);
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_proc_run((const char *const *)a.v, NULL, 0, 60000, 1 << 16, &res, &err), LC_OK);
    if (res.exit_code != 0)
        fail_msg("%s: %s", what, lc_buf_cstr(&res.err));
    lc_proc_result_free(&res);
    lc_strv_free(&a);
}

static void test_kill_between_steps_restarts_before_the_next(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_err err = {0};
    lc_exec_result r;
    assert_int_equal(lc_executor_define(F.ex, "def helper_back():\n    return 'helper'\n", &err), LC_OK);
    assert_int_equal(run("gone = 1", 0, &r), LC_OK);
    lc_exec_result_free(&r);
    engine_on_container("kill");
    /* The check (what the agent does first) finds the dead kernel: no error. */
    assert_int_equal(lc_executor_check(F.ex, "gone", &r, &err), LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    lc_exec_result_free(&r);
    /* The step runs in a fresh sandbox, and its result says what happened. */
    assert_int_equal(run("('gone' in globals(), helper_back())", 0, &r), LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    assert_string_equal(r.value_repr, "(False, 'helper')");
    assert_true(r.state_lost);
    assert_non_null(strstr(r.notice, "between steps"));
    assert_non_null(strstr(r.notice, "killed from outside litecode"));
    assert_null(strstr(r.notice, "out of memory ("));
    assert_null(strstr(r.notice, ".."));
    lc_exec_result_free(&r);
    /* Told once: the next step has no notice. */
    assert_int_equal(run("1", 0, &r), LC_OK);
    assert_false(r.state_lost);
    assert_null(r.notice);
    lc_exec_result_free(&r);

    /* Removed between steps, then a step with a syntax error: that result carries it. */
    engine_on_container("rm");
    assert_int_equal(lc_executor_check(F.ex, "def (", &r, &err), LC_OK);
    assert_int_equal(r.status, LC_STEP_SYNTAX);
    assert_true(r.state_lost);
    assert_non_null(strstr(r.notice, "removed from outside litecode"));
    lc_exec_result_free(&r);

    /* Killed before helper code is loaded: loaded into a fresh sandbox. */
    engine_on_container("kill");
    assert_int_equal(lc_executor_define(F.ex, "def helper_two():\n    return 2\n", &err), LC_OK);
    assert_int_equal(run("helper_two() + len(helper_back())", 0, &r), LC_OK);
    assert_string_equal(r.value_repr, "8");
    assert_true(r.state_lost);
    lc_exec_result_free(&r);

    /* Killed, then a step straight away (no check before it). */
    engine_on_container("kill");
    assert_int_equal(run("40 + 2", 0, &r), LC_OK);
    assert_true(r.state_lost);
    assert_non_null(strstr(r.notice, "killed from outside litecode"));
    lc_exec_result_free(&r);

    /* Killed, then started again (what a front end does first): a fresh one. */
    char *before = lc_xstrdup(lc_sandbox_container(F.ex));
    engine_on_container("kill");
    /* The engine CLI ends a moment after `kill` returns; until then start has nothing to see. */
    for (int i = 0; i < 300 && !strcmp(lc_sandbox_container(F.ex), before); i++) {
        assert_int_equal(lc_executor_start(F.ex, &err), LC_OK);
        lc_sleep_ms(100);
    }
    assert_string_not_equal(lc_sandbox_container(F.ex), before);
    free(before);
    assert_int_equal(run("1", 0, &r), LC_OK);
    assert_true(r.state_lost);
    lc_exec_result_free(&r);
}

static void kill_on_output(void *ctx, lc_stream s, const char *data, size_t len)
{
    (void)s;
    (void)len;
    if (strstr(data, "started"))
        engine_on_container(ctx);
}

static void test_kill_during_a_step_is_not_called_out_of_memory(void **state)
{
    (void)state;
    NEED_ENGINE();
    const char *how[] = {"kill", "rm"};
    const char *said[] = {"killed from outside litecode, or by a process of the step (exit 137, not out of memory)",
                          "removed from outside litecode"};
    for (int i = 0; i < 2; i++) {
        lc_exec_result r;
        lc_err err = {0};
        lc_exec_hooks hooks = {(void *)how[i], kill_on_output, NULL, NULL};
        assert_int_equal(lc_executor_exec(F.ex, "import time\nprint('started', flush=True)\ntime.sleep(60)\n", 0,
                                          &hooks, &r, &err),
                         LC_OK);
        assert_int_equal(r.status, LC_STEP_KILLED);
        assert_string_equal(r.error_type, "SandboxKilled");
        assert_true(r.state_lost);
        assert_non_null(strstr(r.notice, "during the step"));
        assert_non_null(strstr(r.notice, said[i]));
        assert_null(strstr(r.error_message, "using more than"));
        lc_exec_result_free(&r);
        assert_int_equal(run("6 * 7", 0, &r), LC_OK);
        assert_string_equal(r.value_repr, "42");
        lc_exec_result_free(&r);
    }
}

/* A step whose own process dies (a crash in native code, os._exit, a kill of
 * itself) is told so, not that something outside killed the sandbox; the
 * session goes on in a fresh one. */
static void test_step_that_ends_its_own_process_is_told_so(void **state)
{
    (void)state;
    NEED_ENGINE();
    static const struct {
        const char *code, *says;
    } cases[] = {
        {"import ctypes\nctypes.string_at(0)\n", "the step's process ended on SIGSEGV (signal 11): a crash in native code"},
        {"import os\nos._exit(5)\n", "the step's process exited with code 5 instead of returning to the kernel"},
        {"import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
         "the step's process was killed (SIGKILL, not out of memory): by the step itself"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lc_exec_result r;
        assert_int_equal(run(cases[i].code, 30, &r), LC_OK);
        if (r.status != LC_STEP_KILLED || !r.notice || !strstr(r.notice, cases[i].says) || !r.error_type ||
            strcmp(r.error_type, "StepProcessEnded") != 0)
            fail_msg("case %zu: status %d, %s: %s", i, r.status, r.error_type ? r.error_type : "-",
                     r.notice ? r.notice : "no notice");
        assert_true(r.state_lost);
        lc_exec_result_free(&r);
        assert_int_equal(run("6 * 7", 0, &r), LC_OK);
        assert_string_equal(r.value_repr, "42");
        lc_exec_result_free(&r);
    }
}

/* A host tool that takes a while; stops the step itself after max calls. */
typedef struct slow_tool {
    int calls;
    bool user;
} slow_tool;

static int on_slow_tool(void *ctx, const char *name, const cJSON *args, cJSON **result, lc_err *err)
{
    (void)name;
    (void)args;
    (void)err;
    slow_tool *t = ctx;
    lc_sleep_ms(200);
    if (++t->calls == 15)
        lc_executor_interrupt(F.ex);
    *result = cJSON_CreateNull();
    return LC_OK;
}

static bool slow_is_user(void *ctx, const char *name)
{
    (void)name;
    return ((slow_tool *)ctx)->user;
}

static void test_host_tool_time_counts_except_waiting_for_the_user(void **state)
{
    (void)state;
    NEED_ENGINE();
    /* 15 calls of 0.2 s each against a 1 s limit: stopped by the limit long
     * before the tool itself interrupts the step at its 15th call. */
    for (int user = 0; user < 2; user++) {
        slow_tool t = {0, user == 1};
        lc_exec_hooks hooks = {&t, NULL, on_slow_tool, slow_is_user};
        lc_exec_result r;
        lc_err err = {0};
        assert_int_equal(lc_executor_exec(F.ex, "while True:\n    _lc_host_tool('slow')\n", 1, &hooks, &r, &err),
                         LC_OK);
        if (user) {
            assert_int_equal(r.status, LC_STEP_INTERRUPTED); /* waiting for a person does not count */
            assert_true(t.calls >= 15);
        } else {
            assert_int_equal(r.status, LC_STEP_TIMEOUT);
            assert_true(t.calls < 15);
        }
        lc_exec_result_free(&r);
    }
}

static void test_fork_bomb_is_contained(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_exec_result r;
    assert_int_equal(run("import os\nwhile True:\n    os.fork()\n", 5, &r), LC_OK);
    assert_true(r.status == LC_STEP_ERROR || r.status == LC_STEP_TIMEOUT || r.status == LC_STEP_KILLED);
    lc_exec_result_free(&r);
    /* The host is fine and the sandbox answers again. */
    assert_int_equal(run("1 + 1", 20, &r), LC_OK);
    assert_string_equal(r.value_repr, "2");
    lc_exec_result_free(&r);
}

static void test_no_network(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_exec_result r;
    assert_int_equal(run("import socket, os\nprint(sorted(os.listdir('/sys/class/net')))\n"
                         "s = socket.socket()\ns.settimeout(3)\ns.connect(('1.1.1.1', 53))\n",
                         10, &r),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_ERROR);
    assert_string_equal(r.output, "['lo']\n");
    assert_string_equal(r.error_type, "OSError");
    lc_exec_result_free(&r);
}

static void test_fifty_megabytes_of_output_are_capped(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_exec_result r;
    assert_int_equal(run("import sys\nfor i in range(50):\n    sys.stdout.write(str(i % 10) * (1 << 20))\nprint('END')", 60, &r),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    assert_true(r.truncated);
    assert_true(r.dropped_bytes > 40u << 20);
    assert_true(strlen(r.output) <= (size_t)F.cfg.container.output_cap_bytes + 200);
    assert_non_null(strstr(r.output, "bytes of output omitted"));
    assert_true(lc_str_ends_with(r.output, "END\n")); /* the tail is kept */
    lc_exec_result_free(&r);
}

static void test_writes_land_in_shadow_never_in_original(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_exec_result r;
    assert_int_equal(run("open('/workspace/a.txt', 'w').write('changed\\n')\nopen('new.txt', 'w').write('new\\n')\n"
                         "import os\nos.makedirs('made/deep', exist_ok=True)",
                         0, &r),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    lc_exec_result_free(&r);
    char *orig = lc_test_read(F.project, "a.txt");
    char *shadow = lc_test_read(F.shadow, "a.txt");
    char *made = lc_test_read(F.shadow, "new.txt");
    assert_string_equal(orig, "original\n");
    assert_string_equal(shadow, "changed\n");
    assert_string_equal(made, "new\n");
    assert_null(lc_test_read(F.project, "new.txt"));
    free(orig);
    free(shadow);
    free(made);
    /* What the container made is the user's to read and write afterwards. */
    char *p = lc_path_join(F.shadow, "new.txt");
    assert_int_equal(access(p, R_OK | W_OK), 0);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    uid_t uid;
    gid_t gid;
    lc_sandbox_user(&uid, &gid);
    assert_int_equal(st.st_uid, uid);
    free(p);
    /* Deletions reach the shadow too, whatever the transport; on a remote
     * engine (scripts/remote-dockerd.sh) the test phase says which it must be. */
    assert_int_equal(run("import os, shutil\nos.remove('new.txt')\nshutil.rmtree('made')", 0, &r), LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    lc_exec_result_free(&r);
    assert_null(lc_test_read(F.shadow, "new.txt"));
    char *made_dir = lc_path_join(F.shadow, "made");
    assert_int_not_equal(access(made_dir, F_OK), 0);
    free(made_dir);
    const char *want = getenv("LITECODE_EXPECT_TRANSPORT");
    if (want && *want)
        assert_string_equal(lc_sandbox_transport(F.ex, NULL), want);
}

static char *sh_out(const char *script, const char *arg)
{
    const char *argv[] = {"sh", "-c", script, "sh", arg, NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_proc_run(argv, NULL, 0, 60000, 1 << 20, &res, &err), LC_OK);
    if (res.exit_code != 0)
        fprintf(stderr, "%s failed: %s\n", script, lc_buf_cstr(&res.err));
    assert_int_equal(res.exit_code, 0);
    char *out = lc_xstrdup(lc_buf_cstr(&res.out));
    lc_proc_result_free(&res);
    return out;
}

/* The project's git objects are borrowed read-only, not copied (a large
 * history made the start take seconds): git in a step reads the history and
 * commits into the shadow's own store, and nothing a step does reaches the
 * project's objects. On a remote engine they are sent once into a
 * read-only volume, removed with the session. */
static int exec_in(lc_executor *ex, const char *code, lc_exec_result *r)
{
    lc_err err = {0};
    int rc = lc_executor_exec(ex, code, 0, NULL, r, &err);
    if (rc != LC_OK)
        fprintf(stderr, "exec failed: %s\n", err.msg);
    else if (r->status != LC_STEP_OK)
        fprintf(stderr, "step failed: %s: %s\n%s\n", r->error_type ? r->error_type : "?",
                r->error_message ? r->error_message : "?", r->output ? r->output : "");
    return rc;
}

static void test_git_history_is_borrowed_read_only(void **state)
{
    (void)state;
    NEED_ENGINE();
    char *project = lc_test_tmpdir("gitproject");
    lc_test_write(project, "a.txt", "one\n");
    free(sh_out("cd \"$1\" && git init -q && git add a.txt && "
                "git -c user.name=t -c user.email=t@l commit -qm first && git gc -q",
                project));
    const char *listing = "cd \"$1\"/.git/objects && find . -printf '%p %s %m\\n' | sort";
    char *before = sh_out(listing, project);
    lc_err err = {0};
    char *sdir = NULL, *id = NULL;
    assert_int_equal(lc_session_dir_create(F.state, &sdir, &id, &err), LC_OK);
    char *shadow = lc_path_join(sdir, "shadow");
    assert_int_equal(lc_diff_snapshot(project, sdir, &err), LC_OK);
    uid_t uid;
    gid_t gid;
    lc_sandbox_user(&uid, &gid);
    lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
    assert_int_equal(lc_shadow_make(project, shadow, uid, gid, &rep, &err), LC_OK);
    lc_shadow_report_free(&rep);
    char *lent = lc_shadow_borrowed(project, shadow);
    assert_non_null(lent);
    lc_sandbox_opts so = {&F.cfg.container, shadow, id, F.engine, NULL};
    lc_executor *ex = NULL;
    assert_int_equal(lc_sandbox_new(&so, &ex, &err), LC_OK);
    lc_sandbox_lend_git(ex, lent);
    lc_exec_result r;
    assert_int_equal(exec_in(ex,
                                      "import subprocess\n"
                                      "def git(*a):\n"
                                      "    p = subprocess.run(['git'] + list(a), capture_output=True, text=True)\n"
                                      "    return p.stdout.strip() if p.returncode == 0 else 'failed: ' + p.stderr.strip()\n"
                                      "print(git('log', '--format=%s'))\n"
                                      "print(git('show', 'HEAD:a.txt'))\n",
                                      &r),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    assert_string_equal(r.output, "first\none\n");
    lc_exec_result_free(&r);
    /* Every way a step could write the borrowed store is refused. */
    assert_int_equal(exec_in(ex,
                                      "import os, glob\n"
                                      "store = '" LC_SHADOW_GIT_OBJECTS "'\n"
                                      "def tries(name, f):\n"
                                      "    try:\n"
                                      "        f()\n"
                                      "        print(name, 'WORKED')\n"
                                      "    except OSError:\n"
                                      "        print(name, 'refused')\n"
                                      "pack = glob.glob(store + '/pack/*.pack')[0]\n"
                                      "tries('create', lambda: open(store + '/evil', 'w'))\n"
                                      "tries('append', lambda: open(pack, 'ab'))\n"
                                      "tries('chmod', lambda: os.chmod(pack, 0o666))\n"
                                      "tries('unlink', lambda: os.unlink(pack))\n"
                                      "tries('rename', lambda: os.rename(pack, pack + '.x'))\n"
                                      "tries('mkdir', lambda: os.mkdir(store + '/ff'))\n"
                                      "git('repack', '-a', '-d', '-q')\n"
                                      "print(len(glob.glob(store + '/pack/*.pack')))\n",
                                      &r),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    assert_string_equal(r.output, "create refused\nappend refused\nchmod refused\nunlink refused\nrename refused\n"
                                  "mkdir refused\n1\n");
    lc_exec_result_free(&r);
    /* New objects go to the shadow's own store. */
    assert_int_equal(exec_in(ex,
                                      "open('b.txt', 'w').write('two\\n')\n"
                                      "git('add', 'b.txt')\n"
                                      "print(git('-c', 'user.name=s', '-c', 'user.email=s@l', 'commit', '-qm', 'second'))\n"
                                      "print(git('log', '--format=%s'))\n",
                                      &r),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    assert_string_equal(r.output, "\nsecond\nfirst\n");
    lc_exec_result_free(&r);
    const char *want = getenv("LITECODE_EXPECT_TRANSPORT");
    if (want && *want)
        assert_string_equal(lc_sandbox_transport(ex, NULL), want);
    lc_executor_destroy(ex);
    /* The change set is b.txt alone: nothing of the shadow's .git (its own
     * store, the alternates, the new commit) is ever a change to apply. */
    lc_diff *d = NULL;
    int drc = lc_diff_global_init(&err);
    if (drc == LC_OK)
        drc = lc_diff_open(project, shadow, sdir, NULL, &d, &err);
    if (drc == LC_OK)
        drc = lc_diff_refresh(d, &err);
    if (drc != LC_OK)
        fprintf(stderr, "change set: %s\n", err.msg);
    assert_int_equal(drc, LC_OK);
    assert_int_equal(lc_diff_count(d), 1);
    assert_string_equal(lc_diff_file_at(d, 0)->path, "b.txt");
    lc_diff_free(d);
    char *after = sh_out(listing, project);
    assert_string_equal(after, before);
    char *count = sh_out("git -C \"$1\" rev-list --count HEAD", project);
    assert_string_equal(count, "1\n");
    char *own = sh_out("find \"$1\"/.git/objects -type f ! -path '*/info/*' | wc -l", shadow);
    assert_true(atoi(own) > 0);
    /* No volume left behind on the engine (the copy transport's history volume). */
    lc_strv args = LC_STRV_INIT;
    lc_engine_argv(F.engine, &args, "volume");
    lc_strv_push(&args, "ls");
    lc_strv_push(&args, "-q");
    lc_strv_pushf(&args, "--filter=label=litecode.session=%s", id);
    lc_proc_result res = LC_PROC_RESULT_INIT;
    assert_int_equal(lc_proc_run((const char *const *)args.v, NULL, 0, 60000, 1 << 16, &res, &err), LC_OK);
    assert_string_equal(lc_buf_cstr(&res.out), "");
    lc_proc_result_free(&res);
    lc_strv_free(&args);
    free(own);
    free(count);
    free(after);
    free(before);
    free(lent);
    free(shadow);
    free(sdir);
    free(id);
    lc_rm_rf(project, &err);
    free(project);
}

static void test_original_directory_is_not_visible(void **state)
{
    (void)state;
    NEED_ENGINE();
    char *code = lc_xasprintf("import os\nprint(os.path.exists(%s%s%s))\nprint(%s%s%s in open('/proc/self/mountinfo').read())\n"
                              "print(os.getuid() != 0)\nprint(open('/proc/self/status').read().count('CapEff:\\t0000000000000000'))",
                              "'", F.project, "'", "'", F.project, "'");
    lc_exec_result r;
    assert_int_equal(run(code, 0, &r), LC_OK);
    free(code);
    assert_int_equal(r.status, LC_STEP_OK);
    assert_string_equal(r.output, "False\nFalse\nTrue\n1\n");
    lc_exec_result_free(&r);
}

static void test_root_filesystem_is_read_only(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_exec_result r;
    assert_int_equal(run("open('/etc/evil', 'w')", 0, &r), LC_OK);
    assert_int_equal(r.status, LC_STEP_ERROR);
    assert_true(strstr(r.error_message, "Read-only file system") || strstr(r.error_message, "Permission denied"));
    lc_exec_result_free(&r);
    assert_int_equal(run("open('/tmp/scratch', 'w').write('ok')", 0, &r), LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    lc_exec_result_free(&r);
}

static void test_shadow_growth_cap_stops_the_step(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_container_config cc;
    lc_container_config_copy(&cc, &F.cfg.container);
    cc.shadow_cap_bytes = 8LL << 20;
    lc_executor *ex = NULL;
    lc_err err = {0};
    lc_sandbox_opts so = {&cc, F.shadow, F.session_id, F.engine, NULL};
    assert_int_equal(lc_sandbox_new(&so, &ex, &err), LC_OK);
    if (lc_executor_start(ex, &err) != LC_OK)
        fail_msg("start: %s", err.msg);
    lc_exec_result r;
    assert_int_equal(lc_executor_exec(ex, "import time\nwith open('big.bin', 'wb') as f:\n    while True:\n"
                                          "        f.write(b'0' * (1 << 20))\n        f.flush()\n        time.sleep(0.01)\n",
                                      60, NULL, &r, &err),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_SHADOW_LIMIT);
    assert_non_null(strstr(r.notice, "limit"));
    lc_exec_result_free(&r);
    lc_executor_destroy(ex);
    char *big = lc_path_join(F.shadow, "big.bin");
    unlink(big);
    free(big);
    lc_container_config_free(&cc);
}

static void test_read_only_workspace_refuses_writes(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_container_config cc;
    lc_container_config_copy(&cc, &F.cfg.container);
    cc.workspace_ro = true;
    lc_executor *ex = NULL;
    lc_err err = {0};
    lc_sandbox_opts so = {&cc, F.shadow, F.session_id, F.engine, NULL};
    assert_int_equal(lc_sandbox_new(&so, &ex, &err), LC_OK);
    lc_exec_result r;
    assert_int_equal(lc_executor_exec(ex, "print(open('a.txt').read(), end='')\nopen('a.txt', 'w')", 0, NULL, &r, &err), LC_OK);
    assert_int_equal(r.status, LC_STEP_ERROR);
    assert_string_equal(r.output, "changed\n"); /* reading works */
    assert_non_null(strstr(r.error_message, "Read-only file system"));
    lc_exec_result_free(&r);
    char *desc = lc_executor_describe(ex);
    assert_non_null(strstr(desc, " ro"));
    free(desc);
    lc_executor_destroy(ex);
    lc_container_config_free(&cc);
}

/* Each template's authorized imports work in that template's image (the ml
 * image promised sklearn and matplotlib and lacked them). An image that is
 * not built is skipped with a note, unless LITECODE_REQUIRE_ML=1. */
static void test_each_template_imports_work_in_its_image(void **state)
{
    (void)state;
    NEED_ENGINE();
    static const char *const names[] = {"default", "secure", "ml"};
    for (size_t t = 0; t < sizeof names / sizeof names[0]; t++) {
        lc_container_config cc;
        lc_container_config_copy(&cc, &F.cfg.container);
        lc_err err = {0};
        assert_int_equal(lc_container_template_apply(&cc, names[t], &err), LC_OK);
        if (lc_engine_image_exists(F.engine, cc.image, &err) != 1) {
            const char *req = getenv("LITECODE_REQUIRE_ML");
            if (req && strcmp(req, "1") == 0)
                fail_msg("image %s of template %s is missing (scripts/build-image.sh --ml)", cc.image, names[t]);
            fprintf(stderr, "note: template %s skipped: image %s not built\n", names[t], cc.image);
            lc_container_config_free(&cc);
            continue;
        }
        lc_buf code = LC_BUF_INIT;
        for (size_t i = 0; i < cc.authorized_imports.n; i++)
            if (!strchr(cc.authorized_imports.v[i], '*')) /* "numpy.*": the submodules, tried below */
                lc_buf_printf(&code, "import %s\n", cc.authorized_imports.v[i]);
        if (strcmp(names[t], "ml") == 0) /* drawing needs the Agg backend and a writable config dir */
            lc_buf_puts(&code, "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.savefig('/tmp/p.png')\n"
                               "import sklearn.linear_model\n");
        lc_executor *ex = NULL;
        lc_sandbox_opts so = {&cc, F.shadow, F.session_id, F.engine, NULL};
        assert_int_equal(lc_sandbox_new(&so, &ex, &err), LC_OK);
        lc_exec_result r;
        if (lc_executor_exec(ex, lc_buf_cstr(&code), 120, NULL, &r, &err) != LC_OK)
            fail_msg("template %s: %s", names[t], err.msg);
        if (r.status != LC_STEP_OK)
            fail_msg("template %s: %s: %s", names[t], r.error_type ? r.error_type : lc_step_status_name(r.status),
                     r.error_message ? r.error_message : "");
        lc_exec_result_free(&r);
        lc_executor_destroy(ex);
        lc_buf_free(&code);
        lc_container_config_free(&cc);
    }
}

static lc_executor *own_sandbox(lc_container_config *cc)
{
    lc_executor *ex = NULL;
    lc_err err = {0};
    lc_sandbox_opts so = {cc, F.shadow, F.session_id, F.engine, NULL};
    assert_int_equal(lc_sandbox_new(&so, &ex, &err), LC_OK);
    if (lc_executor_start(ex, &err) != LC_OK)
        fail_msg("start: %s", err.msg);
    return ex;
}

static int run_on(lc_executor *ex, const char *code, int timeout_s, lc_exec_result *res)
{
    lc_exec_hooks hooks = {&F.seen, on_output, on_tool, NULL};
    lc_err err = {0};
    F.seen.len = 0;
    int rc = lc_executor_exec(ex, code, timeout_s, &hooks, res, &err);
    if (rc != LC_OK)
        fprintf(stderr, "exec failed: %s\n", err.msg);
    return rc;
}

static long shadow_file_size(const char *rel)
{
    char *p = lc_path_join(F.shadow, rel);
    struct stat st;
    long n = stat(p, &st) == 0 ? (long)st.st_size : -1;
    free(p);
    return n;
}

/* Issue 10, attack 2: a thread started by step 1 tries every route to speak for
 * the kernel while step 2 runs, and keeps writing a file. */
static void test_thread_left_by_a_step_cannot_forge_step_results(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_executor *ex = own_sandbox(&F.cfg.container);
    lc_exec_result r;
    assert_int_equal(run_on(ex,
                            "import os, sys, threading, time, json, gc, signal\n"
                            "F = [(json.dumps(m) + '\\n').encode() for m in (\n"
                            "    {'kind': 'done', 'ok': True, 'has_final': True, 'final_answer': 'FORGED'},\n"
                            "    {'ev': 'done', 'id': 3, 'ok': True, 'has_final': True, 'final_answer': 'FORGED'})]\n"
                            "reached = []\n"
                            "NULL = os.stat('/dev/null')  # where the supervisor's own fd 0 and 1 point: nobody reads it\n"
                            "def attack():\n"
                            "    while True:\n"
                            "        for fd in range(64):\n"
                            "            for d in F:\n"
                            "                try: os.write(fd, d)\n"
                            "                except OSError: pass\n"
                            /* The supervisor's descriptors and those of the container's init
                             * (whose stdout is the host's end of the protocol too), per process
                             * and per thread, for writing and for reading (stealing commands). */
                            "        for d in ['/proc/%d' % p for p in (os.getppid(), 1)] + [\n"
                            "                '/proc/%d/task/%s' % (p, t) for p in (os.getppid(), 1) for t in os.listdir('/proc/%d/task' % p)]:\n"
                            "            for n in range(32):\n"
                            "                for mode in (os.O_WRONLY, os.O_RDONLY):\n"
                            "                    try:\n"
                            "                        fd = os.open('%s/fd/%d' % (d, n), mode | os.O_NONBLOCK)\n"
                            "                        if not os.path.samestat(os.fstat(fd), NULL): reached.append('%s/fd/%d' % (d, n))\n"
                            "                        if mode == os.O_WRONLY: os.write(fd, F[1])\n"
                            "                        os.close(fd)\n"
                            "                    except OSError: pass\n"
                            "            try: os.close(os.open(d + '/mem', os.O_RDONLY)); reached.append(d + '/mem')\n"
                            "            except OSError: pass\n"
                            "        for o in gc.get_objects():\n"
                            "            if callable(o) and getattr(o, '__name__', '') in ('send', '_send'):\n"
                            "                try: o({'ev': 'done', 'id': 3, 'ok': True, 'has_final': True, 'final_answer': 'FORGED'})\n"
                            "                except BaseException: pass\n"
                            "        for sig in (signal.SIGINT, signal.SIGCONT):\n"
                            "            try: os.kill(os.getppid(), sig)\n"
                            "            except OSError: pass\n"
                            "        with open('/workspace/ticks.txt', 'a') as f: f.write('x')\n"
                            "        time.sleep(0.005)\n"
                            "threading.Thread(target=attack, daemon=True).start()\n"
                            "time.sleep(0.3)\n",
                            0, &r),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    assert_int_equal(r.left_threads, 1);
    assert_non_null(strstr(r.notice, "left 1 thread running"));
    lc_exec_result_free(&r);
    long before = shadow_file_size("ticks.txt");
    assert_true(before > 0);
    usleep(500 * 1000); /* the model thinks, the user reviews: nothing of the sandbox runs */
    assert_int_equal(shadow_file_size("ticks.txt"), before);

    assert_int_equal(run_on(ex, "import time\nprint('real output of step 2')\ntime.sleep(0.3)\n'step2'", 0, &r), LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    assert_null(r.final_answer);
    assert_non_null(r.value_repr); /* NULL when a forged result was taken for step 2's */
    assert_string_equal(r.value_repr, "'step2'");
    assert_non_null(strstr(r.output, "real output of step 2\n"));
    assert_true(r.rejected_messages > 0);
    assert_non_null(strstr(r.notice, "refused"));
    lc_exec_result_free(&r);
    assert_true(shadow_file_size("ticks.txt") > before);

    assert_int_equal(run_on(ex, "reached", 0, &r), LC_OK);
    assert_string_equal(r.value_repr, "[]"); /* the supervisor's descriptors stayed closed */
    lc_exec_result_free(&r);
    lc_executor_destroy(ex);
    char *p = lc_path_join(F.shadow, "ticks.txt");
    unlink(p);
    free(p);
}

/* Issue 14: the supervisor runs under a uid of its own, so no step reaches its
 * descriptors even where non-dumpable is not enforced (gVisor); neither it nor
 * any step holds a capability, though the container starts as root with
 * CAP_SETUID and CAP_SETGID to make that split. Read from a step, in /proc. */
static void test_steps_and_supervisor_hold_no_capability(void **state)
{
    (void)state;
    NEED_ENGINE();
    uid_t uid;
    gid_t gid;
    lc_sandbox_user(&uid, &gid);
    lc_exec_result r;
    assert_int_equal(run(
                            "import os, subprocess\n"
                            "def ids(pid):\n"
                            "    d = {}\n"
                            "    for l in open('/proc/%s/status' % pid):\n"
                            "        k, _, v = l.partition(':')\n"
                            "        if k in ('Uid', 'CapEff', 'CapPrm', 'CapInh'): d[k] = v.split()\n"
                            "    return d\n"
                            "me, sup = ids('self'), ids(os.getppid())\n"
                            "child = subprocess.run(['cat', '/proc/self/status'], capture_output=True, text=True).stdout\n"
                            "kid = {l.split(':')[0]: l.split()[1] for l in child.splitlines() if l.startswith('Cap')}\n"
                            "print('step', me['Uid'], me['CapEff'][0], me['CapPrm'][0], me['CapInh'][0])\n"
                            "print('child', kid['CapEff'], kid['CapPrm'], kid['CapInh'])\n"
                            "print('supervisor', sup['Uid'], sup['CapEff'][0], sup['CapPrm'][0])\n"
                            "(me['Uid'], sup['Uid'])\n",
                            60, &r),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    fprintf(stderr, "%s", r.output);
    const char *zero = "0000000000000000";
    char want[256];
    snprintf(want, sizeof want, "step ['%d', '%d', '%d', '%d'] %s %s %s\n", (int)uid, (int)uid, (int)uid,
             (int)uid, zero, zero, zero);
    assert_non_null(strstr(r.output, want));
    snprintf(want, sizeof want, "child %s %s %s\n", zero, zero, zero);
    assert_non_null(strstr(r.output, want));
    /* The supervisor: real uid the worker's (so it can stop and kill the step's
     * processes), effective and saved uid another one, no capability. */
    snprintf(want, sizeof want, "supervisor ['%d', '", (int)uid);
    const char *sup = strstr(r.output, want);
    assert_non_null(sup);
    int ruid = -1, euid = -1, suid = -1;
    assert_int_equal(sscanf(sup, "supervisor ['%d', '%d', '%d'", &ruid, &euid, &suid), 3);
    assert_int_not_equal(euid, (int)uid);
    assert_int_equal(suid, euid);
    assert_int_not_equal(euid, 0);
    snprintf(want, sizeof want, "] %s %s\n", zero, zero);
    assert_non_null(strstr(sup, want));
    lc_exec_result_free(&r);
}

/* io_uring's system calls fail with ENOSYS for a step and for every process it
 * starts, whatever the engine's own seccomp profile allows: the kernel's worker
 * installs a filter of its own (kernel.py, _close_io_uring). */
static void test_io_uring_is_closed_to_steps(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_exec_result r;
    assert_int_equal(run("import ctypes, errno, subprocess, sys\n"
                         "TRY = ('import ctypes, errno, os\\n'\n"
                         "       'libc = ctypes.CDLL(None, use_errno=True)\\n'\n"
                         "       'params = ctypes.create_string_buffer(120)\\n'\n"
                         "       'fd = libc.syscall(425, 8, params)\\n'\n"
                         "       'print(\"open\" if fd >= 0 else errno.errorcode[ctypes.get_errno()])\\n')\n"
                         "exec(TRY)\n"
                         "kid = subprocess.run([sys.executable, '-c', TRY], capture_output=True, text=True)\n"
                         "print('child', kid.stdout.strip(), kid.stderr.strip())\n"
                         "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('Seccomp:')])\n",
                         60, &r),
                     LC_OK);
    if (r.status != LC_STEP_OK || strcmp(r.output, "ENOSYS\nchild ENOSYS \n['2']\n") != 0)
        fail_msg("status %d, output:\n%s\n%s", r.status, r.output, r.error_message ? r.error_message : "");
    lc_exec_result_free(&r);
}

/* A process the step ended itself is not "left running", even when the sweep
 * catches it on its way out (pipes closed, not yet a zombie): the demo's
 * `os.popen(...).read()` was reported as a killed process about every other run.
 * A process really left running is counted. */
static void test_only_processes_left_running_are_reported(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_executor *ex = own_sandbox(&F.cfg.container);
    lc_exec_result r;
    for (int i = 0; i < 25; i++) {
        assert_int_equal(run_on(ex, "import os\nprint(os.popen('python3 -c \"print(42)\" 2>&1').read())\n", 0, &r),
                         LC_OK);
        assert_int_equal(r.status, LC_STEP_OK);
        assert_non_null(strstr(r.output, "42"));
        assert_int_equal(r.killed_processes, 0);
        assert_null(r.notice ? strstr(r.notice, "process") : NULL);
        lc_exec_result_free(&r);
    }
    assert_int_equal(run_on(ex, "import subprocess\nsubprocess.Popen(['sleep', '100'])\n", 0, &r), LC_OK);
    assert_int_equal(r.killed_processes, 1);
    assert_non_null(strstr(r.notice, "left 1 process running"));
    lc_exec_result_free(&r);
    lc_executor_destroy(ex);
}

/* Issue 10, attack 3: a thread writes into the shadow while no step runs. It is
 * frozen between steps, so the shadow cannot grow (or change under a review),
 * and the cap stops it as soon as it runs again. */
static void test_writer_left_running_is_frozen_and_capped(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_container_config cc;
    lc_container_config_copy(&cc, &F.cfg.container);
    cc.shadow_cap_bytes = 5LL << 20;
    lc_executor *ex = own_sandbox(&cc);
    lc_exec_result r;
    assert_int_equal(run_on(ex,
                            "import threading, time\n"
                            "def grow():\n"
                            "    with open('/workspace/grow.bin', 'ab') as f:\n"
                            "        while True:\n"
                            "            f.write(b'0' * (256 << 10)); f.flush(); time.sleep(0.02)\n"
                            "threading.Thread(target=grow, daemon=True).start()\n",
                            0, &r),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    assert_int_equal(r.left_threads, 1);
    lc_exec_result_free(&r);
    long before = shadow_file_size("grow.bin");
    sleep(2);
    assert_int_equal(shadow_file_size("grow.bin"), before);
    assert_true(before < (5L << 20));

    assert_int_equal(run_on(ex, "import time\ntime.sleep(60)\n", 90, &r), LC_OK);
    assert_int_equal(r.status, LC_STEP_SHADOW_LIMIT);
    lc_exec_result_free(&r);
    long after = shadow_file_size("grow.bin");
    sleep(1);
    assert_int_equal(shadow_file_size("grow.bin"), after);
    lc_executor_destroy(ex);
    lc_container_config_free(&cc);
    char *p = lc_path_join(F.shadow, "grow.bin");
    unlink(p);
    free(p);
}

/* Issue 17: a NUL is shown escaped (not a cut), and 200,000 lines finish with
 * the skipping said live. */
static void test_nul_bytes_and_200000_lines(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_exec_result r;
    assert_int_equal(run("import os\nprint('before\\x00after', flush=True)\nos.write(1, bytes(range(0, 4)) + b'\\n')\n", 0, &r),
                     LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    assert_string_equal(r.output, "before\\x00after\n\\x00\x01\x02\x03\n");
    assert_non_null(strstr(lc_buf_cstr(&F.seen), "before\\x00after"));
    lc_exec_result_free(&r);

    assert_int_equal(run("for i in range(200000):\n    print('line', i)\n", 120, &r), LC_OK);
    assert_int_equal(r.status, LC_STEP_OK);
    assert_true(r.truncated);
    assert_true(lc_str_ends_with(r.output, "line 199999\n"));
    assert_non_null(strstr(r.output, "bytes of output omitted"));
    assert_non_null(strstr(lc_buf_cstr(&F.seen), "is being skipped"));
    lc_exec_result_free(&r);
}

static int count_session_containers(const char *session)
{
    lc_strv ids = LC_STRV_INIT;
    lc_err err = {0};
    assert_int_equal(lc_engine_list_session(F.engine, session, &ids, &err), LC_OK);
    int n = (int)ids.n;
    lc_strv_free(&ids);
    return n;
}

static bool wait_no_containers(const char *session, int seconds)
{
    for (int i = 0; i < seconds * 10; i++) {
        if (count_session_containers(session) == 0)
            return true;
        lc_sleep_ms(100);
    }
    return false;
}

static void test_no_container_left_after_stop(void **state)
{
    (void)state;
    NEED_ENGINE();
    char stop_id[64]; /* per process: other checkouts may share the daemon */
    snprintf(stop_id, sizeof stop_id, "stop-test-%d", (int)getpid());
    lc_executor *ex = NULL;
    lc_err err = {0};
    lc_sandbox_opts so = {&F.cfg.container, F.shadow, stop_id, F.engine, NULL};
    assert_int_equal(lc_sandbox_new(&so, &ex, &err), LC_OK);
    assert_int_equal(lc_executor_start(ex, &err), LC_OK);
    assert_int_equal(count_session_containers(stop_id), 1);
    lc_executor_destroy(ex);
    assert_true(wait_no_containers(stop_id, 15));
}

static void test_host_killed_then_sweep_on_next_start(void **state)
{
    (void)state;
    NEED_ENGINE();
    char killed_id[64]; /* per process: other checkouts may share the daemon */
    snprintf(killed_id, sizeof killed_id, "killed-test-%d", (int)getpid());
    /* A child process plays a litecode session and is SIGKILLed. */
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(pfd[0]);
        lc_executor *ex = NULL;
        lc_err err = {0};
        lc_sandbox_opts so = {&F.cfg.container, F.shadow, killed_id, F.engine, NULL};
        if (lc_sandbox_new(&so, &ex, &err) != LC_OK || lc_executor_start(ex, &err) != LC_OK) {
            fprintf(stderr, "child: %s\n", err.msg);
            _exit(1);
        }
        (void)!write(pfd[1], "R", 1);
        for (;;)
            pause();
    }
    close(pfd[1]);
    char c = 0;
    if (read(pfd[0], &c, 1) != 1)
        fail_msg("the child session did not start its sandbox");
    close(pfd[0]);
    assert_int_equal(count_session_containers(killed_id), 1);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    /* The kernel sees stdin close and exits; the container (run without
     * --rm, so that how it ended can be asked) is removed by the sweep at
     * the next start, by label and owner pid. */
    lc_strv removed = LC_STRV_INIT;
    lc_err err = {0};
    assert_int_equal(lc_engine_sweep(F.engine, &removed, &err), LC_OK);
    bool gone = wait_no_containers(killed_id, 15);
    assert_true(gone);
    lc_strv_free(&removed);
}

static void test_sweep_removes_dead_sessions_only(void **state)
{
    (void)state;
    NEED_ENGINE();
    char live_id[64]; /* per process: other checkouts may share the daemon */
    snprintf(live_id, sizeof live_id, "sweep-live-%d", (int)getpid());
    char dead_id[64]; /* per process: other checkouts may share the daemon */
    snprintf(dead_id, sizeof dead_id, "sweep-dead-%d", (int)getpid());
    /* A live session (this process) and a dead one (a reaped child's pid). */
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    char host[256], boot[64];
    gethostname(host, sizeof host);
    lc_buf b = LC_BUF_INIT;
    lc_err err = {0};
    assert_int_equal(lc_file_read("/proc/sys/kernel/random/boot_id", 128, &b, &err), LC_OK);
    snprintf(boot, sizeof boot, "%.36s", lc_buf_cstr(&b));
    lc_buf_free(&b);
    const char *sessions[2] = {live_id, dead_id};
    pid_t pids[2] = {getpid(), dead};
    for (int i = 0; i < 2; i++) {
        lc_strv a = LC_STRV_INIT;
        lc_engine_argv(F.engine, &a, "run");
        lc_strv_push(&a, "-d");
        lc_strv_push(&a, "--network=none");
        lc_strv_push(&a, "--ulimit=nofile=1024:1024"); /* podman's default exceeds some hosts' limit */
        lc_strv_push(&a, "--ulimit=nproc=1024:1024");
        lc_strv_pushf(&a, "--label=litecode.session=%s", sessions[i]);
        lc_strv_pushf(&a, "--label=litecode.pid=%d", (int)pids[i]);
        lc_strv_pushf(&a, "--label=litecode.pidstart=%llu",
                      (unsigned long long)(i == 0 ? lc_pid_start_ticks(getpid()) : 1));
        lc_strv_pushf(&a, "--label=litecode.host=%s", host);
        lc_strv_pushf(&a, "--label=litecode.boot=%s", boot);
        lc_strv_push(&a, F.cfg.container.image);
        lc_strv_push(&a, "sleep");
        lc_strv_push(&a, "120");
        lc_proc_result res = LC_PROC_RESULT_INIT;
        assert_int_equal(lc_proc_run((const char *const *)a.v, NULL, 0, 60000, 1 << 16, &res, &err), LC_OK);
        if (res.exit_code != 0)
            fail_msg("manual run: %s", lc_buf_cstr(&res.err));
        lc_proc_result_free(&res);
        lc_strv_free(&a);
    }
    lc_strv removed = LC_STRV_INIT;
    assert_int_equal(lc_engine_sweep(F.engine, &removed, &err), LC_OK);
    assert_int_equal(count_session_containers(dead_id), 0);
    assert_int_equal(count_session_containers(live_id), 1);
    lc_strv_free(&removed);
    /* Clean up the live one by hand. */
    lc_strv ids = LC_STRV_INIT;
    lc_engine_list_session(F.engine, live_id, &ids, &err);
    for (size_t i = 0; i < ids.n; i++) {
        const char *rm[] = {lc_engine_name(F.engine), "rm", "-f", ids.v[i], NULL};
        lc_proc_result res = LC_PROC_RESULT_INIT;
        lc_proc_run(rm, NULL, 0, 30000, 1 << 16, &res, &err);
        lc_proc_result_free(&res);
    }
    lc_strv_free(&ids);
}

static void test_check_reports_every_limit(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_buf out = LC_BUF_INIT;
    lc_err err = {0};
    /* With a user's default imports (this fixture allows every one): the probe is not held to them. */
    lc_container_config user;
    lc_container_config_copy(&user, &F.cfg.container);
    lc_config dflt;
    lc_config_defaults(&dflt);
    lc_strv_clear(&user.authorized_imports);
    for (size_t i = 0; i < dflt.container.authorized_imports.n; i++)
        lc_strv_push(&user.authorized_imports, dflt.container.authorized_imports.v[i]);
    lc_config_free(&dflt);
    int rc = lc_exec_check(&user, &out, &err);
    lc_container_config_free(&user);
    fprintf(stderr, "%s", lc_buf_cstr(&out));
    assert_int_equal(rc, LC_OK);
    /* Under a sandboxing runtime (LITECODE_RUNTIME=runsc) the pids limit is not visible inside: said. */
    bool runtime = F.cfg.container.runtime != NULL;
    const char *expect[] = {"ok    engine ", "ok    image ", "ok    kernel ready in", "ok    memory limit 1g",
                            runtime ? "warn  pids limit 256 set on the" : "ok    pids limit 256",
                            "ok    network none (interfaces: lo)",
                            "ok    capabilities dropped", "ok    runs as a non-root user",
                            "ok    kernel protocol out of the steps' reach (supervisor uid 999, steps uid ",
                            "ok    root filesystem read-only", "ok    /workspace writable",
                            "ok    io_uring closed to step code (ENOSYS)"};
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        if (!strstr(lc_buf_cstr(&out), expect[i]))
            fail_msg("missing: %s", expect[i]);
    assert_null(strstr(lc_buf_cstr(&out), "FAIL"));
    /* A missing image is named with the remedy. */
    lc_container_config cc;
    lc_container_config_copy(&cc, &F.cfg.container);
    free(cc.image);
    cc.image = lc_xstrdup("litecode-no-such-image:0");
    out.len = 0;
    assert_int_equal(lc_exec_check(&cc, &out, &err), LC_ENOTFOUND);
    assert_non_null(strstr(lc_buf_cstr(&out), "FAIL  image litecode-no-such-image:0"));
    /* Here: a user's own image is theirs to build or pull (litecode's build script only makes
     * litecode's); on an engine elsewhere: build or pull it there, or into this machine's engine. */
    const char *dh = getenv("DOCKER_HOST"), *ch = getenv("CONTAINER_HOST");
    bool elsewhere = (dh && *dh && strcmp(dh, "unix:///var/run/docker.sock") != 0) || (ch && *ch);
    assert_non_null(strstr(lc_buf_cstr(&out), elsewhere ? "build or pull it on the remote engine"
                                                        : "(container.image or --image) is not in"));
    assert_null(strstr(lc_buf_cstr(&out), "build it with scripts/build-image.sh"));
    lc_container_config_free(&cc);
    lc_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_persists_between_steps),
        cmocka_unit_test(test_engine_without_this_machines_files_is_remembered),
        cmocka_unit_test(test_stdout_and_stderr_stream_in_order),
        cmocka_unit_test(test_exception_has_type_line_and_traceback),
        cmocka_unit_test(test_syntax_error_is_caught_by_check),
        cmocka_unit_test(test_final_answer_survives_except_exception),
        cmocka_unit_test(test_unauthorized_import_lists_allowed),
        cmocka_unit_test(test_host_tool_call_round_trip),
        cmocka_unit_test(test_infinite_loop_is_interrupted_and_state_kept),
        cmocka_unit_test(test_user_interrupt_keeps_state),
        cmocka_unit_test(test_step_ignoring_sigint_is_killed_and_restarted),
        cmocka_unit_test(test_memory_bomb_is_reported_and_session_continues),
        cmocka_unit_test(test_kill_between_steps_restarts_before_the_next),
        cmocka_unit_test(test_kill_during_a_step_is_not_called_out_of_memory),
        cmocka_unit_test(test_host_tool_time_counts_except_waiting_for_the_user),
        cmocka_unit_test(test_fork_bomb_is_contained),
        cmocka_unit_test(test_no_network),
        cmocka_unit_test(test_fifty_megabytes_of_output_are_capped),
        cmocka_unit_test(test_writes_land_in_shadow_never_in_original),
        cmocka_unit_test(test_git_history_is_borrowed_read_only),
        cmocka_unit_test(test_original_directory_is_not_visible),
        cmocka_unit_test(test_root_filesystem_is_read_only),
        cmocka_unit_test(test_shadow_growth_cap_stops_the_step),
        cmocka_unit_test(test_read_only_workspace_refuses_writes),
        cmocka_unit_test(test_each_template_imports_work_in_its_image),
        cmocka_unit_test(test_no_container_left_after_stop),
        cmocka_unit_test(test_host_killed_then_sweep_on_next_start),
        cmocka_unit_test(test_sweep_removes_dead_sessions_only),
        cmocka_unit_test(test_check_reports_every_limit),
        cmocka_unit_test(test_thread_left_by_a_step_cannot_forge_step_results),
        cmocka_unit_test(test_steps_and_supervisor_hold_no_capability),
        cmocka_unit_test(test_io_uring_is_closed_to_steps),
        cmocka_unit_test(test_step_that_ends_its_own_process_is_told_so),
        cmocka_unit_test(test_writer_left_running_is_frozen_and_capped),
        cmocka_unit_test(test_only_processes_left_running_are_reported),
        cmocka_unit_test(test_nul_bytes_and_200000_lines),
    };
    /* One test by name: scripts/test.sh's ml phase runs the ml image's imports once that
     * image is built; LC_TEST_FILTER is the older name, kept for hands used to it. */
    const char *only = getenv("LITECODE_TEST_ONLY") ? getenv("LITECODE_TEST_ONLY") : getenv("LC_TEST_FILTER");
    if (only)
        cmocka_set_test_filter(only);
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
