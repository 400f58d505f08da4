/* Hostile text through the real binary: file names, container output, model
 * replies and error bodies, config values and session logs full of escape
 * sequences. Whatever the mode (--headless with --apply, --report,
 * --print-config, --check, an error), no byte that could drive the terminal
 * reaches stdout or stderr: no ESC, no other C0 control but \n and \t (so no
 * \r to overwrite a line), no C1 control raw or as UTF-8, no bidi override,
 * only valid UTF-8. The escaped forms are there instead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2e.h"

/* What a terminal may be given: the property, checked byte by byte. */
static void assert_terminal_safe(const char *what, const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp = 0;
        size_t n = lc_utf8_decode(s + i, len - i, &cp);
        const char *bad = n == 0                                  ? "invalid UTF-8"
                          : c == 0x1b                             ? "ESC"
                          : c == '\r'                             ? "CR"
                          : (c < 0x20 && c != '\n' && c != '\t') ? "C0 control"
                          : c == 0x7f                             ? "DEL"
                          : (cp >= 0x80 && cp <= 0x9f)            ? "C1 control"
                          : (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ? "bidi control"
                                                                                              : NULL;
        if (bad) {
            size_t from = i > 60 ? i - 60 : 0;
            fail_msg("%s: %s at byte %zu, after: %.*s", what, bad, i, (int)(i - from), s + from);
        }
        i += n;
    }
}

typedef struct run {
    int code;
    char *out, *err;
} run;

static void run_bin(const char *const *argv, run *r)
{
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_proc_run(argv, "", 0, 300000, 8 << 20, &res, &err), LC_OK);
    r->code = res.exit_code;
    r->out = lc_buf_detach(&res.out);
    r->err = lc_buf_detach(&res.err);
    fprintf(stderr, "--- %s ... exit %d\n--- stdout\n%s--- stderr\n%s---\n", argv[1], r->code, r->out, r->err);
    assert_terminal_safe("stdout", r->out, strlen(r->out));
    assert_terminal_safe("stderr", r->err, strlen(r->err));
}

static void run_free(run *r)
{
    free(r->out);
    free(r->err);
}

/* A home whose project holds one harmless file, with a key. */
static void home_at(home *h, const char *tag)
{
    home_open(h, tag);
    lc_test_write(h->project, "README.md", "a project with hostile names\n");
    setenv("OPENAI_API_KEY", "sk-test-hostile", 1);
}

/* A FIFO with an escape in its name is skipped (the start notes name it);
 * the model's code creates files whose names, and prints output that, carry
 * every shape; the model's reply and final answer carry them too; --apply
 * reports each path. Then --report renders that session's log. */
/* A session log, or a replay, named by the user may be a FIFO (or a device):
 * opening one for reading waited for a writer forever. Each start refuses it
 * at once and says what it is. */
static void test_log_paths_that_are_not_files_are_refused(void **state)
{
    (void)state;
    home h;
    home_at(&h, "fifo-logs");
    char *fifo = lc_path_join(h.dir, "session.jsonl");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    char *replay = lc_xasprintf("replay:%s", fifo);
    const char *bin = getenv("LITECODE_TUI");
    const char *const runs[][9] = {
        {bin, "--report", fifo, NULL},
        {bin, "--headless", "--dir", h.project, "--resume", fifo, "go on", NULL},
        {bin, "--headless", "--dir", h.project, "--model", replay, "a task", NULL},
        {bin, "--headless", "--dir", h.project, "--resume", "/dev/null", "go on", NULL},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        run r;
        run_bin(runs[i], &r);
        assert_int_equal(r.code, 2);
        assert_non_null(strstr(r.err, "is a pipe, socket or device, not a regular file"));
        run_free(&r);
    }
    free(replay);
    free(fifo);
    home_close(&h);
}

static void test_headless_apply_and_report(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_at(&h, "hostile");
    char *fifo = lc_path_join(h.project, "fifo\x1b[2J");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    free(fifo);

    lc_buf script = LC_BUF_INIT;
    add_response(&script,
                 "Thought: \x1b[2Jmake names\xc2\x9b" "2J \xe2\x80\xae\n```python\n"
                 "names = ['esc\\x1b[2J.txt', 'osc\\x1b]52;c;cHduZWQ=\\x07.txt', 'link\\x1b]8;;http:x\\x1b\\\\.txt',\n"
                 "         'c1\\u009b2J.txt', 'bidi\\u202e.txt', 'cr\\rover.txt', 'nl\\nlitecode-tui: fine.txt',\n"
                 "         'x' * 200 + '\\x1b[K.txt']\n"
                 "for n in names:\n"
                 "    open(n, 'w').write('hostile\\n')\n"
                 "open(b'bad\\xff\\x9b.txt', 'wb').write(b'x')\n"
                 "print('out\\x1b[31mred\\x1b]0;title\\x07\\rover\\u009b1m\\u202e')\n"
                 "import sys; sys.stderr.write('err\\x1b[2J\\n')\n```");
    add_response(&script, "```python\nfinal_answer('done \\x1b[2J\\u009b\\u202e\\r')\n```");
    mock_server *m = NULL;
    assert_int_equal(mock_server_start_script(lc_buf_cstr(&script), &m), 0);
    lc_buf_free(&script);

    const char *bin = getenv("LITECODE_TUI");
    const char *argv[] = {bin, "--headless", "--yes", "--apply", "--dir", h.project, "--model", "openai/m",
                          "--base-url", mock_server_url(m), "make hostile names \x1b[2J", NULL};
    run r;
    run_bin(argv, &r);
    assert_int_equal(r.code, 0);
    /* The escaped forms are there: the test saw the hostile text. */
    assert_non_null(strstr(r.err, "not copied into the sandbox: fifo^[[2J (fifo)"));
    assert_non_null(strstr(r.err, "esc^[[2J.txt"));
    assert_non_null(strstr(r.err, "nl^Jlitecode-tui: fine.txt")); /* one line, not a forged one */
    assert_non_null(strstr(r.out, "out^[[31mred^[]0;title^G^Mover\\u009b1m\\u202e"));
    assert_non_null(strstr(r.out, "done ^[[2J\\u009b\\u202e^M"));
    /* ...and the files were applied under their real names. */
    char *applied = lc_test_read(h.project, "esc\x1b[2J.txt");
    assert_non_null(applied);
    free(applied);

    char *log = log_of(r.err);
    run_free(&r);
    const char *rep[] = {bin, "--report", log, NULL};
    run_bin(rep, &r);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "# litecode session report"));
    assert_non_null(strstr(r.out, "^[[2J"));
    run_free(&r);
    free(log);
    mock_server_stop(m);
    home_close(&h);
}

/* A log written by hand (or by an attacker): escapes as JSON \u sequences,
 * raw invalid UTF-8 and raw C1 bytes, in every field the report shows. */
static void test_report_of_hostile_log(void **state)
{
    (void)state;
    home h;
    home_at(&h, "hostile-report");
    const char *E = "\\u001b[2J\\u001b]52;c;QQ==\\u0007\\r\\u009b\\u202e\xff\xc2\x9b";
    lc_buf log = LC_BUF_INIT;
    lc_buf_printf(&log,
                  "{\"kind\":\"header\",\"ts\":\"%s\",\"litecode\":\"%s\",\"dir\":\"/p%s\",\"model\":{\"name\":\"m%s\","
                  "\"base_url\":\"u%s\"},\"agent\":{\"type\":\"code%s\",\"profile\":\"p%s\",\"max_steps\":3},"
                  "\"container\":{\"engine\":\"docker%s\",\"image\":\"i%s\"}}\n",
                  E, E, E, E, E, E, E, E, E);
    const char *kinds[] = {"task\",\"text", "plan\",\"text", "model_reply\",\"content", "action\",\"tool",
                           "action\",\"code", "decision\",\"decision", "syntax_error\",\"error", "result\",\"status",
                           "result\",\"output", "result\",\"notice", "tool_call\",\"name", "tool_call\",\"args",
                           "changed_files\",\"summary", "user_message\",\"text", "hunk_applied\",\"path",
                           "final_answer\",\"answer", "model_error\",\"message", "resumed\",\"from",
                           "done\",\"outcome"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        lc_buf_printf(&log, "{\"kind\":\"%s\":\"x%s\",\"step\":1}\n", kinds[i], E);
    lc_buf_printf(&log, "{\"kind\":\"decision\",\"decision\":\"declined\",\"reason\":\"r%s\",\"step\":1}\n", E);
    lc_buf_printf(&log, "{\"kind\":\"decision\",\"decision\":\"edited\",\"diff\":\"d%s\",\"step\":1}\n", E);
    lc_buf_printf(&log, "{\"kind\":\"result\",\"status\":\"error\",\"error\":{\"type\":\"T%s\",\"message\":\"M%s\"}}\n",
                  E, E);
    lc_test_write(h.dir, "hostile.jsonl", lc_buf_cstr(&log));
    lc_buf_free(&log);
    char *path = lc_path_join(h.dir, "hostile.jsonl");
    const char *bin = getenv("LITECODE_TUI");
    const char *argv[] = {bin, "--report", path, NULL};
    run r;
    run_bin(argv, &r);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "- Directory: /p^[[2J^[]52;c;QQ==^G^M\\u009b\\u202e\\xff\\u009b"));
    assert_non_null(strstr(r.out, "**Decision: x^[[2J"));
    assert_non_null(strstr(r.out, "- Outcome: x^[[2J"));
    run_free(&r);
    /* A log that is not one: the error names the file, escaped. */
    char *bad = lc_path_join(h.dir, "bad\x1b[2J.jsonl");
    lc_test_write(h.dir, "bad\x1b[2J.jsonl", "not json \x1b[2J\n{}\n");
    const char *argv2[] = {bin, "--report", bad, NULL};
    run_bin(argv2, &r);
    assert_int_not_equal(r.code, 0);
    assert_non_null(strstr(r.err, "bad^[[2J.jsonl"));
    run_free(&r);
    free(bad);
    free(path);
    home_close(&h);
}

/* Config values echoed by --print-config, and config errors that quote what
 * they refuse. */
static void test_print_config_and_config_errors(void **state)
{
    (void)state;
    home h;
    home_at(&h, "hostile-config");
    /* "\x9b", "\u202e" and "\u2028" are YAML escapes: the values hold a C1
     * control, a bidi override and a line separator, which the loader
     * accepts (it refuses C0 controls: see the errors below). */
    lc_test_write(h.dir, "ok.yaml",
                  "model:\n  name: \"openai/m\\x9b\\u202e\\u2028\"\n  base_url: \"http://127.0.0.1:1/\\u202ex\"\n");
    char *ok = lc_path_join(h.dir, "ok.yaml");
    const char *bin = getenv("LITECODE_TUI");
    const char *argv[] = {bin, "--config", ok, "--dir", h.project, "--print-config", NULL};
    run r;
    run_bin(argv, &r);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "name: \"openai/m\\x9b\\u202e\\u2028\""));
    run_free(&r);
    /* An image name is one word of the engine's command line: such a name is
     * refused, and the refusal quotes it escaped. */
    lc_test_write(h.dir, "img.yaml", "container:\n  image: \"img\\u202e\\u2066\"\n");
    char *img = lc_path_join(h.dir, "img.yaml");
    const char *iargv[] = {bin, "--config", img, "--dir", h.project, "--print-config", NULL};
    run_bin(iargv, &r);
    assert_int_not_equal(r.code, 0);
    assert_non_null(strstr(r.err, "'img\\u202e\\u2066' is not an image reference"));
    assert_null(strstr(r.err, "\xe2\x80\xae"));
    run_free(&r);
    free(img);
    /* C0 controls are refused, and the refusal does not echo them raw. */
    lc_test_write(h.dir, "ctl.yaml", "model:\n  name: \"openai/m\\e[2J\\r\"\n");
    char *ctl = lc_path_join(h.dir, "ctl.yaml");
    const char *a1[] = {bin, "--config", ctl, "--dir", h.project, "--print-config", NULL};
    run_bin(a1, &r);
    assert_int_not_equal(r.code, 0);
    run_free(&r);
    free(ctl);

    /* An unknown key, an unknown section and a bad value, each hostile. */
    const char *bad_files[] = {
        "model:\n  \"na\\e[2Jme\": x\n",
        "\"mo\\e]52;c;QQ==\\adel\":\n  name: x\n",
        "container:\n  memory: \"1\\e[2Jg\\x9b\"\n",
        "model:\n  name: [\"\\e[2J\"]\n",
        "\xff\x9b: \x1b[2J\n",
    };
    for (size_t i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++) {
        lc_test_write(h.dir, "bad.yaml", bad_files[i]);
        char *bad = lc_path_join(h.dir, "bad.yaml");
        const char *a2[] = {bin, "--config", bad, "--dir", h.project, "--print-config", NULL};
        run_bin(a2, &r);
        assert_int_not_equal(r.code, 0);
        run_free(&r);
        free(bad);
    }
    /* The same through --set, and a hostile flag value. */
    const char *a3[] = {bin, "--dir", h.project, "--print-config", "--set", "container.memory=\xc2\x9b" "2J\xe2\x80\xae", NULL};
    run_bin(a3, &r);
    assert_int_not_equal(r.code, 0);
    assert_non_null(strstr(r.err, "\\u009b2J\\u202e"));
    run_free(&r);
    const char *a4[] = {bin, "--dir", h.project, "--print-config", "--set", "model.\x1b[2J=x", NULL};
    run_bin(a4, &r);
    assert_int_not_equal(r.code, 0);
    run_free(&r);
    const char *a5[] = {bin, "--\x1b[2Jflag\r", NULL};
    run_bin(a5, &r);
    assert_int_not_equal(r.code, 0);
    run_free(&r);
    const char *a6[] = {bin, "--dir", "/nonexistent/\x1b[2J\xc2\x9b", "--print-config", NULL};
    run_bin(a6, &r);
    run_free(&r);
    free(ok);
    home_close(&h);
}

/* --check: a model whose name is hostile and whose server answers with an
 * error body full of escapes. */
static void test_check_with_hostile_server(void **state)
{
    (void)state;
    home h;
    home_at(&h, "hostile-check");
    mock_server *m = NULL;
    assert_int_equal(mock_server_start_script("@response 400\n@header Content-Type: application/json\n@body\n"
                                              "{\"error\":{\"message\":\"bad key \\u001b[2J\\u001b]52;c;QQ==\\u0007"
                                              "\\r\\u009b\\u202e\",\"type\":\"invalid\\u001b\"}}\n"
                                              "@response 500\n@body\n\x1b[2Jplain \xc2\x9b body\r\n",
                                              &m),
                     0);
    const char *bin = getenv("LITECODE_TUI");
    /* The flags refuse C0 controls in a name; a config file may still hold
     * a C1 control and a bidi override. */
    lc_buf cfg = LC_BUF_INIT;
    lc_buf_printf(&cfg, "model:\n  name: \"openai/m\\x9b\\u202e\"\n  base_url: \"%s\"\n", mock_server_url(m));
    lc_test_write(h.dir, "check.yaml", lc_buf_cstr(&cfg));
    lc_buf_free(&cfg);
    char *cfgpath = lc_path_join(h.dir, "check.yaml");
    const char *argv[] = {bin, "--check", "--config", cfgpath, "--dir", h.project, NULL};
    run r;
    run_bin(argv, &r);
    assert_int_not_equal(r.code, 0);
    assert_non_null(strstr(r.out, "FAIL  model openai/m\\u009b\\u202e"));
    assert_non_null(strstr(r.out, "^[[2J"));
    run_free(&r);
    run_bin(argv, &r); /* the plain-text 500 */
    assert_int_not_equal(r.code, 0);
    run_free(&r);
    /* A hostile value on the command line: refused, and not echoed raw. */
    const char *a2[] = {bin, "--check", "--dir", h.project, "--model", "openai/m\x1b[2J\r", NULL};
    run_bin(a2, &r);
    assert_int_not_equal(r.code, 0);
    run_free(&r);
    free(cfgpath);
    mock_server_stop(m);
    home_close(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_of_hostile_log),
        cmocka_unit_test(test_print_config_and_config_errors),
        cmocka_unit_test(test_check_with_hostile_server),
        cmocka_unit_test(test_headless_apply_and_report),
        cmocka_unit_test(test_log_paths_that_are_not_files_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
