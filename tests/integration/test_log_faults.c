/* The session log under faults, through the real binary, a real container
 * and the mock model server: resumed three times the model gets the history
 * once; a cut last line is repaired by the next resume; a kill -9 in the
 * middle of a step is told as "ran, result unknown"; a full disk (a small
 * tmpfs as the state directory) stops the agent with a non-zero exit and a
 * log that says why it ends; a log of a newer format is refused untouched. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/agent.h"
#include "e2e.h"

static const char resume_note[] = "resumed from its log";

static mock_server *start_script(lc_buf *script)
{
    mock_server *m = NULL;
    assert_int_equal(mock_server_start_script(lc_buf_cstr(script), &m), 0);
    lc_buf_free(script);
    return m;
}

/* Runs litecode-tui with the model at url and the given arguments (NULL
 * ended); stdin_data may be NULL. */
static void run_lc(const char *url, const char *stdin_data, lc_proc_result *res, ...)
{
    const char *argv[32];
    size_t n = 0;
    argv[n++] = getenv("LITECODE_TUI");
    argv[n++] = "--headless";
    argv[n++] = "--base-url";
    argv[n++] = url;
    va_list ap;
    va_start(ap, res);
    const char *a;
    while ((a = va_arg(ap, const char *)) && n < 31)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    lc_err err = {0};
    *res = (lc_proc_result)LC_PROC_RESULT_INIT;
    assert_int_equal(lc_proc_run(argv, stdin_data, stdin_data ? strlen(stdin_data) : 0, 300000, 8 << 20, res, &err),
                     LC_OK);
    fprintf(stderr, "--- exit %d\n--- stdout\n%s--- stderr\n%s---\n", res->exit_code, lc_buf_cstr(&res->out),
            lc_buf_cstr(&res->err));
}

static char *report(const char *log, int *exit_code)
{
    const char *argv[] = {getenv("LITECODE_TUI"), "--report", log, NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_proc_run(argv, NULL, 0, 60000, 64 << 20, &res, &err), LC_OK);
    *exit_code = res.exit_code;
    if (res.exit_code != 0)
        fprintf(stderr, "--report: %s", lc_buf_cstr(&res.err));
    char *out = lc_buf_detach(&res.out);
    lc_proc_result_free(&res);
    return out;
}

/* Every line of the log is a JSON object with a kind. */
static void assert_log_whole(const char *log)
{
    lc_buf text = LC_BUF_INIT;
    lc_err err = {0};
    assert_int_equal(lc_file_read(log, 64 << 20, &text, &err), LC_OK);
    assert_true(text.len > 0 && text.data[text.len - 1] == '\n');
    const char *p = text.data;
    while (*p) {
        const char *nl = strchr(p, '\n');
        cJSON *o = lc_json_parse(p, (size_t)(nl - p));
        if (!cJSON_IsObject(o) || !lc_json_str(o, "kind"))
            fail_msg("not an event: %.*s", (int)(nl - p > 200 ? 200 : nl - p), p);
        cJSON_Delete(o);
        p = nl + 1;
    }
    lc_buf_free(&text);
}

/* The messages of request i as a JSON array (caller frees). */
static cJSON *request_messages(mock_server *m, size_t i)
{
    char *body = mock_server_request_body(m, i);
    assert_non_null(body);
    cJSON *o = lc_json_parse(body, strlen(body));
    free(body);
    cJSON *msgs = cJSON_DetachItemFromObjectCaseSensitive(o, "messages");
    cJSON_Delete(o);
    assert_true(cJSON_IsArray(msgs));
    return msgs;
}

static int count_in(const cJSON *msgs, const char *needle)
{
    int n = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, msgs)
    {
        const char *c = lc_json_str(m, "content");
        for (const char *p = c; p && (p = strstr(p, needle)); p++)
            n++;
    }
    return n;
}

/* A home whose project holds one file, with a key for the log to redact. */
static void home_at(home *h, const char *tag)
{
    home_open(h, tag);
    lc_test_write(h->project, "notes.txt", "hello\n");
    setenv("OPENAI_API_KEY", "sk-test-faults-0123456789", 1);
}

/* --resume three times (each run: one step, then the step limit's best
 * answer). The first request after each resume is exactly the history the
 * model had, plus the resume note: nothing twice, nothing lost; the steps
 * are numbered 1 to 4 without a gap; --report reads the whole log. */
static void test_three_resumes_send_history_once(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_at(&h, "log-resume3");
    lc_buf script = LC_BUF_INIT;
    for (int run = 1; run <= 4; run++) {
        char *code = lc_xasprintf("Thought: part %d.\n```python\nprint('RAN-%d')\n```", run, run);
        add_response(&script, code);
        free(code);
        char *best = lc_xasprintf("BEST-%d", run);
        add_response(&script, best);
        free(best);
    }
    mock_server *m = start_script(&script);
    const char *url = mock_server_url(m);
    lc_proc_result res;
    run_lc(url, NULL, &res, "--yes", "--dir", h.project, "--model", "openai/faults", "--max-steps", "1",
           "Task T", NULL);
    assert_int_equal(res.exit_code, LC_EXIT_MAX_STEPS);
    char *log = log_of(lc_buf_cstr(&res.err));
    lc_proc_result_free(&res);
    for (int k = 1; k <= 3; k++) {
        run_lc(url, NULL, &res, "--yes", "--resume", "last", "--dir", h.project, "--max-steps", "1", NULL);
        assert_int_equal(res.exit_code, LC_EXIT_MAX_STEPS);
        assert_non_null(strstr(lc_buf_cstr(&res.out), "RAN-"));
        lc_proc_result_free(&res);
    }
    assert_int_equal(mock_server_nrequests(m), 8);
    for (size_t k = 1; k <= 3; k++) {
        /* Request 2k-1 asked for the best answer (its last message is that
         * prompt); request 2k is the first after the resume. */
        cJSON *before = request_messages(m, 2 * k - 1), *after = request_messages(m, 2 * k);
        int nb = cJSON_GetArraySize(before), na = cJSON_GetArraySize(after);
        assert_int_equal(na, nb); /* the best-answer prompt out, the resume note in */
        for (int i = 1; i < nb - 1; i++) { /* the system prompt is rebuilt: skip it */
            char *x = lc_json_print(cJSON_GetArrayItem(before, i)), *y = lc_json_print(cJSON_GetArrayItem(after, i));
            assert_string_equal(x, y);
            free(x);
            free(y);
        }
        assert_non_null(strstr(lc_json_str(cJSON_GetArrayItem(after, na - 1), "content"), resume_note));
        assert_int_equal(count_in(after, "New task:"), 1);
        assert_int_equal(count_in(after, resume_note), (int)k);
        for (size_t r = 1; r <= k; r++) {
            char *tag = lc_xasprintf("print('RAN-%zu')", r);
            assert_int_equal(count_in(after, tag), 1);
            free(tag);
        }
        cJSON_Delete(before);
        cJSON_Delete(after);
    }
    /* The steps: 1, 2, 3, 4, in order, none twice. */
    cJSON *events = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_read(log, &events, &err), LC_OK);
    int want = 1;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events)
    {
        if (!strcmp(lc_json_str(ev, "kind"), "step"))
            assert_int_equal((int)lc_json_num(ev, "step", 0), want++);
    }
    assert_int_equal(want, 5);
    cJSON_Delete(events);
    int code;
    char *rep = report(log, &code);
    assert_int_equal(code, 0);
    assert_non_null(strstr(rep, "## Step 4\n"));
    assert_non_null(strstr(rep, "- Outcome: max_steps after 4 steps\n"));
    assert_null(strstr(rep, "## End of the log"));
    free(rep);
    free(log);
    mock_server_stop(m);
    home_close(&h);
}

/* A crash left the last line half-written: the resume drops it, says so,
 * and records the repair; every line of the log is an event again and
 * --report reads it to the end. */
static void test_cut_last_line_repaired_by_resume(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_at(&h, "log-cut");
    lc_buf script = LC_BUF_INIT;
    add_response(&script, "```python\nprint('FIRST')\n```");
    add_response(&script, "BEST-1");
    add_response(&script, "```python\nfinal_answer('after the repair')\n```");
    mock_server *m = start_script(&script);
    lc_proc_result res;
    run_lc(mock_server_url(m), NULL, &res, "--yes", "--dir", h.project, "--model", "openai/faults", "--max-steps",
           "1", "Task T", NULL);
    char *log = log_of(lc_buf_cstr(&res.err));
    lc_proc_result_free(&res);
    /* Cut the last line (the run's end) in its middle. */
    lc_buf text = LC_BUF_INIT;
    lc_err err = {0};
    assert_int_equal(lc_file_read(log, 64 << 20, &text, &err), LC_OK);
    assert_int_equal(truncate(log, (off_t)text.len - 25), 0);
    lc_buf_free(&text);
    int code;
    char *rep = report(log, &code); /* readable before the repair too */
    assert_int_equal(code, 0);
    assert_non_null(strstr(rep, "with a line cut while it was written"));
    free(rep);

    run_lc(mock_server_url(m), NULL, &res, "--yes", "--resume", log, NULL);
    assert_int_equal(res.exit_code, 0);
    assert_non_null(strstr(lc_buf_cstr(&res.err), "ended in a line cut while it was written"));
    assert_non_null(strstr(lc_buf_cstr(&res.out), "after the repair"));
    lc_proc_result_free(&res);
    assert_log_whole(log);
    rep = report(log, &code);
    assert_int_equal(code, 0);
    assert_non_null(strstr(rep, "*The log was repaired here"));
    assert_non_null(strstr(rep, "## Final answer\n\n> after the repair"));
    assert_null(strstr(rep, "## End of the log"));
    free(rep);
    /* And it resumes again. */
    run_lc(mock_server_url(m), NULL, &res, "--yes", "--resume", log, NULL);
    assert_null(strstr(lc_buf_cstr(&res.err), "not a session log event"));
    lc_proc_result_free(&res);
    free(log);
    mock_server_stop(m);
    home_close(&h);
}

/* kill -9 while an approved step runs: the log has its decision and no
 * result. The report says "ran, result unknown", and so is the model told
 * after --resume. */
static void test_sigkill_in_a_step_is_ran_result_unknown(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_at(&h, "log-kill");
    lc_buf script = LC_BUF_INIT;
    add_response(&script, "```python\nprint('STEP' + '-RUNNING', flush=True)\nn = 0\nwhile n >= 0:\n    n += 1\n```");
    add_response(&script, "```python\nfinal_answer('checked again')\n```");
    mock_server *m = start_script(&script);
    const char *argv[] = {getenv("LITECODE_TUI"), "--headless", "--yes", "--base-url", mock_server_url(m), "--dir",
                          h.project, "--model", "openai/faults", "Task T", NULL};
    lc_proc_opts po = LC_PROC_OPTS_INIT;
    po.argv = argv;
    po.pipe_stdout = true;
    po.pipe_stderr = true;
    lc_proc *p = NULL;
    lc_err err = {0};
    assert_int_equal(lc_proc_spawn(&po, &p, &err), LC_OK);
    lc_buf out = LC_BUF_INIT;
    char buf[4096];
    int64_t deadline = lc_now_ms() + 120000;
    while (!strstr(lc_buf_cstr(&out), "STEP-RUNNING") && lc_now_ms() < deadline) {
        ssize_t n = read(lc_proc_stdout(p), buf, sizeof buf);
        if (n <= 0)
            break;
        lc_buf_append(&out, buf, (size_t)n);
    }
    assert_non_null(strstr(lc_buf_cstr(&out), "STEP-RUNNING")); /* the step's output, not its code */
    assert_int_equal(lc_proc_signal(p, SIGKILL), LC_OK);
    int ws = 0;
    assert_int_equal(lc_proc_wait(p, 10000, &ws), LC_OK);
    assert_true(WIFSIGNALED(ws));
    lc_buf errtext = LC_BUF_INIT;
    ssize_t n;
    while ((n = read(lc_proc_stderr(p), buf, sizeof buf)) > 0)
        lc_buf_append(&errtext, buf, (size_t)n);
    lc_proc_free(p);
    char *log = log_of(lc_buf_cstr(&errtext));
    lc_buf_free(&errtext);
    lc_buf_free(&out);

    int code;
    char *rep = report(log, &code);
    assert_int_equal(code, 0);
    assert_non_null(strstr(rep, "**Result: ran, result unknown**"));
    assert_non_null(strstr(rep, "without an end record: litecode was killed or crashed"));
    free(rep);

    lc_proc_result res;
    run_lc(mock_server_url(m), NULL, &res, "--yes", "--resume", log, NULL);
    assert_int_equal(res.exit_code, 0);
    lc_proc_result_free(&res);
    assert_int_equal(mock_server_nrequests(m), 2);
    cJSON *msgs = request_messages(m, 1);
    int nm = cJSON_GetArraySize(msgs);
    const char *obs = lc_json_str(cJSON_GetArrayItem(msgs, nm - 2), "content");
    assert_non_null(strstr(obs, "it ran, result unknown"));
    assert_int_equal(count_in(msgs, "print('STEP' + '-RUNNING'"), 1); /* the code, once */
    cJSON_Delete(msgs);
    rep = report(log, &code);
    assert_non_null(strstr(rep, "**Result: ran, result unknown**"));
    assert_non_null(strstr(rep, "## Final answer\n\n> checked again"));
    free(rep);
    free(log);
    mock_server_stop(m);
    home_close(&h);
}

/* Reads stdout of p until text shows up (or the stream ends). */
static bool wait_for(lc_proc *p, lc_buf *out, const char *text, size_t from)
{
    char buf[4096];
    int64_t deadline = lc_now_ms() + 120000;
    while (!strstr(lc_buf_cstr(out) + from, text) && lc_now_ms() < deadline) {
        ssize_t n = read(lc_proc_stdout(p), buf, sizeof buf);
        if (n <= 0)
            return false;
        lc_buf_append(out, buf, (size_t)n);
    }
    return strstr(lc_buf_cstr(out) + from, text) != NULL;
}

static void fill_disk(const char *dir)
{
    char *path = lc_path_join(dir, "filler");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    static char zeros[1 << 16];
    for (;;) {
        ssize_t n = write(fd, zeros, sizeof zeros);
        if (n <= 0)
            break;
    }
    for (;;) { /* the last bytes too */
        if (write(fd, zeros, 1) != 1)
            break;
    }
    close(fd);
    free(path);
}

/* The state directory on a tmpfs that fills up while the user looks at
 * step 2: the log's next write fails, the agent runs nothing more (no
 * request for step 3), the exit code says it failed, and the log ends with
 * a record of why, which --report shows. */
static void test_full_disk_stops_the_agent(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_at(&h, "log-full");
    if (mount("tmpfs", h.state, "tmpfs", 0, "size=16m,mode=0700") != 0) {
        fprintf(stderr, "SKIP: cannot mount a tmpfs on %s (%s): the full-disk test needs root (CAP_SYS_ADMIN)\n",
                h.state, strerror(errno));
        home_close(&h);
        skip();
    }
    lc_buf script = LC_BUF_INIT;
    add_response(&script, "```python\nopen('new.txt', 'w').write('x')\nprint('ONE')\n```");
    add_response(&script, "```python\nprint('TWO ' * 3000)\n```");
    add_response(&script, "```python\nprint('THREE')\n```");
    add_response(&script, "```python\nfinal_answer('never')\n```");
    mock_server *m = start_script(&script);
    const char *argv[] = {getenv("LITECODE_TUI"), "--headless", "--apply", "--base-url", mock_server_url(m), "--dir",
                          h.project, "--model", "openai/faults", "Task T", NULL};
    lc_proc_opts po = LC_PROC_OPTS_INIT;
    po.argv = argv;
    po.pipe_stdin = true;
    po.pipe_stdout = true;
    po.pipe_stderr = true;
    lc_proc *p = NULL;
    lc_err err = {0};
    assert_int_equal(lc_proc_spawn(&po, &p, &err), LC_OK);
    lc_buf out = LC_BUF_INIT;
    assert_true(wait_for(p, &out, "Run this step?", 0));
    assert_int_equal(write(lc_proc_stdin(p), "r\n", 2), 2);
    size_t mark = out.len;
    assert_true(wait_for(p, &out, "Run this step?", mark));
    fill_disk(h.state);
    assert_int_equal(write(lc_proc_stdin(p), "r\nr\nr\n", 6), 6);
    lc_proc_close_stdin(p);
    char buf[4096];
    ssize_t n;
    while ((n = read(lc_proc_stdout(p), buf, sizeof buf)) > 0)
        lc_buf_append(&out, buf, (size_t)n);
    int ws = 0;
    assert_int_equal(lc_proc_wait(p, 60000, &ws), LC_OK);
    lc_buf errtext = LC_BUF_INIT;
    while ((n = read(lc_proc_stderr(p), buf, sizeof buf)) > 0)
        lc_buf_append(&errtext, buf, (size_t)n);
    lc_proc_free(p);
    fprintf(stderr, "--- stdout\n%s--- stderr\n%s---\n", lc_buf_cstr(&out), lc_buf_cstr(&errtext));
    /* The log is checked from a copy: the tmpfs goes before any assertion
     * can end the test. */
    char *log_on_tmpfs = log_of(lc_buf_cstr(&errtext));
    lc_buf text = LC_BUF_INIT;
    int read_rc = lc_file_read(log_on_tmpfs, 64 << 20, &text, &err);
    *strrchr(log_on_tmpfs, '/') = '\0';
    char *shadow = lc_path_join(log_on_tmpfs, "shadow");
    char *in_shadow = lc_test_read(shadow, "new.txt"); /* what --apply would have brought back */
    free(shadow);
    free(log_on_tmpfs);
    size_t nrequests = mock_server_nrequests(m);
    mock_server_stop(m);
    assert_int_equal(umount2(h.state, MNT_DETACH), 0);
    assert_int_equal(read_rc, LC_OK);
    char *log = lc_path_join(h.dir, "session.jsonl");
    lc_test_write(h.dir, "session.jsonl", lc_buf_cstr(&text));
    lc_buf_free(&text);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), LC_EXIT_ERROR);
    assert_non_null(strstr(lc_buf_cstr(&out), "No space left on device"));
    assert_non_null(strstr(lc_buf_cstr(&out), "nothing may run without a record in the session log"));
    assert_int_equal(nrequests, 2); /* nothing after step 2 */
    /* --apply brings nothing back that the log cannot record. */
    assert_non_null(strstr(lc_buf_cstr(&errtext), "--apply: nothing applied: the session log cannot record it"));
    assert_non_null(in_shadow);
    free(in_shadow);
    char *applied = lc_test_read(h.project, "new.txt");
    assert_null(applied);
    assert_null(strstr(lc_buf_cstr(&out), "THREE"));
    lc_buf_free(&errtext);
    lc_buf_free(&out);
    /* The log: whole lines, and its end says why. */
    assert_log_whole(log);
    cJSON *events = NULL;
    assert_int_equal(lc_log_read(log, &events, &err), LC_OK);
    int nev = cJSON_GetArraySize(events);
    assert_string_equal(lc_json_str(cJSON_GetArrayItem(events, nev - 2), "kind"), "log_failed");
    assert_string_equal(lc_json_str(cJSON_GetArrayItem(events, nev - 1), "kind"), "done");
    assert_string_equal(lc_json_str(cJSON_GetArrayItem(events, nev - 1), "outcome"), "failed");
    cJSON_Delete(events);
    int code;
    char *rep = report(log, &code);
    assert_int_equal(code, 0);
    assert_non_null(strstr(rep, "## End of the log"));
    assert_non_null(strstr(rep, "in step 2, because writing it failed: writing the session log "));
    assert_non_null(strstr(rep, "No space left on device"));
    free(rep);
    free(log);
    home_close(&h);
}

/* A log written by a newer litecode is refused, and left as it was. */
static void test_future_format_refused(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_at(&h, "log-future");
    lc_buf script = LC_BUF_INIT;
    add_response(&script, "```python\nfinal_answer('v1')\n```");
    mock_server *m = start_script(&script);
    lc_proc_result res;
    run_lc(mock_server_url(m), NULL, &res, "--yes", "--dir", h.project, "--model", "openai/faults", "Task T", NULL);
    assert_int_equal(res.exit_code, 0);
    char *log = log_of(lc_buf_cstr(&res.err));
    lc_proc_result_free(&res);
    lc_buf text = LC_BUF_INIT;
    lc_err err = {0};
    assert_int_equal(lc_file_read(log, 64 << 20, &text, &err), LC_OK);
    char *hd = strstr(text.data, "\"format\":1");
    assert_non_null(hd);
    hd[strlen("\"format\":")] = '2';
    assert_int_equal(lc_file_write_atomic(log, text.data, text.len, 0600, &err), LC_OK);
    run_lc(mock_server_url(m), NULL, &res, "--yes", "--resume", log, NULL);
    assert_int_not_equal(res.exit_code, 0);
    assert_non_null(strstr(lc_buf_cstr(&res.err), "was written by a newer litecode (log format 2"));
    lc_proc_result_free(&res);
    lc_buf again = LC_BUF_INIT;
    assert_int_equal(lc_file_read(log, 64 << 20, &again, &err), LC_OK);
    assert_int_equal(again.len, text.len);
    assert_memory_equal(again.data, text.data, text.len);
    int code;
    char *rep = report(log, &code);
    assert_int_not_equal(code, 0);
    free(rep);
    lc_buf_free(&again);
    lc_buf_free(&text);
    free(log);
    mock_server_stop(m);
    home_close(&h);
}

/* The soak: 300 steps in four runs (three resumes). --report reads the
 * whole log, and the last request holds every step's code and output once,
 * in order. */
static void test_soak_300_steps_three_resumes(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_at(&h, "log-soak");
    enum { RUNS = 4, PER_RUN = 75 };
    lc_buf script = LC_BUF_INIT;
    for (int run = 0; run < RUNS; run++) {
        for (int i = 1; i <= PER_RUN; i++) {
            char *code = lc_xasprintf("```python\nprint('OUT-' + str(%d))\n```", run * PER_RUN + i);
            add_response(&script, code);
            free(code);
        }
        add_response(&script, "BEST");
    }
    mock_server *m = start_script(&script);
    const char *url = mock_server_url(m);
    char per_run[16];
    snprintf(per_run, sizeof per_run, "%d", PER_RUN);
    lc_proc_result res;
    run_lc(url, NULL, &res, "--yes", "--dir", h.project, "--model", "openai/faults", "--max-steps", per_run,
           "Task T", NULL);
    assert_int_equal(res.exit_code, LC_EXIT_MAX_STEPS);
    char *log = log_of(lc_buf_cstr(&res.err));
    lc_proc_result_free(&res);
    for (int k = 1; k < RUNS; k++) {
        run_lc(url, NULL, &res, "--yes", "--resume", log, "--max-steps", per_run, NULL);
        assert_int_equal(res.exit_code, LC_EXIT_MAX_STEPS);
        lc_proc_result_free(&res);
    }
    size_t nreq = mock_server_nrequests(m);
    assert_int_equal(nreq, RUNS * (PER_RUN + 1));
    cJSON *last = request_messages(m, nreq - 1);
    char *all = lc_json_print(last);
    const char *prev = all;
    for (int i = 1; i <= RUNS * PER_RUN; i++) {
        char *code = lc_xasprintf("print('OUT-' + str(%d))", i), *out = lc_xasprintf("OUT-%d\n", i);
        assert_int_equal(count_in(last, code), 1);
        assert_int_equal(count_in(last, out), 1);
        const char *at = strstr(all, code); /* in order: after the step before */
        assert_non_null(at);
        assert_true(at > prev);
        prev = at;
        free(code);
        free(out);
    }
    free(all);
    assert_int_equal(count_in(last, "New task:"), 1);
    assert_int_equal(count_in(last, resume_note), RUNS - 1);
    /* 1 system + 1 task + 2 per step + 3 resume notes + the best-answer prompt */
    assert_int_equal(cJSON_GetArraySize(last), 2 + 2 * RUNS * PER_RUN + (RUNS - 1) + 1);
    cJSON_Delete(last);
    assert_log_whole(log);
    int code;
    char *rep = report(log, &code);
    assert_int_equal(code, 0);
    assert_non_null(strstr(rep, "## Step 300\n"));
    assert_non_null(strstr(rep, "- Outcome: max_steps after 300 steps\n"));
    assert_null(strstr(rep, "## End of the log"));
    free(rep);
    free(log);
    mock_server_stop(m);
    home_close(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_resumes_send_history_once),
        cmocka_unit_test(test_cut_last_line_repaired_by_resume),
        cmocka_unit_test(test_sigkill_in_a_step_is_ran_result_unknown),
        cmocka_unit_test(test_full_disk_stops_the_agent),
        cmocka_unit_test(test_future_format_refused),
        cmocka_unit_test(test_soak_300_steps_three_resumes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
