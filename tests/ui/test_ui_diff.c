/* The diff review headless, on a real lc_diff over temporary directories:
 * the file list and hunks on screen, select and apply one hunk (the rest
 * stays), undo, apply or skip a whole file, revert in the shadow (the agent
 * is told), a conflict shown plainly, the session log, and a 100,000-line
 * diff paged through. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ui/ui.h"

typedef struct fx {
    char *root, *orig, *shadow, *state, *logpath;
    lc_config cfg;
    lc_diff *d;
    lc_log *log;
    lc_app *app;
    lc_buf screen;
} fx;

static char *P(const char *a, const char *b)
{
    return lc_xasprintf("%s/%s", a, b);
}

/* Writes a file dated in the past, so a later write always moves its mtime. */
static void wr(const char *root, const char *rel, const char *text)
{
    char *path = P(root, rel);
    lc_err err = {0};
    assert_int_equal(lc_file_write_atomic(path, text, strlen(text), 0644, &err), LC_OK);
    struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
    utimensat(AT_FDCWD, path, ts, 0);
    free(path);
}

/* A write that happens now, as the agent's or the user's would. */
static void edit(const char *root, const char *rel, const char *text)
{
    char *path = P(root, rel);
    lc_err err = {0};
    assert_int_equal(lc_file_write_atomic(path, text, strlen(text), 0644, &err), LC_OK);
    free(path);
}

static char *rd(const char *root, const char *rel)
{
    char *path = P(root, rel);
    lc_buf b = LC_BUF_INIT;
    lc_err err = {0};
    int rc = lc_file_read(path, 1 << 26, &b, &err);
    free(path);
    if (rc != LC_OK) {
        lc_buf_free(&b);
        return NULL;
    }
    lc_buf_append(&b, "", 0);
    return lc_buf_detach(&b);
}

static int setup(void **state)
{
    fx *f = lc_xcalloc(1, sizeof *f);
    char tmpl[] = "/tmp/lc-uidiff-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    f->root = lc_xstrdup(tmpl);
    f->orig = P(f->root, "orig");
    f->shadow = P(f->root, "state/shadow");
    f->state = P(f->root, "state");
    f->logpath = P(f->root, "session.jsonl");
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(f->orig, 0755, &err), LC_OK);
    assert_int_equal(lc_mkdir_p(f->state, 0700, &err), LC_OK);
    lc_config_defaults(&f->cfg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    lc_ui_free(f->app);
    lc_diff_free(f->d);
    lc_log_close(f->log);
    lc_config_free(&f->cfg);
    lc_buf_free(&f->screen);
    lc_err err = {0};
    lc_rm_rf(f->root, &err);
    free(f->root);
    free(f->orig);
    free(f->shadow);
    free(f->state);
    free(f->logpath);
    free(f);
    return 0;
}

/* Snapshot, shadow copy, open the diff, then "the agent" edits the shadow
 * through the callback, and the UI opens with the Diffs pane focused. */
static void start(fx *f, void (*agent_edits)(fx *f), int rows, int cols)
{
    lc_err err = {0};
    assert_int_equal(lc_diff_snapshot(f->orig, f->state, &err), LC_OK);
    lc_proc_result res = LC_PROC_RESULT_INIT;
    const char *argv[] = {"cp", "-a", f->orig, f->shadow, NULL};
    assert_int_equal(lc_proc_run(argv, NULL, 0, 30000, 1 << 16, &res, &err), LC_OK);
    assert_int_equal(res.exit_code, 0);
    lc_proc_result_free(&res);
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    agent_edits(f);
    assert_int_equal(lc_log_open(f->logpath, &f->log, &err), LC_OK);
    lc_ui_opts o = LC_UI_OPTS_INIT;
    o.cfg = &f->cfg;
    o.dir = f->orig;
    o.diff = f->d;
    o.log = f->log;
    o.themes_dir = LC_SOURCE_DIR "/themes";
    o.virtual_term = true;
    o.rows = rows;
    o.cols = cols;
    f->app = lc_ui_new(&o, &err);
    if (!f->app)
        fail_msg("lc_ui_new: %s", err.msg);
    assert_int_equal(lc_ui_feed_keys(f->app, "<Tab><Tab><Tab>z", &err), LC_OK); /* Diffs, zoomed */
    lc_ui_pump(f->app, 0);
}

static const char *screen(fx *f)
{
    lc_ui_pump(f->app, 0);
    lc_buf_reset(&f->screen);
    lc_ui_dump_screen(f->app, &f->screen);
    return lc_buf_cstr(&f->screen);
}

static void keys(fx *f, const char *k)
{
    lc_err err = {0};
    assert_int_equal(lc_ui_feed_keys(f->app, k, &err), LC_OK);
    lc_ui_pump(f->app, 0);
}

static void has(fx *f, const char *text)
{
    const char *s = screen(f);
    if (!strstr(s, text)) {
        fprintf(stderr, "---- screen ----\n%s----\n", s);
        fail_msg("the screen does not show \"%s\"", text);
    }
}

static void lacks(fx *f, const char *text)
{
    const char *s = screen(f);
    if (strstr(s, text)) {
        fprintf(stderr, "---- screen ----\n%s----\n", s);
        fail_msg("the screen still shows \"%s\"", text);
    }
}

#define TWENTY "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n"

static void two_hunks(fx *f)
{
    edit(f->shadow, "a.txt", "1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\nEIGHTEEN\n19\n20\n");
    edit(f->shadow, "new.py", "print('new')\n");
}

static void test_select_apply_undo(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", TWENTY);
    start(f, two_hunks, 30, 100);
    has(f, "> Diffs 2 files +3 -2  0 selected  undo 0");
    has(f, "[ ] M a.txt  +2 -2");
    has(f, "[ ] A new.py  +1 -0");
    has(f, "  [ ] @@ -1,5 +1,5 @@");
    has(f, "  [ ] @@ -15,6 +15,6 @@");
    has(f, "    -2\n    +TWO\n");
    /* The first hunk of a.txt: select it and apply it; the second stays. */
    keys(f, "n");
    keys(f, "t");
    has(f, "  [x] @@ -1,5 +1,5 @@");
    has(f, "[~] M a.txt");
    has(f, "1 selected");
    keys(f, "A");
    has(f, "ok a.txt: applied");
    lacks(f, "+TWO");
    has(f, "+EIGHTEEN");
    char *got = rd(f->orig, "a.txt");
    assert_non_null(strstr(got, "\nTWO\n"));
    assert_non_null(strstr(got, "\n18\n"));
    free(got);
    has(f, "undo 1");
    /* Undo: the original is back, the hunk is back in the review. */
    keys(f, "u");
    has(f, "ok a.txt: restored");
    has(f, "+TWO");
    got = rd(f->orig, "a.txt");
    assert_string_equal(got, TWENTY);
    free(got);
    /* The session log has the apply and the undo. */
    cJSON *evs = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_read(f->logpath, &evs, &err), LC_OK);
    char *text = cJSON_PrintUnformatted(evs);
    assert_non_null(strstr(text, "\"kind\":\"hunk_applied\""));
    assert_non_null(strstr(text, "\"path\":\"a.txt\",\"hunk\":0"));
    assert_non_null(strstr(text, "\"kind\":\"hunk_undone\""));
    free(text);
    cJSON_Delete(evs);
}

static void test_selection_survives_agent_steps(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", TWENTY);
    start(f, two_hunks, 30, 100);
    keys(f, "nt");
    has(f, "  [x] @@ -1,5 +1,5 @@");
    /* The agent changes another file and the review refreshes (R, as after a step). */
    edit(f->shadow, "other.txt", "more\n");
    keys(f, "R");
    has(f, "[ ] A other.txt");
    has(f, "  [x] @@ -1,5 +1,5 @@");
    has(f, "  [ ] @@ -15,6 +15,6 @@");
}

static void test_apply_and_skip_whole_files(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", TWENTY);
    start(f, two_hunks, 30, 100);
    /* Skip a.txt: it leaves the review but stays in the shadow. */
    keys(f, "S");
    lacks(f, "a.txt  +2");
    has(f, "[ ] A new.py");
    /* Apply the whole of new.py. */
    keys(f, "F");
    has(f, "ok new.py: applied");
    char *got = rd(f->orig, "new.py");
    assert_string_equal(got, "print('new')\n");
    free(got);
    has(f, "No changes in the shadow copy (skipped files hidden).");
    got = rd(f->orig, "a.txt");
    assert_string_equal(got, TWENTY);
    free(got);
}

static void test_revert_tells_the_agent(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", TWENTY);
    start(f, two_hunks, 30, 100);
    keys(f, "n<Space>"); /* Space toggles in the Diffs pane */
    keys(f, "r");
    has(f, "ok a.txt: reverted");
    lacks(f, "+TWO");
    has(f, "+EIGHTEEN");
    char *got = rd(f->shadow, "a.txt");
    assert_non_null(strstr(got, "\n2\n"));
    assert_non_null(strstr(got, "EIGHTEEN"));
    free(got);
    got = rd(f->orig, "a.txt");
    assert_string_equal(got, TWENTY); /* the original is never touched by a revert */
    free(got);
    lc_workspace_hooks ws = lc_ui_workspace_hooks(f->app);
    char *rev = ws.reverted_since_last(ws.ctx);
    assert_non_null(rev);
    assert_non_null(strstr(rev, "a.txt"));
    free(rev);
    assert_null(ws.reverted_since_last(ws.ctx)); /* told once */
}

static void test_conflict_shown(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", TWENTY);
    start(f, two_hunks, 30, 100);
    /* Meanwhile the user edits the same line in the real directory. */
    edit(f->orig, "a.txt", "1\nzwei\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n");
    keys(f, "nt");
    keys(f, "A");
    has(f, "!! a.txt: conflict");
    char *got = rd(f->orig, "a.txt");
    assert_non_null(strstr(got, "zwei")); /* the user's edit is left alone */
    assert_null(strstr(got, "TWO"));
    free(got);
    int r = -1;
    const char *s = screen(f);
    const char *hit = strstr(s, "!! a.txt: conflict");
    r = 0;
    for (const char *p = s; p < hit; p++)
        r += *p == '\n';
    assert_string_equal(lc_ui_role_at(f->app, r, 0), "conflict");
    /* Applied hunks and conflicts stay apart: the hunk is still offered. */
    has(f, "+TWO");
}

static void long_line(fx *f)
{
    char line[400];
    memset(line, 'w', sizeof line);
    memcpy(line + 300, "TAILMARK\n", 10);
    edit(f->shadow, "long.txt", line);
}

static void test_long_lines_scroll_sideways(void **state)
{
    fx *f = *state;
    wr(f->orig, "long.txt", "short\n");
    start(f, long_line, 30, 100);
    has(f, "    +wwwww");
    lacks(f, "TAILMARK");
    keys(f, "llllllllllllllllllllllllllllllll"); /* 32 x 8 columns */
    has(f, "wwwTAILMARK");
    has(f, "    +<w"); /* says the line goes on to the left */
    has(f, "    -<"); /* the short old line, scrolled past its end */
    keys(f, "<Left><Left><Left><Left><Left><Left><Left><Left><Left><Left><Left><Left><Left><Left><Left><Left>"
            "<Left><Left><Left><Left><Left><Left><Left><Left><Left><Left><Left><Left><Left><Left><Left><Left>");
    lacks(f, "TAILMARK");
    has(f, "    -short");
}

static void big_change(fx *f)
{
    lc_buf b = LC_BUF_INIT;
    for (int i = 1; i <= 100000; i++)
        lc_buf_printf(&b, "changed %d\n", i);
    edit(f->shadow, "big.txt", b.data);
    lc_buf_free(&b);
}

static void test_big_diff_pages(void **state)
{
    fx *f = *state;
    lc_buf b = LC_BUF_INIT;
    for (int i = 1; i <= 100000; i++)
        lc_buf_printf(&b, "line %d\n", i);
    wr(f->orig, "big.txt", b.data);
    lc_buf_free(&b);
    start(f, big_change, 30, 100);
    has(f, "[ ] M big.txt  +100000 -100000");
    has(f, "    -line 1\n");
    for (int i = 0; i < 10; i++)
        keys(f, "<PgDn>");
    has(f, "    -line 2");
    lacks(f, "[ ] M big.txt");
    keys(f, "G");
    has(f, "    +changed 100000");
    keys(f, "g");
    has(f, "[ ] M big.txt");
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_select_apply_undo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_selection_survives_agent_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_and_skip_whole_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revert_tells_the_agent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict_shown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_diff_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_lines_scroll_sideways, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_diff_global_shutdown();
    return rc;
}
