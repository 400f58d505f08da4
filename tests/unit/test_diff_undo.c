/* diff/ revert and undo: selected hunks put back in the shadow (with words
 * for the agent), the sandbox user kept as owner, applies undone newest first,
 * byte for byte and mode included, also after a restart, and never over an
 * edit the user made since. */
#include <errno.h>
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
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", "A\n"); /* all or nothing */
    dfx_assert_file(f->orig, "b.txt", "B and mine\n");
    assert_int_equal(lc_diff_undo_depth(f->d), 1);
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_revert_selected_hunk_in_the_shadow, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_revert_keeps_the_sandbox_user_as_owner, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_undo_in_order_and_after_a_restart, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_undo_refuses_to_lose_a_later_edit, dfx_setup, dfx_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_diff_global_shutdown();
    return rc;
}
