/* The TUI headless: a virtual 100x30 terminal, a fake model and a fake
 * executor, keys in from a script, the screen read back as text and compared
 * with what a user must see. Approval (run, edit, decline with reason,
 * approve all and revoke, stop), type-ahead discarded, Ctrl-C, a message
 * typed while the agent works, ask_user. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_executor.h"
#include "fake_llm.h"
#include "front.h"
#include "ui/ui.h"

#define GUARD_MS 40
#define WAIT_MS 10000

typedef struct h {
    lc_config cfg;
    lc_llm *llm;
    lc_executor *ex;
    lc_agent *agent;
    lc_app *app;
    lc_buf screen;
    char *tmp;
    lc_diff *diff;
    /* A test's log and the fan-out to it: here, not on the test's stack, so that
     * a failed check's jump out of the test leaves the agent thread nothing dead. */
    lc_log *log;
    lc_fanout fan;
} h;

static h *H;

static int setup(void **state)
{
    h *x = calloc(1, sizeof *x);
    lc_config_defaults(&x->cfg);
    x->cfg.agent.max_steps = 6;
    lc_strv_push(&x->cfg.agent.tools, "ask_user");
    free(x->cfg.model.name);
    x->cfg.model.name = lc_xstrdup("fake/model");
    x->llm = fake_llm_new();
    x->ex = fake_executor_new();
    lc_err err = {0};
    assert_int_equal(lc_executor_start(x->ex, &err), LC_OK);
    char tmpl[] = "/tmp/lc-ui-XXXXXX";
    x->tmp = lc_xstrdup(mkdtemp(tmpl));
    H = x;
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    h *x = *state;
    lc_ui_free(x->app);
    lc_diff_free(x->diff);
    lc_agent_free(x->agent);
    lc_log_close(x->log);
    lc_llm_destroy(x->llm);
    lc_executor_destroy(x->ex);
    lc_config_free(&x->cfg);
    lc_buf_free(&x->screen);
    lc_err err = {0};
    lc_rm_rf(x->tmp, &err);
    free(x->tmp);
    free(x);
    return 0;
}

/* A virtual 100x30 terminal on the fake executor. */
static lc_ui_opts base_opts(h *x)
{
    lc_ui_opts o = LC_UI_OPTS_INIT;
    o.cfg = &x->cfg;
    o.executor = x->ex;
    o.themes_dir = LC_SOURCE_DIR "/themes";
    o.virtual_term = true;
    o.rows = 30;
    o.cols = 100;
    o.approval_guard_ms = GUARD_MS;
    return o;
}

static void open_app(h *x)
{
    lc_ui_opts o = base_opts(x);
    o.dir = "/project";
    lc_err err = {0};
    x->app = lc_ui_new(&o, &err);
    if (!x->app)
        fail_msg("lc_ui_new: %s", err.msg);
}

static void run_agent(h *x, const char *task)
{
    lc_err err = {0};
    lc_observer obs = lc_ui_observer(x->app);
    assert_int_equal(lc_agent_new(&x->cfg, x->llm, x->ex, &obs, NULL, NULL, &x->agent, &err), LC_OK);
    assert_int_equal(lc_ui_start(x->app, x->agent, task), LC_OK);
}

static void start(h *x, const char *task)
{
    open_app(x);
    run_agent(x, task);
}

static const char *screen(h *x)
{
    lc_buf_reset(&x->screen);
    lc_ui_dump_screen(x->app, &x->screen);
    return lc_buf_cstr(&x->screen);
}

static void see(h *x, const char *text)
{
    if (!lc_ui_wait_for(x->app, text, WAIT_MS)) {
        fprintf(stderr, "---- screen ----\n%s----\n", screen(x));
        fail_msg("screen never showed \"%s\"", text);
    }
}

/* The screen shows text now; if not, the failure says what it showed. */
static void shows(h *x, const char *text)
{
    if (!strstr(screen(x), text)) {
        fprintf(stderr, "---- screen ----\n%s----\n", screen(x));
        fail_msg("the screen does not show \"%s\"", text);
    }
}

static void keys(h *x, const char *k)
{
    lc_err err = {0};
    assert_int_equal(lc_ui_feed_keys(x->app, k, &err), LC_OK);
    lc_ui_pump(x->app, 0);
}

/* Waits out the type-ahead guard, then types. */
static void answer(h *x, const char *k)
{
    lc_sleep_ms(GUARD_MS + 20);
    keys(x, k);
}

/* The screen's row that contains text, or "" */
static const char *row_with(h *x, const char *text, char *out, size_t outsz)
{
    const char *s = screen(x);
    const char *hit = strstr(s, text);
    out[0] = '\0';
    if (!hit)
        return out;
    const char *b = hit;
    while (b > s && b[-1] != '\n')
        b--;
    const char *e = strchr(hit, '\n');
    snprintf(out, outsz, "%.*s", (int)(e - b), b);
    return out;
}

static int finish(h *x)
{
    if (!lc_ui_wait_idle(x->app, WAIT_MS)) {
        fprintf(stderr, "---- screen ----\n%s----\n", screen(x));
        fail_msg("the agent did not finish");
    }
    return lc_ui_join(x->app);
}

#define STEP1 "Let me look.\n```python\nimport os\nprint('hello from step 1')\n```"
#define STEP2 "Done.\n```python\nfinal_answer(\"all good\")\n```"

static int fail_start(lc_executor *ex, lc_err *err)
{
    (void)ex;
    return lc_err_set(err, LC_EENGINE, "no container engine: install docker or podman");
}

/* The UI is up while the sandbox starts on the agent's thread; a failure
 * to start is shown, not a crash or a hang. */
static void test_sandbox_start_failure_shown(void **state)
{
    h *x = *state;
    static lc_executor_ops ops; /* outlives a failed assertion: teardown uses it */
    ops = *x->ex->ops;
    ops.start = fail_start;
    x->ex->ops = &ops;
    lc_ui_opts o = base_opts(x);
    static lc_session sess; /* what readying the sandbox uses: the executor (no image to build) */
    sess = (lc_session){.ex = x->ex};
    o.prepare = lc_front_ui_prepare; /* the session's own, as the binary wires it */
    o.prepare_ctx = &sess;
    lc_err err = {0};
    x->app = lc_ui_new(&o, &err);
    assert_non_null(x->app);
    lc_observer obs = lc_ui_observer(x->app);
    assert_int_equal(lc_agent_new(&x->cfg, x->llm, x->ex, &obs, NULL, NULL, &x->agent, &err), LC_OK);
    assert_int_equal(lc_ui_start(x->app, x->agent, "anything"), LC_OK);
    see(x, "starting the sandbox...");
    see(x, "Error: starting the sandbox:");
    see(x, "install docker or podman");
    assert_int_equal(finish(x), 1);
    assert_int_equal(fake_llm_nrequests(x->llm), 0);
}

typedef struct prep {
    atomic_bool go;
    bool fail;
    lc_executor *ex;
} prep;

/* A stand-in for the session's image build: two lines of progress, then it
 * waits to be let go (or cancelled), then the sandbox starts. */
static int fake_prepare(void *ctx, const lc_ui_progress *pr, const atomic_bool *cancel, lc_err *err)
{
    prep *p = ctx;
    pr->building(pr->ctx, "the sandbox image is missing: building it");
    pr->line(pr->ctx, "[build-image] debootstrap bookworm");
    pr->line(pr->ctx, "[build-image] image ready");
    while (!atomic_load(&p->go)) {
        if (atomic_load(cancel))
            return lc_err_set(err, LC_ECANCEL, "the image build was cancelled");
        lc_sleep_ms(5);
    }
    if (p->fail)
        return lc_err_set(err, LC_EENGINE, "building the sandbox image failed (no mirror)");
    pr->starting(pr->ctx);
    int rc = lc_executor_start(p->ex, err);
    if (rc == LC_OK)
        pr->note(pr->ctx, "the workspace is copied into the sandbox, and each step's changes back: a test");
    return rc;
}

static void open_with_prepare(h *x, prep *p)
{
    lc_ui_opts o = base_opts(x);
    p->ex = x->ex;
    o.prepare = fake_prepare;
    o.prepare_ctx = p;
    lc_err err = {0};
    x->app = lc_ui_new(&o, &err);
    assert_non_null(x->app);
    run_agent(x, "build first");
}

/* A missing image is built behind the spinner: what is happening in the
 * conversation and the status bar, the build's lines in the Output pane,
 * then the session goes on; a failure ends it; Ctrl-C twice stops it. */
static void test_image_build_progress(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, STEP1);
    prep p = {false, false, NULL};
    open_with_prepare(x, &p);
    see(x, "the sandbox image is missing: building it");
    see(x, "[build-image] image ready");
    see(x, "preparing the image");
    assert_int_equal(fake_llm_nrequests(x->llm), 0);
    atomic_store(&p.go, true);
    see(x, "sandbox ready");
    see(x, "the workspace is copied into the sandbox"); /* what the session says of the started sandbox */
    see(x, "Run step 1?");
    answer(x, "s");
    assert_int_equal(finish(x), 3);
}

static void test_image_build_failure_and_cancel(void **state)
{
    h *x = *state;
    prep p = {true, true, NULL};
    open_with_prepare(x, &p);
    see(x, "Error: building the sandbox image failed (no mirror)");
    assert_int_equal(finish(x), 1);
    assert_int_equal(fake_llm_nrequests(x->llm), 0);
    lc_ui_free(x->app);
    x->app = NULL;
    lc_agent_free(x->agent);
    x->agent = NULL;

    prep q = {false, false, NULL};
    open_with_prepare(x, &q);
    see(x, "[build-image] debootstrap bookworm");
    answer(x, "<C-c><C-c>");
    see(x, "the image build was cancelled");
    assert_int_equal(finish(x), 3);
    assert_int_equal(fake_llm_nrequests(x->llm), 0);
}

/* Issue 17, item 14: a model error does not end the session. r retries
 * (the same task goes on), m takes another model's name and goes on with
 * it (here a recorded one), and nothing of the session is lost. */
static void test_model_error_keeps_session(void **state)
{
    h *x = *state;
    fake_llm_error(x->llm, LC_EAUTH, "the server refused the API key (HTTP 401)");
    fake_llm_reply(x->llm, STEP1);
    fake_llm_error(x->llm, LC_ESERVER, "the server failed (HTTP 503) after 3 retries");
    fake_executor_add(x->ex, &(fake_step){.match = "hello", .output = "hello from step 1\n"});
    char *rec = lc_path_join(x->tmp, "rec.jsonl");
    const char *text = "{\"v\": 1, \"ts\": \"2026-12-04T00:00:00Z\", \"kind\": \"model_reply\", \"step\": 1, "
                       "\"content\": \"Done.\\n```python\\nfinal_answer(\\\"answered by the new model\\\")\\n```\", "
                       "\"finish_reason\": \"stop\"}\n";
    lc_err err = {0};
    assert_int_equal(lc_file_write_atomic(rec, text, strlen(text), 0600, &err), LC_OK);
    start(x, "say hello");
    see(x, "the server refused the API key (HTTP 401)");
    see(x, "The model failed; the session is kept: r retries, m changes the model, q ends the session");
    keys(x, "x"); /* anything else says the choices */
    see(x, "the model failed: r retries");
    keys(x, "r");
    see(x, "Run step 1?"); /* the failed step's number is not used up */
    answer(x, "y");
    see(x, "hello from step 1");
    see(x, "the server failed (HTTP 503) after 3 retries");
    see(x, "The model failed; the session is kept");
    keys(x, "m");
    see(x, "Model (provider/name; Enter goes on with it, Esc goes back): fake/model");
    lc_buf k = LC_BUF_INIT;
    lc_buf_printf(&k, "<C-u>replay:%s<Enter>", rec);
    keys(x, k.data);
    lc_buf_free(&k);
    see(x, "model changed to replay:");
    see(x, "Run step 2?");
    answer(x, "y");
    see(x, "answered by the new model");
    int rc = finish(x);
    if (rc != 0)
        fail_msg("exit %d:\n%s", rc, screen(x));
    /* The conversation kept everything: the first step's output is still there. */
    assert_int_equal(fake_executor_ran(x->ex)->n, 2);
    free(rec);
}

/* q at the model-error question ends the session as the error would have. */
static void test_model_error_quit(void **state)
{
    h *x = *state;
    fake_llm_error(x->llm, LC_EAUTH, "the server refused the API key (HTTP 401)");
    start(x, "say hello");
    see(x, "The model failed; the session is kept");
    keys(x, "q");
    assert_int_equal(finish(x), 1);
}

/* Issue 17: the model-error question is for the model's errors only, as
 * the agent says; a container that timed out (the same LC_ETIMEOUT as a
 * stalled server) ends the session with its error. */
static void test_container_timeout_is_not_a_model_error(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, STEP1);
    fake_executor_add(x->ex, &(fake_step){.match = "hello", .fail = LC_ETIMEOUT,
                                           .error_message = "the container did not answer within 30 s"});
    start(x, "say hello");
    see(x, "Run step 1?");
    answer(x, "y");
    see(x, "the container did not answer within 30 s");
    assert_int_equal(finish(x), 1);
    assert_null(strstr(screen(x), "The model failed"));
}

/* Issue 17: a resumed session shows the earlier conversation and output,
 * and its steps go on numbered from where they were. */
static void test_resume_shows_history(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, STEP1);
    fake_llm_block(x->llm);
    fake_executor_add(x->ex, &(fake_step){.match = "hello", .output = "hello from step 1\n"});
    char *path = lc_path_join(x->tmp, "session.jsonl");
    lc_err err = {0};
    assert_int_equal(lc_log_open(path, &x->log, &err), LC_OK);
    assert_int_equal(lc_log_header(x->log, &x->cfg, "/project", "fake", &err), LC_OK);
    lc_ui_opts o = base_opts(x);
    x->app = lc_ui_new(&o, &err);
    assert_non_null(x->app);
    lc_observer obs = lc_ui_observer(x->app);
    lc_observer fo = lc_fanout_init(&x->fan, x->log, &obs); /* the log first, then the front end */
    assert_int_equal(lc_agent_new(&x->cfg, x->llm, x->ex, &fo, NULL, x->log, &x->agent, &err), LC_OK);
    assert_int_equal(lc_ui_start(x->app, x->agent, "say hello"), LC_OK);
    see(x, "Run step 1?");
    answer(x, "y");
    see(x, "hello from step 1");
    see(x, "-- step 2 of");
    answer(x, "<C-c><C-c>"); /* stopped while the model thinks about step 2 */
    finish(x);
    lc_ui_free(x->app);
    x->app = NULL;
    lc_agent_free(x->agent);
    x->agent = NULL;
    /* Resumed: a new UI and agent on the same log. */
    fake_llm_reply(x->llm, STEP2);
    x->app = lc_ui_new(&o, &err);
    assert_non_null(x->app);
    obs = lc_ui_observer(x->app);
    fo = lc_fanout_init(&x->fan, x->log, &obs); /* the first agent is gone: its fan-out is free */
    assert_int_equal(lc_agent_new(&x->cfg, x->llm, x->ex, &fo, NULL, x->log, &x->agent, &err), LC_OK);
    lc_ui_show_log(x->app, path); /* as the session does for a resumed TUI, before the agent's resume */
    assert_int_equal(lc_agent_resume(x->agent, path, &err), LC_OK);
    assert_int_equal(lc_ui_start(x->app, x->agent, NULL), LC_OK);
    see(x, "Run step 3?");
    shows(x, "hello from step 1"); /* the Output pane has the earlier output */
    shows(x, "== step 1: ok");
    shows(x, "-- resumed here");
    shows(x, "-- step 3 of");
    keys(x, "g"); /* the Conversation's top: the task */
    shows(x, "-- the session so far, from its log --");
    shows(x, "Task: say hello");
    shows(x, "Let me look.");
    answer(x, "y");
    see(x, "all good");
    finish(x);
    free(path);
}

static void test_approve_run(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, STEP1);
    fake_llm_reply(x->llm, STEP2);
    fake_executor_add(x->ex, &(fake_step){.match = "hello", .output = "hello from step 1\n"});
    start(x, "say hello");
    see(x, "Run step 1?");
    char row[256];
    /* The approval bar names every choice with its key. */
    assert_string_equal(row_with(x, "Run step 1?", row, sizeof row),
                        "Run step 1? y/Enter run  e edit  d decline  a approve all  s stop  w allow steps like this  P and sa");
    /* The code pane shows the code with line numbers, all of it. */
    shows(x, " 1 import os");
    shows(x, " 2 print('hello from step 1')");
    shows(x, "Task: say hello");
    shows(x, "waiting for you");
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
    answer(x, "y");
    see(x, "hello from step 1");
    see(x, "== step 1: ok in");
    see(x, "Run step 2?");
    answer(x, "<Enter>");
    see(x, "all good");
    assert_int_equal(finish(x), 0);
    assert_int_equal(fake_executor_ran(x->ex)->n, 2);
    shows(x, "Answer:");
}


/* Issue 15: a step that makes an MCP call part-way (tests/support/mcp_server.py; the call asks
 * on its own, which interrupts the step's output) has one "== step N ==" in the Output pane,
 * and the output before and after the call stays under it. */
static void test_mcp_call_mid_step_one_header(void **state)
{
    h *x = *state;
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "mcp:\n  servers:\n    notes:\n      command: [python3, '%s/tests/support/mcp_server.py']\n"
                                "      timeout: 10\n", LC_SOURCE_DIR);
    lc_err err = {0};
    assert_int_equal(lc_config_load_data(&x->cfg, "config.yaml", yaml, strlen(yaml), LC_LAYER_USER, &err), LC_OK);
    fake_llm_reply(x->llm, "```python\nprint('before the call')\nprint(notes_add(a=2, b=40))\n```");
    fake_llm_reply(x->llm, STEP2);
    fake_executor_add(x->ex, &(fake_step){.match = "notes_add", .output = "before the call\n",
                                          .tool_name = "notes_add",
                                          .tool_args = "{\"arguments\": {\"a\": 2, \"b\": 40}}"});
    start(x, "use the notes");
    see(x, "Run step 1?");
    answer(x, "y");
    see(x, "before the call");
    /* The call's own question says what it is: a host tool, not a step in the sandbox. */
    see(x, "Call host tool notes/add (on your machine, outside the sandbox) in step 1?");
    answer(x, "y");
    see(x, "== step 1: ok in");
    see(x, "Run step 2?");
    answer(x, "<Enter>");
    see(x, "all good");
    assert_int_equal(finish(x), 0);
    const char *s = screen(x), *first = strstr(s, "== step 1 ==");
    if (!first || strstr(first + 1, "== step 1 ==") || !strstr(s, "[tool call: notes_add"))
        fail_msg("step 1's header is not shown exactly once:\n%s", s);
    shows(x, "== step 2 ==");
}

/* Issue 13: "allow steps like this" (w) at the question runs the step and adds the narrowest
 * rule for the session; the next step that does the same runs without a question and says
 * why; W opens the grants panel, which lists the grant with what it matches and where it came
 * from; x there revokes it, the Conversation says so, and the same step asks again. */
static void test_grant_and_revoke(void **state)
{
    h *x = *state;
    fake_executor_analysis(x->ex, "popen", "{\"read_only\": false, \"opaque\": false, \"calls\": [\"os.popen\"], "
                                           "\"reasons\": [{\"line\": 2, \"what\": \"calls os.popen\", \"fact\": "
                                           "\"call os.popen\"}]}");
    fake_executor_analysis(x->ex, "remove", "{\"read_only\": false, \"opaque\": false, \"reasons\": [{\"line\": 2, "
                                            "\"what\": \"calls os.remove\", \"fact\": \"call os.remove\"}]}");
    fake_llm_reply(x->llm, "```python\nimport os\nprint(os.popen('echo one').read())\n```");
    fake_llm_reply(x->llm, "```python\nimport os\nprint(os.popen('echo two').read())\n```");
    fake_llm_reply(x->llm, "```python\nimport os\nos.remove('x')\n```");
    fake_llm_reply(x->llm, "```python\nimport os\nprint(os.popen('echo four').read())\n```");
    start(x, "popen");
    lc_ui_resize(x->app, 70, 160); /* room for every line of the conversation until step 4 */
    see(x, "Run step 1?");
    answer(x, "w");
    /* Step 3 does more than the grant covers: it asks. Meanwhile the screen holds still. */
    see(x, "Run step 3?");
    /* The grant was shown; step 2 did the same as step 1: no question, and the conversation says why. */
    shows(x, "grant-1 added for this session (W lists the grants; each can be revoked there): allow");
    shows(x, "ran without asking: grant grant-1 allows what step 2 does");
    assert_null(strstr(screen(x), "Run step 2?"));
    shows(x, " 1 RULE (W) ");
    assert_int_equal(fake_executor_ran(x->ex)->n, 2);
    keys(x, "W");
    see(x, "Grants and rules (j/k move, x/Del revokes, Esc/q or W closes)");
    char row[256];
    assert_string_equal(row_with(x, "> allow", row, sizeof row), " > allow grant-1              granted this session at step 1");
    shows(x, "matches: call os.popen");
    keys(x, "y"); /* the panel has the keys: nothing is answered behind it */
    see(x, "y does nothing in the grants panel");
    keys(x, "x");
    see(x, "[revoked]");
    keys(x, "<Esc>");
    see(x, "you revoked grant-1 (granted this session at step 1): steps it allowed ask again");
    assert_null(strstr(screen(x), "RULE (W)"));
    answer(x, "y");
    /* Step 4 is like step 1 again, but the grant is gone: it asks. */
    see(x, "Run step 4?");
    shows(x, "revoked for the rest of this session: grant-1");
    answer(x, "s");
    assert_int_equal(finish(x), 3);
}

/* P at the question: the grant is also saved to the user's config file, and the
 * conversation says where (file:line); the panel lists it as saved there. */
static void test_grant_saved_from_the_question(void **state)
{
    h *x = *state;
    x->cfg.user_file = lc_xasprintf("%s/config.yaml", x->tmp);
    assert_int_equal(lc_file_write_atomic(x->cfg.user_file, "# mine\nui:\n  theme: dark\n", 25, 0600, NULL), LC_OK);
    fake_executor_analysis(x->ex, "popen", "{\"read_only\": false, \"opaque\": false, \"calls\": [\"os.popen\"], "
                                           "\"reasons\": [{\"line\": 2, \"what\": \"calls os.popen\", \"fact\": "
                                           "\"call os.popen\"}]}");
    fake_llm_reply(x->llm, "```python\nimport os\nprint(os.popen('echo one').read())\n```");
    fake_llm_reply(x->llm, "```python\nimport os\nprint(os.popen('echo two').read())\n```");
    fake_llm_reply(x->llm, STEP2);
    fake_executor_analysis(x->ex, "final_answer", "{\"read_only\": true, \"opaque\": false, \"reasons\": []}");
    start(x, "popen");
    lc_ui_resize(x->app, 70, 200);
    see(x, "Run step 1?");
    shows(x, "w allow steps like this  P and save it");
    answer(x, "P");
    see(x, "Run step 3?");
    char *said = lc_xasprintf("saved-1 added and saved to %s:6", x->cfg.user_file);
    shows(x, said);
    free(said);
    shows(x, "ran without asking: grant saved-1 allows what step 2 does");
    lc_buf b = LC_BUF_INIT;
    assert_int_equal(lc_file_read(x->cfg.user_file, 1 << 20, &b, NULL), LC_OK);
    assert_string_equal(lc_buf_cstr(&b), "# mine\nui:\n  theme: dark\napproval:\n  rules:\n    - 'allow saved-1: "
                                         "call os.popen | must: call os.popen | why: allowed from the question at "
                                         "step 1'\n");
    lc_buf_free(&b);
    keys(x, "W");
    see(x, "Grants and rules");
    char *where = lc_xasprintf("saved to %s:6 at step 1", x->cfg.user_file);
    assert_non_null(strstr(screen(x), where));
    shows(x, "matches: call os.popen   why: allowed from the question at step 1");
    free(where);
    keys(x, "q");
    answer(x, "y");
    see(x, "Answer:");
    assert_int_equal(finish(x), 0);
}

/* Issue 13: an ask rule asks under auto-approve (--yes): the question comes although every
 * other step runs without one, and the conversation names the rule. */
static void test_ask_rule_asks_under_auto_approve(void **state)
{
    h *x = *state;
    x->cfg.security.auto_approve = true;
    lc_strv_push(&x->cfg.approval.rules, "ask popen: call os.popen | must: call os.popen");
    fake_executor_analysis(x->ex, "popen", "{\"read_only\": false, \"opaque\": false, \"calls\": [\"os.popen\"], "
                                           "\"reasons\": [{\"line\": 2, \"what\": \"calls os.popen\", \"fact\": "
                                           "\"call os.popen\"}]}");
    fake_executor_analysis(x->ex, "", "{\"read_only\": true, \"opaque\": false, \"reasons\": []}");
    fake_llm_reply(x->llm, "```python\nprint('first')\n```");
    fake_llm_reply(x->llm, "```python\nimport os\nprint(os.popen('echo two').read())\n```");
    fake_llm_reply(x->llm, STEP2);
    start(x, "ask rule");
    lc_ui_resize(x->app, 50, 160);
    see(x, "Run step 2?");
    shows(x, "AUTO-APPROVE");
    shows(x, "rule popen asks about step 2, even under auto-approve");
    assert_null(strstr(screen(x), "Run step 1?"));
    answer(x, "y");
    see(x, "Answer:");
    assert_null(strstr(screen(x), "Run step 3?"));
    assert_int_equal(finish(x), 0);
}

static void test_typeahead_discarded(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, STEP1);
    fake_llm_reply(x->llm, STEP2);
    start(x, "type ahead");
    /* Typed before the question appears: must not approve anything. */
    keys(x, "yyy");
    see(x, "Run step 1?");
    keys(x, "y"); /* inside the guard time: ignored too */
    lc_ui_pump(x->app, 20);
    shows(x, "Run step 1?");
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
    answer(x, "y");
    see(x, "Run step 2?");
    assert_int_equal(fake_executor_ran(x->ex)->n, 1);
    answer(x, "s");
    assert_int_equal(finish(x), 3);
}

static void test_decline_with_reason(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, "```python\nimport shutil\nshutil.rmtree('/workspace')\n```");
    fake_llm_reply(x->llm, STEP2);
    start(x, "clean up");
    see(x, "Run step 1?");
    answer(x, "d");
    see(x, "Why decline?");
    keys(x, "too dangerous<BS><BS><BS><BS><BS><BS><BS><BS><BS><BS><BS><BS><BS>risky!");
    char row[256];
    assert_string_equal(row_with(x, "Why decline?", row, sizeof row),
                        "Why decline? (Enter sends, Esc goes back): risky!");
    keys(x, "<Enter>");
    see(x, "declined: risky!");
    see(x, "Run step 2?");
    /* Nothing of the declined step ran; the model was told why. */
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
    assert_non_null(strstr(fake_llm_request_last(x->llm, 1), "risky!"));
    answer(x, "y");
    assert_int_equal(finish(x), 0);
}

static void test_edit(void **state)
{
    h *x = *state;
    /* EDITOR: a script that rewrites the step. */
    char *ed = lc_xasprintf("%s/ed.sh", x->tmp);
    FILE *f = fopen(ed, "w");
    fprintf(f, "#!/bin/sh\nprintf 'print(\"edited by you\")\\n' > \"$1\"\n");
    fclose(f);
    chmod(ed, 0755);
    setenv("EDITOR", ed, 1);
    unsetenv("VISUAL");
    fake_llm_reply(x->llm, STEP1);
    fake_llm_reply(x->llm, STEP2);
    start(x, "edit it");
    see(x, "Run step 1?");
    answer(x, "e");
    /* Asked again, with the edited code on screen. */
    see(x, "Run step 1 (edited)?");
    shows(x, " 1 print(\"edited by you\")");
    assert_null(strstr(screen(x), "  1 import os"));
    shows(x, "step 1 (edited)");
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
    answer(x, "y");
    see(x, "approved after your edit");
    see(x, "Run step 2?");
    assert_string_equal(fake_executor_ran(x->ex)->v[0], "print(\"edited by you\")\n");
    answer(x, "s");
    assert_int_equal(finish(x), 3);
    unsetenv("EDITOR");
    free(ed);
}

/* The decisions in the session log say what was in force at each step. */
static const cJSON *nth_kind(const cJSON *events, const char *kind, int nth)
{
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events)
    {
        if (!strcmp(lc_json_str(ev, "kind"), kind) && nth-- == 0)
            return ev;
    }
    return NULL;
}

static void test_auto_approve_and_revoke(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, "```python\nprint('again')\n```");
    fake_llm_reply(x->llm, "```python\nwhile True: pass\n```");
    fake_llm_reply(x->llm, "```python\nprint('third')\n```");
    fake_llm_reply(x->llm, STEP2);
    fake_executor_add(x->ex, &(fake_step){.match = "while True", .output = "spinning\n", .block = true});
    /* Asked at the start (no --yes): a turns auto-approve on, X off again. */
    char *path = lc_path_join(x->tmp, "session.jsonl");
    lc_err err = {0};
    assert_int_equal(lc_log_open(path, &x->log, &err), LC_OK);
    assert_int_equal(lc_log_header(x->log, &x->cfg, "/project", "fake", &err), LC_OK);
    open_app(x);
    lc_observer obs = lc_ui_observer(x->app);
    lc_observer fo = lc_fanout_init(&x->fan, x->log, &obs); /* the log first, then the front end */
    assert_int_equal(lc_agent_new(&x->cfg, x->llm, x->ex, &fo, NULL, x->log, &x->agent, &err), LC_OK);
    assert_int_equal(lc_ui_start(x->app, x->agent, "loop"), LC_OK);
    see(x, "Run step 1?");
    answer(x, "a");
    /* Step 2 runs without asking; the status bar says why. */
    see(x, "step 2 auto-approved");
    see(x, "spinning");
    shows(x, "AUTO-APPROVE (X: off)");
    /* Revoked while step 2 runs: step 3 asks again. */
    keys(x, "X");
    assert_null(strstr(screen(x), "AUTO-APPROVE"));
    keys(x, "<C-c>");
    see(x, "Run step 3?");
    assert_int_equal(fake_executor_ran(x->ex)->n, 2);
    answer(x, "s");
    assert_int_equal(finish(x), 3);
    lc_log_close(x->log); /* all of it on disk before it is read */
    x->log = NULL;
    cJSON *events = NULL;
    assert_int_equal(lc_log_read(path, &events, &err), LC_OK);
    /* asked at the start, auto from step 2, asked again at step 3 */
    const cJSON *m0 = nth_kind(events, "approval", 0), *m1 = nth_kind(events, "approval", 1),
                *m2 = nth_kind(events, "approval", 2);
    assert_non_null(m2);
    assert_string_equal(lc_json_str(m0, "mode"), "ask");
    assert_string_equal(lc_json_str(m1, "mode"), "auto");
    assert_int_equal((int)lc_json_num(m1, "step", 0), 2);
    assert_string_equal(lc_json_str(m2, "mode"), "ask");
    assert_int_equal((int)lc_json_num(m2, "step", 0), 3);
    assert_false(lc_json_bool(nth_kind(events, "decision", 0), "auto", false)); /* the user pressed a */
    assert_true(lc_json_bool(nth_kind(events, "decision", 1), "auto", false));
    assert_false(lc_json_bool(nth_kind(events, "decision", 2), "auto", false));
    cJSON_Delete(events);
    lc_buf rep = LC_BUF_INIT;
    assert_int_equal(lc_report_render(path, &rep, &err), LC_OK);
    assert_non_null(strstr(lc_buf_cstr(&rep), "- Approval: the user was asked at the start, changed 2 times"));
    assert_non_null(strstr(lc_buf_cstr(&rep), "**Decision: approved** (auto-approved)"));
    assert_null(strstr(lc_buf_cstr(&rep), "Every step was auto-approved"));
    lc_buf_free(&rep);
    free(path);
}

/* Issue 17, item 2: the first Ctrl-C ends the step at once and step 2's
 * question comes; a second Ctrl-C right after still stops the session
 * (the count is by time, not reset by the next step). */
static void test_interrupt(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, "```python\nwhile True: pass\n```");
    fake_llm_reply(x->llm, STEP2);
    fake_executor_add(x->ex, &(fake_step){.match = "while True", .output = "spinning\n", .block = true});
    start(x, "spin");
    see(x, "Run step 1?");
    answer(x, "y");
    see(x, "spinning");
    see(x, "step running");
    keys(x, "<C-c>");
    see(x, "== step 1: interrupted");
    assert_int_equal(fake_executor_interrupts(x->ex), 1);
    see(x, "Run step 2?");
    see(x, "C-c again within 3 s stops the session");
    keys(x, "<C-c>");
    assert_int_equal(finish(x), 3);
    see(x, "session stopped");
    assert_int_equal(fake_executor_ran(x->ex)->n, 1);
}

/* With auto-approve on, the first Ctrl-C turns it off: the next step waits
 * instead of starting by itself; the second Ctrl-C stops. */
static void test_interrupt_ends_auto_approve(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, "```python\nprint('one')\n```");
    fake_llm_reply(x->llm, "```python\nwhile True: pass\n```");
    fake_llm_reply(x->llm, "```python\nprint('three')\n```");
    fake_llm_reply(x->llm, STEP2);
    fake_executor_add(x->ex, &(fake_step){.match = "while True", .output = "spinning\n", .block = true});
    start(x, "loop");
    see(x, "Run step 1?");
    answer(x, "a");
    see(x, "spinning");
    keys(x, "<C-c>");
    see(x, "auto-approve is off");
    see(x, "Run step 3?");
    assert_null(strstr(screen(x), "step 3 auto-approved"));
    assert_int_equal(fake_executor_ran(x->ex)->n, 2);
    keys(x, "<C-c>");
    assert_int_equal(finish(x), 3);
    assert_int_equal(fake_executor_ran(x->ex)->n, 2);
}

/* Item 3: Ctrl-C in the input line clears it (Up brings the text back) and
 * does not count toward stopping; on the empty line it is Ctrl-C again. */
static void test_ctrl_c_clears_the_input_line(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, STEP1);
    fake_llm_reply(x->llm, STEP2);
    start(x, "clear");
    see(x, "Run step 1?");
    answer(x, "ihello there");
    see(x, "Message (Enter sends, Esc cancels): hello there");
    keys(x, "<C-c>");
    see(x, "line cleared (Up brings it back)");
    char row[256];
    assert_string_equal(row_with(x, "Message (Enter", row, sizeof row), "Message (Enter sends, Esc cancels):");
    keys(x, "<Up>");
    see(x, "Message (Enter sends, Esc cancels): hello there");
    keys(x, "<C-c>"); /* cleared again: still nothing counted */
    see(x, "line cleared");
    keys(x, "<C-c>"); /* the empty line closes; this one counts */
    see(x, "C-c again within 3 s stops the session");
    see(x, "Run step 1? y/Enter run");
    lc_ui_pump(x->app, 20);
    assert_true(lc_ui_pump(x->app, 0));
    /* The session went on: the step is still asked about and runs on y. */
    answer(x, "y");
    see(x, "Run step 2?");
    assert_int_equal(fake_executor_ran(x->ex)->n, 1);
    answer(x, "s");
    assert_int_equal(finish(x), 3);
}

/* Item 4, with a guard that does not end during the test: an answering key
 * inside it is dropped and said so; q is not dropped and its "yes, quit"
 * quits: nothing runs. */
static void test_guard_says_so_and_quit_never_runs(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, STEP1);
    fake_llm_reply(x->llm, STEP2);
    lc_ui_opts o = base_opts(x);
    o.approval_guard_ms = 600000;
    lc_err err = {0};
    x->app = lc_ui_new(&o, &err);
    assert_non_null(x->app);
    run_agent(x, "guarded");
    see(x, "Run step 1?");
    keys(x, "y");
    see(x, "y ignored: step 1's question appeared just now");
    keys(x, "<Enter>");
    see(x, "Enter ignored: step 1's question appeared just now");
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
    keys(x, "q");
    see(x, "The agent is working. Stop it and quit? (y/n)");
    keys(x, "y");
    assert_false(lc_ui_pump(x->app, 0));
    assert_int_equal(lc_ui_join(x->app), 3);
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
}

/* q typed while the model thinks opens the quit question; the step's
 * question arriving meanwhile does not take its y. */
static void test_quit_question_outlives_the_step_question(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, STEP1);
    fake_llm_reply(x->llm, STEP2);
    start(x, "quit early");
    keys(x, "q");
    see(x, "Stop it and quit? (y/n)");
    lc_sleep_ms(GUARD_MS + 20);
    for (int i = 0; i < 20; i++)
        lc_ui_pump(x->app, 5); /* the question, if it came, is on screen now */
    keys(x, "y");
    assert_false(lc_ui_pump(x->app, 0));
    assert_int_equal(lc_ui_join(x->app), 3);
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
}

/* Item 1: a paste is text for the input line, never keys: its line break
 * does not send, its y does not approve, its e does not open the editor,
 * its Ctrl-C and escape sequences are shown, a forged end marker inside it
 * does not let the rest through, and a paste that never ends is text too. */
static void test_paste_is_text_never_keys(void **state)
{
    h *x = *state;
    char *mark = lc_xasprintf("%s/editor-ran", x->tmp);
    char *ed = lc_xasprintf("%s/ed.sh", x->tmp);
    FILE *f = fopen(ed, "w");
    fprintf(f, "#!/bin/sh\ntouch '%s'\n", mark);
    fclose(f);
    chmod(ed, 0755);
    setenv("EDITOR", ed, 1);
    unsetenv("VISUAL");
    fake_llm_reply(x->llm, STEP1);
    fake_llm_reply(x->llm, STEP2);
    start(x, "paste");
    see(x, "Run step 1?");
    answer(x, "i");
    keys(x, "<PasteBegin>see below\ryou can go ahead<PasteEnd>");
    see(x, "Message (Enter sends, Esc cancels): see below\u23ceyou can go ahead");
    lc_sleep_ms(200); /* past the paste's tail: Enter is a key again */
    keys(x, "<Enter>");
    see(x, "message queued");
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
    /* No input line open: the paste opens it. */
    keys(x, "<PasteBegin>e<Esc>[Ay<C-c><C-c>dn<PasteEnd>");
    see(x, "Message (Enter sends, Esc cancels): e^[[Ay^C^Cdn");
    see(x, "pasted as text into the input line");
    lc_sleep_ms(200);
    keys(x, "<Esc>");
    /* A forged end marker: what follows it at once is still text. */
    keys(x, "<PasteBegin>hi<Esc>[201~y<Enter>");
    see(x, "Message (Enter sends, Esc cancels): hi");
    lc_ui_pump(x->app, 20);
    see(x, "Message (Enter sends, Esc cancels): hiy\u23ce");
    lc_sleep_ms(200);
    keys(x, "<C-u><Esc>");
    /* No end marker at all: after a quiet second the paste is text. */
    keys(x, "<PasteBegin>no end y");
    see(x, "the paste had no end marker");
    see(x, "Message (Enter sends, Esc cancels): no end y");
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
    assert_null(strstr(screen(x), "Why decline?"));
    assert_int_equal(access(mark, F_OK), -1);
    lc_sleep_ms(200);
    keys(x, "<Esc>");
    answer(x, "y");
    see(x, "Run step 2?");
    assert_int_equal(fake_executor_ran(x->ex)->n, 1);
    /* The message reached the model with its line break. */
    const char *req = fake_llm_request_dump(x->llm, 1);
    assert_non_null(strstr(req, "see below\nyou can go ahead"));
    answer(x, "s");
    assert_int_equal(finish(x), 3);
    unsetenv("EDITOR");
    free(ed);
    free(mark);
}

/* A paste larger than the input line: kept up to 64 KiB, the rest said, the
 * screen still drawn. */
static void test_big_paste(void **state)
{
    h *x = *state;
    open_app(x);
    lc_buf k = LC_BUF_INIT;
    lc_buf_puts(&k, "<PasteBegin>");
    for (int i = 0; i < 20000; i++)
        lc_buf_puts(&k, "line\r");
    lc_buf_puts(&k, "<PasteEnd>");
    keys(x, lc_buf_cstr(&k));
    see(x, "the paste was cut: 34464 bytes over the input line's 65536 were left out");
    see(x, "Message (Enter sends, Esc cancels):");
    shows(x, "line\u23celine\u23ce");
    lc_buf_free(&k);
}

#define TWENTY "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n"

/* A change set with two hunks in a.txt. */
static lc_diff *two_hunks(h *x)
{
    lc_err err = {0};
    char *orig = lc_xasprintf("%s/orig", x->tmp), *st = lc_xasprintf("%s/state", x->tmp);
    char *shadow = lc_xasprintf("%s/state/shadow", x->tmp), *a = lc_xasprintf("%s/a.txt", orig);
    assert_int_equal(lc_mkdir_p(orig, 0755, &err), LC_OK);
    assert_int_equal(lc_mkdir_p(st, 0700, &err), LC_OK);
    assert_int_equal(lc_file_write_atomic(a, TWENTY, strlen(TWENTY), 0644, &err), LC_OK);
    assert_int_equal(lc_diff_snapshot(orig, st, &err), LC_OK);
    lc_proc_result res = LC_PROC_RESULT_INIT;
    const char *argv[] = {"cp", "-a", orig, shadow, NULL};
    assert_int_equal(lc_proc_run(argv, NULL, 0, 30000, 1 << 16, &res, &err), LC_OK);
    lc_proc_result_free(&res);
    lc_diff *d = NULL;
    assert_int_equal(lc_diff_open(orig, shadow, st, NULL, &d, &err), LC_OK);
    char *b = lc_xasprintf("%s/a.txt", shadow);
    const char *text = "1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\nEIGHTEEN\n19\n20\n";
    assert_int_equal(lc_file_write_atomic(b, text, strlen(text), 0644, &err), LC_OK);
    free(b);
    free(a);
    free(shadow);
    free(st);
    free(orig);
    return d;
}

/* The screen row holding text, or -1. */
static int row_of(h *x, const char *text)
{
    const char *s = screen(x), *hit = strstr(s, text);
    if (!hit)
        return -1;
    int row = 0;
    for (const char *p = s; p < hit; p++)
        row += *p == '\n';
    return row;
}

/* Item 5: in the focused Diffs pane n is "next hunk" while a step waits;
 * the question's own keys (d declines) work from any pane. */
static void test_pane_keys_while_a_step_waits(void **state)
{
    h *x = *state;
    x->diff = two_hunks(x);
    fake_llm_reply(x->llm, STEP1);
    fake_llm_reply(x->llm, STEP2);
    lc_ui_opts o = base_opts(x);
    o.diff = x->diff;
    lc_err err = {0};
    x->app = lc_ui_new(&o, &err);
    assert_non_null(x->app);
    run_agent(x, "review");
    see(x, "Run step 1?");
    answer(x, "<Tab><Tab><Tab>z");
    see(x, "> Diffs");
    see(x, "@@ -15,6 +15,6 @@");
    int r1 = row_of(x, "@@ -1,5 +1,5 @@"), r2 = row_of(x, "@@ -15,6 +15,6 @@");
    assert_true(r1 > 0 && r2 > r1);
    assert_string_not_equal(lc_ui_role_at(x->app, r1, 4), "cursor");
    keys(x, "n");
    assert_string_equal(lc_ui_role_at(x->app, r1, 4), "cursor");
    keys(x, "n");
    assert_string_equal(lc_ui_role_at(x->app, r2, 4), "cursor");
    assert_null(strstr(screen(x), "Why decline?"));
    keys(x, "p");
    assert_string_equal(lc_ui_role_at(x->app, r1, 4), "cursor");
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
    /* A key that does nothing here says which keys answer. */
    keys(x, "c");
    see(x, "c does nothing here; step 1 waits: y/Enter runs it, d declines it");
    keys(x, "d");
    see(x, "Why decline?");
    keys(x, "not now<Enter>");
    see(x, "Run step 2?");
    assert_non_null(strstr(fake_llm_request_last(x->llm, 1), "not now"));
    answer(x, "s");
    assert_int_equal(finish(x), 3);
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
}

/* Item 10: without a task the UI asks for one; the agent starts when it is sent. */
static void test_asks_for_the_task(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, STEP2);
    lc_ui_opts o = base_opts(x);
    o.ask_task = true;
    lc_err err = {0};
    x->app = lc_ui_new(&o, &err);
    assert_non_null(x->app);
    run_agent(x, NULL);
    see(x, "Task (Enter starts the agent, Esc then q quits):");
    see(x, "waiting for your task");
    lc_ui_pump(x->app, 50);
    assert_int_equal(fake_llm_nrequests(x->llm), 0);
    keys(x, "<Enter>"); /* empty: still asks */
    see(x, "type the task for the agent");
    keys(x, "count the files<Enter>");
    see(x, "Task: count the files");
    see(x, "Run step 1?");
    assert_non_null(strstr(fake_llm_request_dump(x->llm, 0), "count the files"));
    answer(x, "y");
    assert_int_equal(finish(x), 0);
}

static void test_quit_before_a_task(void **state)
{
    h *x = *state;
    lc_ui_opts o = base_opts(x);
    o.ask_task = true;
    lc_err err = {0};
    x->app = lc_ui_new(&o, &err);
    assert_non_null(x->app);
    run_agent(x, NULL);
    see(x, "Task (Enter starts the agent");
    keys(x, "<Esc>");
    see(x, "i/: types the task");
    keys(x, "q");
    assert_false(lc_ui_pump(x->app, 0));
    assert_int_equal(lc_ui_join(x->app), 0);
    assert_int_equal(fake_llm_nrequests(x->llm), 0);
}

static void test_message_while_working(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, STEP1);
    fake_llm_reply(x->llm, STEP2);
    start(x, "talk");
    see(x, "Run step 1?");
    lc_sleep_ms(GUARD_MS + 20);
    keys(x, "iuse python 3.12 please");
    see(x, "Message (Enter sends, Esc cancels): use python 3.12 please");
    keys(x, "<Enter>");
    see(x, "message queued");
    keys(x, "y");
    see(x, "You: use python 3.12 please");
    see(x, "Run step 2?");
    assert_non_null(strstr(fake_llm_request_dump(x->llm, 1), "use python 3.12 please"));
    answer(x, "y");
    assert_int_equal(finish(x), 0);
}

static void test_typing_when_question_appears(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, STEP1);
    fake_llm_reply(x->llm, STEP2);
    open_app(x);
    keys(x, "iyes ");
    run_agent(x, "type");
    see(x, "step 1 waits for your approval"); /* on the status row while the message is open */
    see(x, "Message (Enter sends, Esc cancels): yes");
    /* Keys still go into the message, never to the question. */
    lc_sleep_ms(GUARD_MS + 20);
    keys(x, "yy");
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
    see(x, "Message (Enter sends, Esc cancels): yes yy");
    keys(x, "<Esc>");
    see(x, "Run step 1? y/Enter run");
    answer(x, "s");
    assert_int_equal(finish(x), 3);
}

/* Below 80x24 the panes, the question with them, are replaced by a message:
 * keys pressed then answer nothing, and the question is guarded again when
 * the window grows back. */
static void test_question_hidden_by_small_terminal(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, STEP1);
    fake_llm_reply(x->llm, STEP2);
    start(x, "small");
    see(x, "Run step 1?");
    lc_ui_resize(x->app, 20, 70);
    see(x, "Terminal too small: 70x20.");
    answer(x, "yyz<Tab>");
    assert_null(strstr(screen(x), "Run step 1?"));
    lc_ui_resize(x->app, 30, 100);
    see(x, "Run step 1?");
    keys(x, "y"); /* at once: the guard is back */
    lc_ui_pump(x->app, 20);
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
    assert_null(strstr(screen(x), "[zoomed"));
    shows(x, "> Conversation");
    answer(x, "y");
    see(x, "Run step 2?");
    assert_int_equal(fake_executor_ran(x->ex)->n, 1);
    /* Ctrl-C still reaches the session while the message is up. */
    lc_ui_resize(x->app, 20, 70);
    answer(x, "<C-c><C-c>");
    assert_int_equal(finish(x), 3);
    assert_int_equal(fake_executor_ran(x->ex)->n, 1);
}

static void test_quit_while_working_asks_first(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, STEP1);
    fake_llm_reply(x->llm, STEP2);
    start(x, "quit");
    see(x, "Run step 1?");
    answer(x, "q");
    see(x, "The agent is working. Stop it and quit? (y/n)");
    keys(x, "<Enter>"); /* neither yes nor no: the question stays, the step is not run */
    see(x, "y quits, n goes back");
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
    see(x, "The agent is working. Stop it and quit? (y/n)");
    keys(x, "n"); /* no: back to the question, nothing decided */
    see(x, "Run step 1? y/Enter run");
    assert_true(lc_ui_pump(x->app, 0));
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
    keys(x, "qy");
    assert_false(lc_ui_pump(x->app, 0));
    assert_int_equal(lc_ui_join(x->app), 3);
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
}

static void *stop_later(void *arg)
{
    h *x = arg;
    lc_sleep_ms(200);
    lc_ui_stop(x->app); /* as main's signal thread does on SIGTERM */
    return NULL;
}

static void test_stop_from_another_thread(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, STEP1);
    fake_llm_reply(x->llm, STEP2);
    start(x, "stop me");
    see(x, "Run step 1?");
    pthread_t th;
    pthread_create(&th, NULL, stop_later, x);
    /* lc_ui_run's loop returns by itself: the question is answered "stop". */
    int64_t t0 = lc_now_ms();
    while (lc_ui_pump(x->app, 50))
        assert_true(lc_now_ms() - t0 < 10000);
    pthread_join(th, NULL);
    assert_int_equal(lc_ui_join(x->app), 3);
    assert_int_equal(fake_executor_ran(x->ex)->n, 0);
}

static void test_ask_user(void **state)
{
    h *x = *state;
    fake_llm_reply(x->llm, "```python\nname = ask_user('Which file?')\nfinal_answer(name)\n```");
    fake_executor_add(x->ex, &(fake_step){.match = "ask_user", .tool_name = "ask_user",
                                          .tool_args = "{\"question\": \"Which \\u001b[31mfile?\"}",
                                          .status = LC_STEP_FINAL, .final_answer = "\"x\""});
    start(x, "ask");
    see(x, "Run step 1?");
    answer(x, "y");
    see(x, "The agent asks you:");
    /* The question's escape byte is drawn visibly, not sent. */
    shows(x, "Which ^[[31mfile?");
    answer(x, "main.py<Enter>");
    assert_int_equal(finish(x), 0);
    const lc_strv *res = fake_executor_tool_results(x->ex);
    assert_int_equal(res->n, 1);
    assert_non_null(strstr(res->v[0], "main.py"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sandbox_start_failure_shown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_build_progress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_image_build_failure_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_approve_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_error_keeps_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_error_quit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_container_timeout_is_not_a_model_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_shows_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_typeahead_discarded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decline_with_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auto_approve_and_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grant_and_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grant_saved_from_the_question, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ask_rule_asks_under_auto_approve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_ends_auto_approve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ctrl_c_clears_the_input_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_guard_says_so_and_quit_never_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quit_question_outlives_the_step_question, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paste_is_text_never_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pane_keys_while_a_step_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_asks_for_the_task, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_paste, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quit_before_a_task, setup, teardown),
        cmocka_unit_test_setup_teardown(test_message_while_working, setup, teardown),
        cmocka_unit_test_setup_teardown(test_typing_when_question_appears, setup, teardown),
        cmocka_unit_test_setup_teardown(test_question_hidden_by_small_terminal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quit_while_working_asks_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_from_another_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ask_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mcp_call_mid_step_one_header, setup, teardown),
    };
    (void)H;
    /* A failure's message must reach the log even if the process dies after it. */
    setvbuf(stdout, NULL, _IONBF, 0);
    if (getenv("LITECODE_TEST_ONLY")) /* one test by name, while working on it */
        cmocka_set_test_filter(getenv("LITECODE_TEST_ONLY"));
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        return 1;
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_diff_global_shutdown();
    return rc;
}
