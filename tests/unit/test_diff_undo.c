/* diff/ revert and undo: selected hunks put back in the shadow (with words
 * for the agent), the sandbox user kept as owner, applies undone newest first,
 * byte for byte and mode included, also after a restart, and never over an
 * edit the user made since. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "diff/diff.h"
#include "diff_fixture.h"

/* Writes a file (parents made), dated in the past so a later write always moves its mtime. */

/* A write that happens "now", as the agent's or the user's would. */

/* Snapshot, shadow copy (cp -a), open. */

static const char *TEN = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n";

/* ---- revert and undo ------------------------------------------------------------------ */

static void test_revert_selected_hunk_in_the_shadow(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", TEN);
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "1\nA\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\nB\n20\n");
    dfx_edit(f->shadow, "new.txt", "n\n");
    dfx_refresh(f);
    dfx_sel(f, "a.txt", 1);
    dfx_sel(f, "new.txt", 0);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_revert(f->d, &rep, &err), LC_OK);
    assert_int_equal(dfx_outcome(&rep, "a.txt")->outcome, LC_DIFF_REVERTED);
    assert_non_null(strstr(dfx_outcome(&rep, "a.txt")->message, "lines 16-20"));
    lc_diff_report_free(&rep);
    dfx_assert_file(f->shadow, "a.txt", "1\nA\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n");
    dfx_assert_file(f->shadow, "new.txt", NULL);
    dfx_assert_file(f->orig, "a.txt", TEN);
    assert_int_equal(lc_diff_count(f->d), 1);
    assert_int_equal(dfx_find(f, "a.txt", NULL)->nhunks, 1);
}

/* What an apply or a revert leaves in the change set (they look again only at
 * the files they touched) is what a full refresh finds. */
static void change_set_text(fx *f, lc_buf *out)
{
    for (size_t i = 0; i < lc_diff_count(f->d); i++) {
        const lc_diff_file *df = lc_diff_file_at(f->d, i);
        lc_buf_printf(out, "%s %d %o %o %d %d %zu lost=%d\n", df->path, (int)df->status, df->old_mode,
                      df->new_mode, df->added, df->removed, df->nhunks, df->base_lost);
    }
}

static void assert_same_as_full_refresh(fx *f)
{
    lc_buf after = LC_BUF_INIT, full = LC_BUF_INIT;
    change_set_text(f, &after);
    dfx_refresh(f);
    change_set_text(f, &full);
    assert_string_equal(lc_buf_cstr(&after), lc_buf_cstr(&full));
    lc_buf_free(&after);
    lc_buf_free(&full);
}

static void test_change_set_after_apply_is_a_full_refresh(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", TEN);
    dfx_wr(f->orig, "b.txt", TEN);
    dfx_wr(f->orig, "gone.txt", "g\n");
    dfx_wr(f->orig, "sub/mine.txt", TEN);
    dfx_wr(f->orig, "left.txt", TEN);
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "1\nA\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\nB\n20\n");
    dfx_edit(f->shadow, "b.txt", "b\n");
    dfx_edit(f->shadow, "sub/new.txt", "n\n");
    dfx_edit(f->shadow, "sub/mine.txt", "1\n2\nX\n");
    dfx_edit(f->shadow, "left.txt", "untouched by the apply\n");
    char *gone = lc_path_join(f->shadow, "gone.txt");
    assert_int_equal(unlink(gone), 0);
    free(gone);
    dfx_refresh(f);
    dfx_edit(f->orig, "sub/mine.txt", "the user's own\n"); /* a conflict */
    dfx_sel(f, "a.txt", 1);
    dfx_sel(f, "b.txt", LC_DIFF_WHOLE);
    dfx_sel(f, "sub/new.txt", LC_DIFF_WHOLE);
    dfx_sel(f, "gone.txt", LC_DIFF_WHOLE);
    dfx_sel(f, "sub/mine.txt", LC_DIFF_WHOLE);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_ECONFLICT);
    lc_diff_report_free(&rep);
    assert_non_null(dfx_find(f, "a.txt", NULL));
    assert_null(dfx_find(f, "b.txt", NULL));
    assert_non_null(dfx_find(f, "left.txt", NULL));
    assert_same_as_full_refresh(f);
    dfx_sel(f, "a.txt", 0);
    assert_int_equal(lc_diff_revert(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_same_as_full_refresh(f);
}

/* Running as root, the shadow belongs to the sandbox user: what revert writes must stay theirs. */
static void test_revert_keeps_the_sandbox_user_as_owner(void **state)
{
    fx *f = *state;
    if (geteuid() != 0)
        skip();
    dfx_wr(f->orig, "d/e/x.txt", "x\n");
    dfx_wr(f->orig, "y.txt", "y\n");
    dfx_start(f);
    dfx_edit(f->shadow, "y.txt", "Y\n");
    char *e = dfx_P(f->shadow, "d/e/x.txt");
    unlink(e);
    free(e);
    e = dfx_P(f->shadow, "d/e");
    rmdir(e);
    free(e);
    dfx_run((const char *const[]){"chown", "-R", "65534:65534", f->shadow, NULL});
    dfx_refresh(f);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_revert(f->d, &rep, &err), LC_OK);
    assert_non_null(strstr(dfx_outcome(&rep, "d/e/x.txt")->message, "restored"));
    lc_diff_report_free(&rep);
    dfx_assert_file(f->shadow, "d/e/x.txt", "x\n");
    dfx_assert_file(f->shadow, "y.txt", "y\n");
    const char *paths[] = {"d/e/x.txt", "d/e", "y.txt"};
    for (size_t i = 0; i < 3; i++) {
        char *p = dfx_P(f->shadow, paths[i]);
        struct stat st;
        assert_int_equal(lstat(p, &st), 0);
        assert_int_equal(st.st_uid, 65534);
        free(p);
    }
    assert_int_equal(lc_diff_count(f->d), 0);
}

static void test_undo_in_order_and_after_a_restart(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", TEN);
    dfx_wrb(f->orig, "run.sh", "echo 1\n", 7, 0700);
    dfx_wr(f->orig, "gone.txt", "g\n");
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "1\nA\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\nB\n20\n");
    dfx_edit(f->shadow, "run.sh", "echo 2\n");
    char *p = dfx_P(f->shadow, "run.sh");
    chmod(p, 0755);
    free(p);
    p = dfx_P(f->shadow, "gone.txt");
    unlink(p);
    free(p);
    dfx_edit(f->shadow, "d/new.txt", "n\n");
    dfx_refresh(f);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    dfx_sel(f, "a.txt", 0);
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    lc_diff_select_all(f->d, true);
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_int_equal(lc_diff_undo_depth(f->d), 2);
    assert_int_equal(dfx_mode_of(f->orig, "run.sh"), 0755);

    /* restart: a new process opens the same state */
    lc_diff_free(f->d);
    f->d = NULL;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    dfx_refresh(f);
    assert_int_equal(lc_diff_count(f->d), 0);
    assert_int_equal(lc_diff_undo_depth(f->d), 2);
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", "1\nA\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n");
    dfx_assert_file(f->orig, "run.sh", "echo 1\n");
    assert_int_equal(dfx_mode_of(f->orig, "run.sh"), 0700);
    dfx_assert_file(f->orig, "gone.txt", "g\n");
    dfx_assert_file(f->orig, "d/new.txt", NULL);
    char *d = dfx_P(f->orig, "d");
    assert_int_equal(access(d, F_OK), -1); /* the directory it created went too */
    free(d);
    assert_int_equal(lc_diff_count(f->d), 4); /* back in the review */
    assert_int_equal(dfx_find(f, "a.txt", NULL)->nhunks, 1);
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", TEN);
    assert_int_equal(dfx_find(f, "a.txt", NULL)->nhunks, 2);
    assert_int_equal(lc_diff_undo_depth(f->d), 0);
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_ESTATE);

    /* the state belongs to this directory: opening it for another one is refused */
    lc_diff *other = NULL;
    assert_int_equal(lc_diff_open(f->shadow, f->shadow, f->state, NULL, &other, &err), LC_EINVAL);
    assert_null(other);
    assert_non_null(strstr(err.msg, "another directory"));
}

static void test_undo_refuses_to_lose_a_later_edit(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", "a\n");
    dfx_wr(f->orig, "b.txt", "b\n");
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "A\n");
    dfx_edit(f->shadow, "b.txt", "B\n");
    dfx_refresh(f);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_edit(f->orig, "b.txt", "B and mine\n");
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_ECONFLICT);
    assert_non_null(strstr(err.msg, "b.txt"));
    assert_non_null(strstr(err.msg, "nothing was undone: you changed b.txt after the apply"));
    assert_null(strstr(err.msg, "refused"));
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", "A\n"); /* all or nothing */
    dfx_assert_file(f->orig, "b.txt", "B and mine\n");
    assert_int_equal(lc_diff_undo_depth(f->d), 1);
}


/* A crash in the middle of the writes (here: SIGXFSZ when the third file's
 * temporary file passes the size limit, in a child) leaves the journal's
 * intent open. The next open finds it: the files really written are kept,
 * reported and undoable, the temporary file is gone, the rest is still to
 * apply, and undo reports (and changes) only the files that were written. */
static void test_apply_cut_by_a_crash_is_found_at_the_next_open(void **state)
{
    fx *f = *state;
    dfx_crash_in_apply(f);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    /* the state of the crash: a and b written, a temporary file next to c, c and d old */
    dfx_assert_file(f->orig, "a.txt", "A\n");
    dfx_assert_file(f->orig, "b.txt", "B\n");
    dfx_assert_file(f->orig, "c.txt", "c\n");
    dfx_assert_file(f->orig, "d.txt", "d\n");
    lc_proc_result res = LC_PROC_RESULT_INIT;
    assert_int_equal(lc_proc_run((const char *const[]){"ls", "-A", f->orig, NULL}, NULL, 0, 5000, 4096, &res, &err),
                     LC_OK);
    assert_non_null(strstr(res.out.data, ".lc-apply-"));
    lc_proc_result_free(&res);

    assert_true(lc_diff_pending(f->state)); /* what a new session of the directory sees */
    lc_diff_free(f->d);
    f->d = NULL;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    assert_true(lc_diff_pending(f->state)); /* finished, but not yet in the caller's log */
    assert_int_equal(lc_diff_logged(f->d, &err), LC_OK);
    assert_false(lc_diff_pending(f->state));
    size_t temps = 0;
    const lc_diff_report *rec = lc_diff_recovered(f->d, &temps);
    assert_int_equal(temps, 1);
    assert_int_equal(rec->n, 4);
    assert_int_equal(dfx_outcome(rec, "a.txt")->outcome, LC_DIFF_APPLIED);
    assert_non_null(strstr(dfx_outcome(rec, "a.txt")->message, "interrupted"));
    assert_int_equal(dfx_outcome(rec, "b.txt")->outcome, LC_DIFF_APPLIED);
    assert_int_equal(dfx_outcome(rec, "c.txt")->outcome, LC_DIFF_UNCHANGED);
    assert_int_equal(dfx_outcome(rec, "d.txt")->outcome, LC_DIFF_UNCHANGED);
    assert_int_equal(lc_proc_run((const char *const[]){"ls", "-A", f->orig, NULL}, NULL, 0, 5000, 4096, &res, &err),
                     LC_OK);
    assert_string_equal(res.out.data, "a.txt\nb.txt\nc.txt\nd.txt\n");
    lc_proc_result_free(&res);
    /* a and b left the review (their bases moved on), c and d are still to apply */
    dfx_refresh(f);
    assert_int_equal(lc_diff_count(f->d), 2);
    assert_non_null(dfx_find(f, "c.txt", NULL));
    assert_non_null(dfx_find(f, "d.txt", NULL));
    /* undo takes back exactly what was written, and says only that */
    assert_int_equal(lc_diff_undo_depth(f->d), 1);
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    assert_int_equal(rep.n, 2);
    assert_int_equal(dfx_outcome(&rep, "a.txt")->outcome, LC_DIFF_RESTORED);
    assert_int_equal(dfx_outcome(&rep, "b.txt")->outcome, LC_DIFF_RESTORED);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", "a\n");
    dfx_assert_file(f->orig, "b.txt", "b\n");
    assert_int_equal(lc_diff_count(f->d), 4);
    /* the front end did not say it logged the undo: the next open says it again */
    lc_diff_free(f->d);
    f->d = NULL;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    rec = lc_diff_recovered(f->d, NULL);
    assert_int_equal(rec->n, 2);
    assert_int_equal(dfx_outcome(rec, "a.txt")->outcome, LC_DIFF_RESTORED);
    assert_int_equal(lc_diff_logged(f->d, &err), LC_OK);
    /* once logged, a further open finds nothing more */
    lc_diff_free(f->d);
    f->d = NULL;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    assert_int_equal(lc_diff_recovered(f->d, NULL)->n, 0);
    assert_false(lc_diff_pending(f->state));
}


/* An undo killed in the middle of its writes (SIGXFSZ on the third file,
 * in a child): the next open says which files were already undone (to be
 * logged), removes the temporary file, and the rest stays undoable. */
static void test_undo_cut_by_a_crash_is_found_at_the_next_open(void **state)
{
    fx *f = *state;
    lc_buf big = LC_BUF_INIT;
    for (int i = 0; i < 2000; i++)
        lc_buf_printf(&big, "line %d\n", i);
    dfx_wr(f->orig, "a.txt", "a\n");
    dfx_wr(f->orig, "b.txt", "b\n");
    dfx_wr(f->orig, "c.txt", lc_buf_cstr(&big)); /* undo must write it back: the big write */
    dfx_wr(f->orig, "d.txt", "d\n");
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "A\n");
    dfx_edit(f->shadow, "b.txt", "B\n");
    dfx_edit(f->shadow, "c.txt", "C\n");
    dfx_edit(f->shadow, "d.txt", "D\n");
    dfx_refresh(f);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_int_equal(lc_diff_logged(f->d, &err), LC_OK);
    dfx_killed_at_4k(f, false);
    dfx_assert_file(f->orig, "a.txt", "a\n");
    dfx_assert_file(f->orig, "b.txt", "b\n");
    dfx_assert_file(f->orig, "c.txt", "C\n");
    dfx_assert_file(f->orig, "d.txt", "D\n");
    assert_true(lc_diff_pending(f->state));
    lc_diff_free(f->d);
    f->d = NULL;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    size_t temps = 0;
    const lc_diff_report *rec = lc_diff_recovered(f->d, &temps);
    assert_int_equal(temps, 1);
    assert_int_equal(rec->n, 2);
    assert_int_equal(dfx_outcome(rec, "a.txt")->outcome, LC_DIFF_RESTORED);
    assert_non_null(strstr(dfx_outcome(rec, "a.txt")->message, "undone"));
    assert_int_equal(dfx_outcome(rec, "b.txt")->outcome, LC_DIFF_RESTORED);
    assert_int_equal(lc_diff_logged(f->d, &err), LC_OK);
    lc_proc_result res = LC_PROC_RESULT_INIT;
    assert_int_equal(lc_proc_run((const char *const[]){"ls", "-A", f->orig, NULL}, NULL, 0, 5000, 4096, &res, &err),
                     LC_OK);
    assert_string_equal(res.out.data, "a.txt\nb.txt\nc.txt\nd.txt\n");
    lc_proc_result_free(&res);
    /* a and b are back in the review; the rest of the undo is still there */
    dfx_refresh(f);
    assert_int_equal(lc_diff_count(f->d), 2);
    assert_int_equal(lc_diff_undo_depth(f->d), 1);
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    assert_int_equal(rep.n, 2);
    assert_int_equal(dfx_outcome(&rep, "c.txt")->outcome, LC_DIFF_RESTORED);
    assert_int_equal(dfx_outcome(&rep, "d.txt")->outcome, LC_DIFF_RESTORED);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "c.txt", lc_buf_cstr(&big));
    dfx_assert_file(f->orig, "d.txt", "d\n");
    assert_int_equal(lc_diff_count(f->d), 4);
    lc_buf_free(&big);
}

/* Killed right after the writes, before the front end logged them: the next open reports the
 * files until the caller says its log has them (lc_diff_logged). */
/* A power loss before an apply's flush completed can leave its intent empty
 * (written unflushed, nothing renamed yet): the next open drops it, and the
 * applies before it stay undoable. */
static void test_torn_intent_is_dropped(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", "a\n");
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "A\n");
    dfx_refresh(f);
    dfx_sel(f, "a.txt", LC_DIFF_WHOLE);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_int_equal(lc_diff_logged(f->d, &err), LC_OK);
    lc_diff_free(f->d);
    f->d = NULL;
    char *jdir = lc_xasprintf("%s/diff/journal", f->state);
    unsigned long last = 0;
    DIR *dir = opendir(jdir);
    assert_non_null(dir);
    struct dirent *de;
    while ((de = readdir(dir)))
        if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && strtoul(de->d_name, NULL, 10) > last)
            last = strtoul(de->d_name, NULL, 10);
    closedir(dir);
    char name[32];
    snprintf(name, sizeof name, "%06lu", last + 1);
    dfx_wrb(jdir, name, "", 0, 0600);
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    assert_int_equal(lc_diff_undo_depth(f->d), 1);
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", "a\n");
    char *torn = dfx_P(jdir, name);
    struct stat st;
    assert_int_not_equal(lstat(torn, &st), 0);
    free(torn);
    free(jdir);
}

static void test_apply_not_yet_logged_is_reported_again(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", "a\n");
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "A\n");
    dfx_refresh(f);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    /* "crash": no lc_diff_logged */
    lc_diff_free(f->d);
    f->d = NULL;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    const lc_diff_report *rec = lc_diff_recovered(f->d, NULL);
    assert_int_equal(rec->n, 1);
    assert_int_equal(rec->v[0].outcome, LC_DIFF_APPLIED);
    assert_non_null(strstr(rec->v[0].message, "before the session log recorded it"));
    assert_int_equal(lc_diff_logged(f->d, &err), LC_OK);
    lc_diff_free(f->d);
    f->d = NULL;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    assert_int_equal(lc_diff_recovered(f->d, NULL)->n, 0);
    assert_int_equal(lc_diff_undo_depth(f->d), 1); /* still undoable */
    /* an apply that is logged at once is never reported */
    dfx_edit(f->shadow, "a.txt", "AA\n");
    dfx_refresh(f);
    lc_diff_select_all(f->d, true);
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_int_equal(lc_diff_logged(f->d, &err), LC_OK);
    lc_diff_free(f->d);
    f->d = NULL;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    assert_int_equal(lc_diff_recovered(f->d, NULL)->n, 0);
    assert_int_equal(lc_diff_undo_depth(f->d), 2);
}

/* Undo never names a file it did not change: one that is already back as it was before
 * the apply is left alone and left out of the report. */
static void test_undo_reports_only_what_it_changed(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", "a\n");
    dfx_wr(f->orig, "b.txt", "b\n");
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "A\n");
    dfx_edit(f->shadow, "b.txt", "B\n");
    dfx_refresh(f);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    dfx_edit(f->orig, "b.txt", "b\n"); /* the user put b back by hand */
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    assert_int_equal(rep.n, 1);
    assert_string_equal(rep.v[0].path, "a.txt");
    assert_int_equal(rep.v[0].outcome, LC_DIFF_RESTORED);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", "a\n");
}

/* The words of a conflict say what happened and what to do, not "kinds differ". */
static void test_deleted_by_the_agent_edited_by_the_user(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", "a\n");
    dfx_start(f);
    char *p = dfx_P(f->shadow, "a.txt");
    assert_int_equal(unlink(p), 0);
    free(p);
    dfx_refresh(f);
    dfx_edit(f->orig, "a.txt", "a and mine\n");
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_ECONFLICT);
    const lc_diff_result *r = dfx_outcome(&rep, "a.txt");
    assert_int_equal(r->outcome, LC_DIFF_CONFLICT);
    assert_non_null(strstr(r->message, "the agent deleted this file, but you changed it"));
    assert_non_null(strstr(r->message, "delete it yourself"));
    assert_null(strstr(r->message, "kinds"));
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", "a and mine\n");
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_revert_selected_hunk_in_the_shadow, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_change_set_after_apply_is_a_full_refresh, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_revert_keeps_the_sandbox_user_as_owner, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_undo_in_order_and_after_a_restart, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_undo_refuses_to_lose_a_later_edit, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_apply_cut_by_a_crash_is_found_at_the_next_open, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_undo_reports_only_what_it_changed, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_undo_cut_by_a_crash_is_found_at_the_next_open, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_apply_not_yet_logged_is_reported_again, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_torn_intent_is_dropped, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_deleted_by_the_agent_edited_by_the_user, dfx_setup, dfx_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_diff_global_shutdown();
    return rc;
}
