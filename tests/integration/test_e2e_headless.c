/* End to end, as a user runs it: the real litecode-tui binary in headless
 * mode, the real OpenAI streaming protocol from the mock server on
 * 127.0.0.1, a real container. The agent edits a file; the original stays
 * untouched until --apply. */
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2e.h"

static const char *const SECRET = "sk-test-e2e-9f8e7d6c5b4a";

/* One OpenAI streaming response with tool calls: names[i] called with
 * args[i] (JSON text), ids call_1, call_2, ...; each call's arguments come
 * in two pieces, as real servers split them. */
static void add_tool_response(lc_buf *script, int n, const char *const *names, const char *const *args)
{
    lc_buf_puts(script, "@response 200\n@header Content-Type: text/event-stream\n@body\n");
    for (int i = 0; i < n; i++) {
        size_t half = strlen(args[i]) / 2;
        char *first = lc_xstrndup(args[i], half);
        cJSON *a = cJSON_CreateString(first), *b = cJSON_CreateString(args[i] + half);
        char *ja = lc_json_print(a), *jb = lc_json_print(b);
        lc_buf_printf(script,
                      "data: {\"id\":\"e2e\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":%d,"
                      "\"id\":\"call_%d\",\"type\":\"function\",\"function\":{\"name\":\"%s\",\"arguments\":%s}}]},"
                      "\"finish_reason\":null}]}\n\n",
                      i, i + 1, names[i], ja);
        lc_buf_printf(script,
                      "data: {\"id\":\"e2e\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":%d,"
                      "\"function\":{\"arguments\":%s}}]},\"finish_reason\":null}]}\n\n",
                      i, jb);
        free(ja);
        free(jb);
        cJSON_Delete(a);
        cJSON_Delete(b);
        free(first);
    }
    lc_buf_puts(script, "data: {\"id\":\"e2e\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n");
    lc_buf_puts(script, "data: [DONE]\n\n");
}

typedef struct run {
    int exit_code;
    char *out;
    char *err;
} run;

static void run_binary(const char *top, const char *project, const char *url, const char *extra, run *r)
{
    const char *bin = getenv("LITECODE_TUI");
    assert_non_null(bin);
    setenv("OPENAI_API_KEY", SECRET, 1);
    char *patch = lc_path_join(top, "change.patch");
    const char *argv[] = {bin, "--headless", "--yes", "--dir", project, "--model", "openai/e2e-model", "--base-url", url,
                          "--patch-out", patch, extra, "Fix the bugs in inventory.py", NULL};
    if (!extra) /* keep the array shape: drop the NULL hole */
        argv[11] = "Fix the bugs in inventory.py", argv[12] = NULL;
    lc_proc_result res = LC_PROC_RESULT_INIT;
    run_argv(argv, &res);
    r->exit_code = res.exit_code;
    r->out = lc_buf_detach(&res.out);
    r->err = lc_buf_detach(&res.err);
    lc_proc_result_free(&res);
    /* --patch-out wrote the change set as a patch. */
    char *p = lc_test_read(top, "change.patch");
    assert_non_null(p);
    assert_non_null(strstr(p, "+        total += item[\"price\"] * item[\"quantity\"]"));
    free(p);
    free(patch);
}

/* A throwaway home for one test (e2e.h) whose project is a copy of the demo project. */
static void home_at(home *h, const char *tag)
{
    home_open(h, tag);
    char *src = lc_xasprintf("%s/examples/demo/project", getenv("LC_SOURCE_DIR"));
    lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_shadow_copy(src, h->project, (uid_t)-1, (gid_t)-1, &rep, &err), LC_OK);
    lc_shadow_report_free(&rep);
    free(src);
}

static mock_server *start_model(void)
{
    lc_buf script = LC_BUF_INIT;
    add_response(&script, "Thought: fix the multiplication.\n```python\n"
                          "src = open('inventory.py').read()\n"
                          "src = src.replace('item[\"price\"] + item[\"quantity\"]', 'item[\"price\"] * item[\"quantity\"]')\n"
                          "open('inventory.py', 'w').write(src)\n"
                          "print('patched')\n```");
    add_response(&script, "```python\nfinal_answer('total_value now multiplies price by quantity')\n```");
    mock_server *m = NULL;
    assert_int_equal(mock_server_start_script(lc_buf_cstr(&script), &m), 0);
    lc_buf_free(&script);
    return m;
}

static void test_headless_edits_shadow_not_original(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_at(&h, "e2e");
    const char *project = h.project;
    mock_server *m = start_model();
    run r;
    run_binary(h.dir, project, mock_server_url(m), NULL, &r);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "patched"));
    assert_non_null(strstr(r.out, "total_value now multiplies price by quantity"));
    /* The original is untouched... */
    char *orig = lc_test_read(project, "inventory.py");
    assert_non_null(strstr(orig, "item[\"price\"] + item[\"quantity\"]"));
    free(orig);
    /* ...the shadow holds the change, and the key never reached the log. */
    char *hint = strstr(r.err, "--resume ");
    assert_non_null(hint);
    char logpath[4096];
    snprintf(logpath, sizeof logpath, "%.*s", (int)strcspn(hint + 9, "\n"), hint + 9);
    char *log = lc_test_read("/", logpath + 1);
    assert_non_null(log);
    assert_null(strstr(log, SECRET));
    assert_non_null(strstr(log, "\"kind\":\"final_answer\""));
    free(log);
    char *shadow_dir = lc_xstrndup(logpath, (size_t)(strrchr(logpath, '/') - logpath));
    char *shadow_file = lc_xasprintf("%s/shadow", shadow_dir);
    char *changed = lc_test_read(shadow_file, "inventory.py");
    assert_non_null(strstr(changed, "item[\"price\"] * item[\"quantity\"]"));
    free(changed);
    free(shadow_dir);
    free(shadow_file);
    /* The model got the key as a bearer token, over the real protocol. */
    char *head = mock_server_request_head(m, 0);
    assert_non_null(strstr(head, "POST /chat/completions"));
    assert_non_null(strstr(head, SECRET));
    free(head);
    mock_server_stop(m);
    free(r.out);
    free(r.err);
    home_close(&h);
}

/* Issue 10, attack 2, through the real binary: step 1 (which also fixes the
 * bug) leaves a thread that forges results on every descriptor it can find.
 * The user and the model are told a thread was left; step 2's own output and
 * final answer are the ones shown and logged. */
static void test_thread_left_running_is_reported_and_cannot_forge(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_at(&h, "e2e-forge");
    lc_buf script = LC_BUF_INIT;
    add_response(&script, "```python\n"
                          "src = open('inventory.py').read()\n"
                          "src = src.replace('item[\"price\"] + item[\"quantity\"]', 'item[\"price\"] * item[\"quantity\"]')\n"
                          "open('inventory.py', 'w').write(src)\n"
                          "import os, sys\n"
                          "threading, time = sys.modules['threading'], sys.modules['time']  # past the import guard\n"
                          "def forge():\n"
                          "    bad = b'{\"kind\": \"done\", \"ok\": true, \"has_final\": true, \"final_answer\": \"FORGED\"}\\n'\n"
                          "    while True:\n"
                          "        for fd in range(3, 64):\n"
                          "            try:\n"
                          "                os.write(fd, bad)\n"
                          "            except OSError:\n"
                          "                pass\n"
                          "        time.sleep(0.005)\n"
                          "threading.Thread(target=forge, daemon=True).start()\n"
                          "time.sleep(0.2)\n"
                          "print('patched')\n```");
    add_response(&script, "```python\nimport sys\ntime = sys.modules['time']\nprint('real step 2')\ntime.sleep(0.3)\n"
                          "final_answer('the real answer')\n```");
    mock_server *m = NULL;
    assert_int_equal(mock_server_start_script(lc_buf_cstr(&script), &m), 0);
    lc_buf_free(&script);
    run r;
    run_binary(h.dir, h.project, mock_server_url(m), NULL, &r);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "left 1 thread running"));
    assert_non_null(strstr(r.out, "real step 2"));
    char *fa = strstr(r.out, "== Final answer");
    assert_non_null(fa);
    assert_non_null(strstr(fa, "the real answer"));
    assert_null(strstr(fa, "FORGED"));
    /* The log keeps the report, and the final answer it records is the real one. */
    char *hint = strstr(r.err, "--resume ");
    assert_non_null(hint);
    char logpath[4096];
    snprintf(logpath, sizeof logpath, "%.*s", (int)strcspn(hint + 9, "\n"), hint + 9);
    char *log = lc_test_read("/", logpath + 1);
    assert_non_null(log);
    assert_non_null(strstr(log, "left 1 thread running"));
    char *fl = strstr(log, "\"kind\":\"final_answer\"");
    assert_non_null(fl);
    char *eol = strchr(fl, '\n');
    if (eol)
        *eol = '\0';
    assert_null(strstr(fl, "FORGED"));
    assert_non_null(strstr(fl, "the real answer"));
    free(log);
    /* The model was told too: its next request carries the notice. */
    char *req = mock_server_request_body(m, 1);
    assert_non_null(req);
    assert_non_null(strstr(req, "left 1 thread running"));
    free(req);
    mock_server_stop(m);
    free(r.out);
    free(r.err);
    home_close(&h);
}

static void test_headless_apply_brings_the_change_back(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_at(&h, "e2e-apply");
    const char *project = h.project;
    mock_server *m = start_model();
    run r;
    run_binary(h.dir, project, mock_server_url(m), "--apply", &r);
    assert_int_equal(r.exit_code, 0);
    char *orig = lc_test_read(project, "inventory.py");
    assert_non_null(strstr(orig, "item[\"price\"] * item[\"quantity\"]"));
    assert_null(strstr(orig, "item[\"price\"] + item[\"quantity\"]"));
    free(orig);
    mock_server_stop(m);
    free(r.out);
    free(r.err);
    home_close(&h);
}

/* The tool-calling agent (agent.type in the user's config) against the real
 * protocol and a real container: two python_executor calls in one reply run
 * in order in the same kernel, each answer goes back under its call id, and
 * final_answer as a tool ends the run. */
static void test_tool_calling_agent_end_to_end(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_at(&h, "e2e-tools");
    char *cfgdir = lc_path_join(getenv("XDG_CONFIG_HOME"), "litecode");
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(cfgdir, 0700, &err), LC_OK);
    lc_test_write(cfgdir, "config.yaml", "agent:\n  type: tool_calling\n");
    lc_buf script = LC_BUF_INIT;
    const char *names1[] = {"python_executor", "python_executor"};
    const char *args1[] = {
        "{\"code\": \"src = open('inventory.py').read()\\nfixed = src.replace('item[\\\"price\\\"] + "
        "item[\\\"quantity\\\"]', 'item[\\\"price\\\"] * item[\\\"quantity\\\"]')\\n"
        "open('inventory.py', 'w').write(fixed)\\nprint('patched', fixed != src)\"}",
        "{\"code\": \"print('state kept:', fixed.count('*'))\"}"};
    add_tool_response(&script, 2, names1, args1);
    const char *names2[] = {"final_answer"};
    const char *args2[] = {"{\"answer\": \"fixed by two tool calls\"}"};
    add_tool_response(&script, 1, names2, args2);
    mock_server *m = NULL;
    assert_int_equal(mock_server_start_script(lc_buf_cstr(&script), &m), 0);
    lc_buf_free(&script);
    run r;
    run_binary(h.dir, h.project, mock_server_url(m), NULL, &r);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "patched True"));
    assert_non_null(strstr(r.out, "state kept: 2"));
    assert_non_null(strstr(r.out, "== Final answer\nfixed by two tool calls"));
    char *p = lc_test_read(h.dir, "change.patch");
    assert_non_null(strstr(p, "+        total += item[\"price\"] * item[\"quantity\"]"));
    free(p);
    char *orig = lc_test_read(h.project, "inventory.py");
    assert_non_null(strstr(orig, "item[\"price\"] + item[\"quantity\"]")); /* untouched */
    free(orig);
    /* The second request carries both answers, each under its call id, and
     * the tools were offered as JSON-schema functions. */
    assert_int_equal(mock_server_nrequests(m), 2);
    char *b0 = mock_server_request_body(m, 0);
    assert_non_null(strstr(b0, "\"name\":\"python_executor\""));
    assert_non_null(strstr(b0, "\"parameters\""));
    free(b0);
    char *b1 = mock_server_request_body(m, 1);
    const char *t1 = strstr(b1, "\"tool_call_id\":\"call_1\"");
    const char *t2 = strstr(b1, "\"tool_call_id\":\"call_2\"");
    assert_non_null(t1);
    assert_non_null(t2);
    assert_true(t1 < t2);
    assert_non_null(strstr(b1, "patched True"));
    free(b1);
    mock_server_stop(m);
    free(r.out);
    free(r.err);
    free(cfgdir);
    home_close(&h);
}

static void test_resume_continues_where_the_session_stopped(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_at(&h, "e2e-resume");
    const char *project = h.project;
    const char *bin = getenv("LITECODE_TUI");
    /* The bundled demo (no model configured): run step 1, stop at step 2. */
    const char *first[] = {bin, "--headless", "--dir", project, NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_proc_run(first, "r\ns\n", 4, 120000, 1 << 20, &res, &err), LC_OK);
    assert_int_equal(res.exit_code, 3); /* stopped by the user */
    const char *hint = strstr(lc_buf_cstr(&res.err), "--resume ");
    assert_non_null(hint);
    char *log = lc_xstrndup(hint + 9, strcspn(hint + 9, "\n"));
    lc_proc_result_free(&res);
    /* Resumed without --dir or --model: both come from the log. */
    const char *again[] = {bin, "--headless", "--yes", "--resume", log, NULL};
    res = (lc_proc_result)LC_PROC_RESULT_INIT;
    assert_int_equal(lc_proc_run(again, NULL, 0, 120000, 1 << 20, &res, &err), LC_OK);
    fprintf(stderr, "%s%s", lc_buf_cstr(&res.out), lc_buf_cstr(&res.err));
    assert_int_equal(res.exit_code, 0);
    assert_non_null(strstr(lc_buf_cstr(&res.out), "Fixed two bugs in inventory.py"));
    assert_null(strstr(lc_buf_cstr(&res.out), "Step 1/")); /* not replayed from the start */
    lc_proc_result_free(&res);
    char *orig = lc_test_read(project, "inventory.py");
    assert_non_null(strstr(orig, "item[\"price\"] + item[\"quantity\"]")); /* untouched */
    free(orig);
    /* "last" finds that log from the project's directory. */
    const char *report[] = {bin, "--report", "last", "--dir", project, NULL};
    res = (lc_proc_result)LC_PROC_RESULT_INIT;
    assert_int_equal(lc_proc_run(report, NULL, 0, 60000, 1 << 20, &res, &err), LC_OK);
    assert_int_equal(res.exit_code, 0);
    char *line = lc_xasprintf("- Log: %s\n", log);
    assert_non_null(strstr(lc_buf_cstr(&res.out), line));
    assert_non_null(strstr(lc_buf_cstr(&res.out), "*Session resumed from "));
    free(line);
    lc_proc_result_free(&res);
    /* A directory without sessions: say so, and what to give instead. */
    const char *none[] = {bin, "--headless", "--resume", "last", "--dir", h.dir, NULL};
    res = (lc_proc_result)LC_PROC_RESULT_INIT;
    assert_int_equal(lc_proc_run(none, NULL, 0, 60000, 1 << 20, &res, &err), LC_OK);
    assert_int_equal(res.exit_code, 1);
    assert_non_null(strstr(lc_buf_cstr(&res.err), "--resume last: no session of "));
    assert_non_null(strstr(lc_buf_cstr(&res.err), "(there are sessions of other directories)"));
    lc_proc_result_free(&res);
    free(log);
    home_close(&h);
}

/* No model configured, --dir elsewhere and a task: the demo runs on its own
 * fresh copy of the example project, says it set both aside, and applying
 * its fix (--apply) changes that copy, never the user's directory or the
 * bundled files. */
static void test_demo_sets_other_dir_aside(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_at(&h, "e2e-demo-aside");
    char *mine = lc_path_join(h.dir, "mine");
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(mine, 0755, &err), LC_OK);
    lc_test_write(mine, "calc.py", "def add(a, b):\n    return a - b\n");
    const char *bin = getenv("LITECODE_TUI");
    const char *argv[] = {bin, "--headless", "--yes", "--apply", "--dir", mine, "make add add", NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    assert_int_equal(lc_proc_run(argv, NULL, 0, 120000, 1 << 20, &res, &err), LC_OK);
    const char *e = lc_buf_cstr(&res.err);
    if (res.exit_code != 0)
        fprintf(stderr, "%s%s", lc_buf_cstr(&res.out), e);
    assert_int_equal(res.exit_code, 0);
    assert_non_null(strstr(e, "This is the bundled demo"));
    char *aside = lc_xasprintf("--dir %s is not used: the recording only fits its own example project.", mine);
    assert_non_null(strstr(e, aside));
    assert_non_null(strstr(e, "Your task is not used"));
    assert_non_null(strstr(lc_buf_cstr(&res.out), "Fixed two bugs in inventory.py"));
    /* The fix went to the demo's copy under the XDG state dir. */
    const char *at = strstr(e, "a fresh copy of the example project in ");
    assert_non_null(at);
    at += strlen("a fresh copy of the example project in ");
    char *copy = lc_xstrndup(at, strcspn(at, ";"));
    assert_true(lc_str_starts_with(copy, h.dir));
    char *fixed = lc_test_read(copy, "inventory.py");
    assert_non_null(strstr(fixed, "item[\"price\"] * item[\"quantity\"]"));
    char *bundled_path = lc_xasprintf("%s/examples/demo/project", getenv("LC_SOURCE_DIR"));
    char *bundled = lc_test_read(bundled_path, "inventory.py");
    assert_non_null(strstr(bundled, "item[\"price\"] + item[\"quantity\"]")); /* untouched */
    char *calc = lc_test_read(mine, "calc.py");
    assert_string_equal(calc, "def add(a, b):\n    return a - b\n");
    /* A mistyped --dir is an error, demo or not: nothing runs. */
    lc_proc_result_free(&res);
    char *typo = lc_path_join(h.dir, "mien");
    const char *bad[] = {bin, "--headless", "--yes", "--dir", typo, NULL};
    res = (lc_proc_result)LC_PROC_RESULT_INIT;
    assert_int_equal(lc_proc_run(bad, NULL, 0, 60000, 1 << 20, &res, &err), LC_OK);
    assert_int_equal(res.exit_code, 2); /* bad usage, found before anything starts */
    char *says = lc_xasprintf("--dir %s: No such file or directory", typo);
    assert_non_null(strstr(lc_buf_cstr(&res.err), says));
    assert_null(strstr(lc_buf_cstr(&res.err), "bundled demo"));
    free(says);
    free(typo);
    free(calc);
    free(bundled);
    free(bundled_path);
    free(fixed);
    free(copy);
    free(aside);
    lc_proc_result_free(&res);
    free(mine);
    home_close(&h);
}

static void test_sigterm_while_waiting_ends_cleanly(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_at(&h, "e2e-term");
    const char *project = h.project;
    const char *argv[] = {getenv("LITECODE_TUI"), "--headless", "--dir", project, NULL};
    lc_proc_opts po = LC_PROC_OPTS_INIT;
    po.argv = argv;
    po.pipe_stdin = true; /* nobody answers: it waits at the first question */
    po.pipe_stdout = true;
    lc_proc *p = NULL;
    lc_err err = {0};
    assert_int_equal(lc_proc_spawn(&po, &p, &err), LC_OK);
    char buf[4096];
    lc_buf out = LC_BUF_INIT;
    int64_t deadline = lc_now_ms() + 60000;
    while (!strstr(lc_buf_cstr(&out), "Run this step?") && lc_now_ms() < deadline) {
        ssize_t n = read(lc_proc_stdout(p), buf, sizeof buf);
        if (n <= 0)
            break;
        lc_buf_append(&out, buf, (size_t)n);
    }
    assert_non_null(strstr(lc_buf_cstr(&out), "Run this step?"));
    char filter[64];
    snprintf(filter, sizeof filter, "label=litecode.pid=%d", (int)lc_proc_pid(p));
    int64_t t0 = lc_now_ms();
    lc_proc_signal(p, SIGTERM);
    int ws = 0;
    assert_int_equal(lc_proc_wait(p, 10000, &ws), LC_OK);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 3); /* stopped */
    assert_true(lc_now_ms() - t0 < 4000); /* at once, not through the forced path */
    lc_proc_free(p);
    lc_config cfg;
    lc_config_defaults(&cfg);
    lc_engine *e = lc_test_engine_open(&cfg.container);
    lc_strv a = LC_STRV_INIT;
    lc_engine_argv(e, &a, "ps");
    lc_strv_push(&a, "-aq");
    lc_strv_push(&a, "--filter");
    lc_strv_push(&a, filter);
    lc_proc_result res = LC_PROC_RESULT_INIT;
    assert_int_equal(lc_proc_run((const char *const *)a.v, NULL, 0, 30000, 1 << 16, &res, &err), LC_OK);
    assert_int_equal(res.out.len, 0); /* no container of that session is left */
    lc_proc_result_free(&res);
    lc_strv_free(&a);
    lc_engine_free(e);
    lc_config_free(&cfg);
    lc_buf_free(&out);
    home_close(&h);
}

/* Kills every container of the litecode process pid, from outside. */
static void kill_sandbox_of(pid_t pid)
{
    lc_config cfg;
    lc_config_defaults(&cfg);
    lc_engine *e = lc_test_engine_open(&cfg.container);
    assert_non_null(e);
    lc_strv ids = LC_STRV_INIT, a = LC_STRV_INIT;
    char filter[64];
    snprintf(filter, sizeof filter, "label=litecode.pid=%d", (int)pid);
    lc_engine_argv(e, &a, "ps");
    lc_strv_push(&a, "-q");
    lc_strv_push(&a, "--filter");
    lc_strv_push(&a, filter);
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_proc_run((const char *const *)a.v, NULL, 0, 30000, 1 << 16, &res, &err), LC_OK);
    char *save = NULL, *text = lc_xstrdup(lc_buf_cstr(&res.out));
    for (char *tok = strtok_r(text, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save))
        lc_strv_push(&ids, tok);
    free(text);
    lc_proc_result_free(&res);
    lc_strv_free(&a);
    assert_int_equal(ids.n, 1);
    lc_engine_argv(e, &a, "kill");
    lc_strv_push(&a, ids.v[0]);
    assert_int_equal(lc_proc_run((const char *const *)a.v, NULL, 0, 30000, 1 << 16, &res, &err), LC_OK);
    assert_int_equal(res.exit_code, 0);
    lc_proc_result_free(&res);
    lc_strv_free(&a);
    lc_strv_free(&ids);
    lc_engine_free(e);
    lc_config_free(&cfg);
}

/* Reads the child's output into out until want appears (or it ends). */
static bool read_until(lc_proc *p, lc_buf *out, const char *want)
{
    char buf[4096];
    int64_t deadline = lc_now_ms() + 120000;
    while (!strstr(lc_buf_cstr(out), want) && lc_now_ms() < deadline) {
        ssize_t n = read(lc_proc_stdout(p), buf, sizeof buf);
        if (n <= 0)
            break;
        lc_buf_append(out, buf, (size_t)n);
    }
    if (strstr(lc_buf_cstr(out), want))
        return true;
    fprintf(stderr, "--- no '%s' in the output:\n%s---\n", want, lc_buf_cstr(out));
    return false;
}

/* The sandbox killed while the model thinks, killed during a step, and a
 * step over its memory: the session goes on each time in a fresh sandbox,
 * and the user and the model are told what happened and that state was lost. */
static void test_sandbox_deaths_are_told_and_survived(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_at(&h, "e2e-deaths");
    lc_buf script = LC_BUF_INIT;
    add_response(&script, "```python\nx = 1\nprint('first ' + 'step')\n```");
    lc_buf_puts(&script, "@response 200\n@header Content-Type: text/event-stream\n@body\n@delay 8000\n");
    lc_buf_puts(&script, "data: {\"id\":\"e2e\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"```python\\n"
                         "print('x' in globals(), 'after the kill')\\n```\"},\"finish_reason\":\"stop\"}]}\n\n"
                         "data: [DONE]\n\n");
    add_response(&script, "```python\nprint('slee' + 'ping', flush=True)\nwhile True:\n    pass\n```");
    add_response(&script, "```python\nhog = []\nwhile True:\n    hog.append(b'x' * (1 << 20))\n```");
    add_response(&script, "```python\nfinal_answer('survived')\n```");
    mock_server *m = NULL;
    assert_int_equal(mock_server_start_script(lc_buf_cstr(&script), &m), 0);
    lc_buf_free(&script);

    const char *engine = getenv("LITECODE_ENGINE");
    char *engine_set = lc_xasprintf("container.engine=%s", engine && *engine ? engine : "auto");
    setenv("OPENAI_API_KEY", SECRET, 1);
    const char *argv[] = {getenv("LITECODE_TUI"), "--headless", "--yes", "--dir", h.project, "--model",
                          "openai/e2e-model", "--base-url", mock_server_url(m), "--set", engine_set,
                          "--set", "container.memory=64m", "Fix the bugs", NULL};
    lc_proc_opts po = LC_PROC_OPTS_INIT;
    po.argv = argv;
    po.pipe_stdout = true;
    po.stderr_to_stdout = true;
    lc_proc *p = NULL;
    lc_err err = {0};
    assert_int_equal(lc_proc_spawn(&po, &p, &err), LC_OK);
    lc_buf out = LC_BUF_INIT;

    /* Between steps: the model is "thinking" (its reply is delayed). */
    assert_true(read_until(p, &out, "first step"));
    int64_t deadline = lc_now_ms() + 60000;
    while (mock_server_nrequests(m) < 2 && lc_now_ms() < deadline)
        lc_sleep_ms(50);
    assert_int_equal(mock_server_nrequests(m), 2);
    kill_sandbox_of(lc_proc_pid(p));
    /* During a step. */
    assert_true(read_until(p, &out, "sleeping"));
    kill_sandbox_of(lc_proc_pid(p));
    char buf[4096];
    for (ssize_t n; (n = read(lc_proc_stdout(p), buf, sizeof buf)) > 0;)
        lc_buf_append(&out, buf, (size_t)n);
    int ws = 0;
    assert_int_equal(lc_proc_wait(p, 120000, &ws), LC_OK);
    lc_proc_free(p);
    const char *o = lc_buf_cstr(&out);
    fprintf(stderr, "--- output\n%s---\n", o);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 0);
    assert_null(strstr(o, "Broken pipe"));
    assert_null(strstr(o, ".."));
    assert_non_null(strstr(o, "False after the kill")); /* the next step ran, in a fresh sandbox */
    assert_non_null(strstr(o, "The sandbox ended between steps: it was killed from outside litecode"));
    assert_non_null(strstr(o, "The sandbox ended during the step: it was killed from outside litecode, or by a "
                              "process of the step (exit 137, not out of memory)"));
    assert_non_null(strstr(o, "OutOfMemory"));
    assert_non_null(strstr(o, "ran out of memory (limit 64m)"));
    assert_non_null(strstr(o, "survived"));
    /* The model was told each time. */
    char *b2 = mock_server_request_body(m, 2), *b3 = mock_server_request_body(m, 3),
         *b4 = mock_server_request_body(m, 4);
    assert_non_null(b4);
    assert_non_null(strstr(b2, "between steps"));
    assert_non_null(strstr(b2, "are gone"));
    assert_non_null(strstr(b3, "not out of memory"));
    assert_non_null(strstr(b4, "ran out of memory (limit 64m)"));
    free(b2);
    free(b3);
    free(b4);
    free(engine_set);
    lc_buf_free(&out);
    mock_server_stop(m);
    home_close(&h);
}

/* Ctrl-C during a step (interrupt), then Ctrl-C and SIGTERM while the
 * session is closing its sandbox: the process ends by its own exit (no
 * crash, no sanitizer report under the ASan build) and leaves no container. */
static void test_signals_during_shutdown_are_safe(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_at(&h, "e2e-signals");
    lc_buf script = LC_BUF_INIT;
    add_response(&script, "```python\nprint('loo' + 'ping', flush=True)\nwhile True:\n    pass\n```");
    add_response(&script, "```python\nfinal_answer('stopped the loop')\n```");
    mock_server *m = NULL;
    assert_int_equal(mock_server_start_script(lc_buf_cstr(&script), &m), 0);
    lc_buf_free(&script);
    const char *engine = getenv("LITECODE_ENGINE");
    char *engine_set = lc_xasprintf("container.engine=%s", engine && *engine ? engine : "auto");
    setenv("OPENAI_API_KEY", SECRET, 1);
    const char *argv[] = {getenv("LITECODE_TUI"), "--headless", "--yes", "--dir", h.project, "--model",
                          "openai/e2e-model", "--base-url", mock_server_url(m), "--set", engine_set,
                          "Loop", NULL};
    lc_proc_opts po = LC_PROC_OPTS_INIT;
    po.argv = argv;
    po.pipe_stdout = true;
    po.stderr_to_stdout = true;
    lc_proc *p = NULL;
    lc_err err = {0};
    assert_int_equal(lc_proc_spawn(&po, &p, &err), LC_OK);
    pid_t pid = lc_proc_pid(p);
    lc_buf out = LC_BUF_INIT;
    assert_true(read_until(p, &out, "looping"));
    kill(pid, SIGINT); /* the first Ctrl-C interrupts the step */
    assert_true(read_until(p, &out, "the shadow copy stays in"));
    kill(pid, SIGINT); /* while the sandbox is being stopped and freed */
    kill(pid, SIGTERM);
    kill(pid, SIGTERM);
    char buf[4096];
    for (ssize_t n; (n = read(lc_proc_stdout(p), buf, sizeof buf)) > 0;)
        lc_buf_append(&out, buf, (size_t)n);
    int ws = 0;
    assert_int_equal(lc_proc_wait(p, 60000, &ws), LC_OK);
    lc_proc_free(p);
    const char *o = lc_buf_cstr(&out);
    fprintf(stderr, "--- output\n%s---\n", o);
    assert_non_null(strstr(o, "-- result: interrupted"));
    assert_true(WIFEXITED(ws)); /* its own exit, never a crash */
    int code = WEXITSTATUS(ws);
    assert_true(code == 0 || code == 128 + SIGINT || code == 128 + SIGTERM);
    assert_null(strstr(o, "AddressSanitizer"));
    assert_null(strstr(o, "runtime error"));
    /* No container of that process is left. */
    lc_config cfg;
    lc_config_defaults(&cfg);
    lc_engine *e = lc_test_engine_open(&cfg.container);
    lc_strv a = LC_STRV_INIT;
    char filter[64];
    snprintf(filter, sizeof filter, "label=litecode.pid=%d", (int)pid);
    lc_engine_argv(e, &a, "ps");
    lc_strv_push(&a, "-aq");
    lc_strv_push(&a, "--filter");
    lc_strv_push(&a, filter);
    lc_proc_result res = LC_PROC_RESULT_INIT;
    assert_int_equal(lc_proc_run((const char *const *)a.v, NULL, 0, 30000, 1 << 16, &res, &err), LC_OK);
    assert_int_equal(res.out.len, 0);
    lc_proc_result_free(&res);
    lc_strv_free(&a);
    lc_engine_free(e);
    lc_config_free(&cfg);
    free(engine_set);
    lc_buf_free(&out);
    mock_server_stop(m);
    home_close(&h);
}

int main(void)
{
    if (getenv("LC_TEST_FILTER")) /* one test by name, while working on it */
        cmocka_set_test_filter(getenv("LC_TEST_FILTER"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headless_edits_shadow_not_original),
        cmocka_unit_test(test_thread_left_running_is_reported_and_cannot_forge),
        cmocka_unit_test(test_headless_apply_brings_the_change_back),
        cmocka_unit_test(test_tool_calling_agent_end_to_end),
        cmocka_unit_test(test_resume_continues_where_the_session_stopped),
        cmocka_unit_test(test_sigterm_while_waiting_ends_cleanly),
        cmocka_unit_test(test_demo_sets_other_dir_aside),
        cmocka_unit_test(test_sandbox_deaths_are_told_and_survived),
        cmocka_unit_test(test_signals_during_shutdown_are_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
