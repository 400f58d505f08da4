/* Regression tests for the three export defects of issue 12, each checked
 * against `git apply`: (1) a selected-only export keeps the new side's line
 * numbers of the full diff, so git puts a hunk into another block with the
 * same context; (2) an added file over max_diff_bytes could never be applied;
 * (3) binary and large files were exported as "Binary files ... differ",
 * which git applies as nothing at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "diff_fixture.h"

/* `git apply` (with extra flags) of patch on a copy of the original in
 * <root>/work; the exit code, with git's stderr in *msg (caller frees). */
static int git_apply_copy(fx *f, const lc_buf *patch, const char *flag, char **msg)
{
    char *work = dfx_P(f->root, "work"), *pp = dfx_P(f->root, "x.patch");
    lc_err err = {0};
    lc_rm_rf(work, &err);
    dfx_run((const char *const[]){"cp", "-a", f->orig, work, NULL});
    assert_int_equal(lc_file_write_atomic(pp, patch->data, patch->len, 0644, &err), LC_OK);
    const char *argv[] = {"git", "-C", work, "apply", flag ? flag : "--verbose", pp, NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    assert_int_equal(lc_proc_run(argv, NULL, 0, 30000, 1 << 20, &res, &err), LC_OK);
    int code = res.exit_code;
    if (msg)
        *msg = lc_xstrdup(lc_buf_cstr(&res.err));
    lc_proc_result_free(&res);
    free(work);
    free(pp);
    return code;
}

static char *work_file(fx *f, const char *rel)
{
    char *work = dfx_P(f->root, "work");
    char *s = dfx_rd(work, rel);
    free(work);
    return s;
}

/* Blocks with identical lines: a hunk's context also appears 5 lines later. */
static void repeated_blocks(lc_buf *b, bool edit)
{
    for (int i = 1; i <= 10; i++) {
        lc_buf_printf(b, "head %d\n", i);
        if (edit && i == 2)
            lc_buf_puts(b, "ins 1\nins 2\nins 3\nins 4\nins 5\n");
    }
    for (int k = 0; k < 6; k++) {
        const char *z = edit && k == 1 ? "zz changed" : "zz";
        lc_buf_printf(b, "xx\nyy\n%s\nww\nvv\n", z);
    }
}

static void selected_hunk_goes_where_it_was(fx *f, int context, const char *flag)
{
    lc_buf a = LC_BUF_INIT, b = LC_BUF_INIT;
    repeated_blocks(&a, false);
    repeated_blocks(&b, true);
    dfx_wrb(f->orig, "r.txt", a.data, a.len, 0644);
    lc_err err = {0};
    assert_int_equal(lc_diff_snapshot(f->orig, f->state, &err), LC_OK);
    dfx_run((const char *const[]){"cp", "-a", f->orig, f->shadow, NULL});
    lc_diff_opts o = LC_DIFF_OPTS_INIT;
    o.context_lines = context;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, &o, &f->d, &err), LC_OK);
    dfx_editb(f->shadow, "r.txt", b.data, b.len);
    dfx_refresh(f);
    size_t fi;
    const lc_diff_file *df = dfx_find(f, "r.txt", &fi);
    assert_int_equal(df->nhunks, 2);
    /* only the second hunk: the change in the first block */
    assert_int_equal(lc_diff_select(f->d, fi, 1, true, &err), LC_OK);
    lc_buf patch = LC_BUF_INIT;
    lc_diff_export_patch(f->d, true, &patch);
    char *msg = NULL;
    assert_int_equal(git_apply_copy(f, &patch, flag, &msg), 0);
    free(msg);
    char *got = work_file(f, "r.txt");
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    char *want = dfx_rd(f->orig, "r.txt");
    assert_non_null(strstr(want, "head 10\nxx\nyy\nzz\nww\nvv\nxx\nyy\nzz changed\n")); /* block 2 */
    assert_string_equal(got, want);                                /* and git of the export too */
    free(got);
    free(want);
    lc_buf_free(&patch);
    lc_buf_free(&a);
    lc_buf_free(&b);
}

static void test_selected_only_export_recomputes_the_new_side(void **state)
{
    selected_hunk_goes_where_it_was(*state, 3, NULL);
}

static void test_selected_only_export_with_one_line_of_context(void **state)
{
    selected_hunk_goes_where_it_was(*state, 1, NULL);
}

static void test_selected_only_export_with_no_context(void **state)
{
    selected_hunk_goes_where_it_was(*state, 0, "--unidiff-zero");
}

static void test_added_file_over_max_diff_bytes_is_applied(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "keep.txt", "x\n");
    lc_buf big = LC_BUF_INIT;
    for (int i = 0; i < 100; i++)
        lc_buf_printf(&big, "generated line %d\n", i);
    dfx_wrb(f->orig, "gone.txt", big.data, big.len, 0644);
    lc_err err = {0};
    assert_int_equal(lc_diff_snapshot(f->orig, f->state, &err), LC_OK);
    dfx_run((const char *const[]){"cp", "-a", f->orig, f->shadow, NULL});
    lc_diff_opts o = LC_DIFF_OPTS_INIT;
    o.max_diff_bytes = 200;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, &o, &f->d, &err), LC_OK);
    dfx_editb(f->shadow, "new/big.txt", big.data, big.len);
    char *gone = dfx_P(f->shadow, "gone.txt");
    assert_int_equal(unlink(gone), 0);
    free(gone);
    dfx_refresh(f);
    const lc_diff_file *nf = dfx_find(f, "new/big.txt", NULL);
    assert_true(nf->large);
    assert_int_equal(nf->status, LC_DIFF_ADDED);
    assert_true(dfx_find(f, "gone.txt", NULL)->large);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    assert_int_equal(dfx_outcome(&rep, "new/big.txt")->outcome, LC_DIFF_APPLIED);
    assert_int_equal(dfx_outcome(&rep, "gone.txt")->outcome, LC_DIFF_APPLIED);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "new/big.txt", big.data);
    assert_null(dfx_rd(f->orig, "gone.txt"));
    assert_int_equal(lc_diff_count(f->d), 0);
    /* and it undoes */
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_null(dfx_rd(f->orig, "new/big.txt"));
    dfx_assert_file(f->orig, "gone.txt", big.data);
    lc_buf_free(&big);
}

static void test_binary_and_large_files_export_as_git_does(void **state)
{
    fx *f = *state;
    char bin[300];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (char)(i * 7);
    dfx_wrb(f->orig, "a.bin", bin, sizeof bin, 0644);
    dfx_wrb(f->orig, "del.bin", bin, 100, 0644);
    lc_buf big = LC_BUF_INIT;
    for (int i = 0; i < 300; i++)
        lc_buf_printf(&big, "large text line %d\n", i);
    dfx_wrb(f->orig, "large.txt", big.data, big.len, 0644);
    dfx_wr(f->orig, "z.txt", "text\n");
    lc_err err = {0};
    assert_int_equal(lc_diff_snapshot(f->orig, f->state, &err), LC_OK);
    dfx_run((const char *const[]){"cp", "-a", f->orig, f->shadow, NULL});
    lc_diff_opts o = LC_DIFF_OPTS_INIT;
    o.max_diff_bytes = 1000;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, &o, &f->d, &err), LC_OK);
    bin[10] = 'X';
    bin[299] = '\0';
    dfx_editb(f->shadow, "a.bin", bin, sizeof bin);
    dfx_editb(f->shadow, "new.bin", bin, 50);
    char *del = dfx_P(f->shadow, "del.bin");
    unlink(del);
    free(del);
    lc_buf_puts(&big, "one more line\n");
    dfx_editb(f->shadow, "large.txt", big.data, big.len);
    dfx_refresh(f);
    assert_true(dfx_find(f, "a.bin", NULL)->binary);
    assert_true(dfx_find(f, "large.txt", NULL)->large);

    /* Every kind, and each binary section alone and last (git used to exit 0 doing nothing). */
    const char *names[] = {NULL, "a.bin", "new.bin", "del.bin", "large.txt"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        lc_diff_select_all(f->d, false);
        if (names[k]) {
            size_t i;
            assert_non_null(dfx_find(f, names[k], &i));
            assert_int_equal(lc_diff_select(f->d, i, LC_DIFF_WHOLE, true, &err), LC_OK);
        }
        lc_buf patch = LC_BUF_INIT;
        lc_diff_export_patch(f->d, names[k] != NULL, &patch);
        assert_null(strstr(patch.data, "Binary files"));
        assert_non_null(strstr(patch.data, "GIT binary patch"));
        char *msg = NULL;
        if (git_apply_copy(f, &patch, NULL, &msg) != 0)
            fail_msg("git apply failed for %s: %s\n%s", names[k] ? names[k] : "all", msg, patch.data);
        free(msg);
        const char *check[] = {"a.bin", "new.bin", "del.bin", "large.txt"};
        for (size_t c = 0; c < 4; c++) {
            bool changed = !names[k] || strcmp(names[k], check[c]) == 0;
            char *work = dfx_P(f->root, "work");
            char *wp = dfx_P(work, check[c]), *sp = dfx_P(changed ? f->shadow : f->orig, check[c]);
            lc_buf x = LC_BUF_INIT, y = LC_BUF_INIT;
            int rx = lc_file_read(wp, 1 << 20, &x, &err), ry = lc_file_read(sp, 1 << 20, &y, &err);
            assert_int_equal(rx == LC_OK, ry == LC_OK);
            if (rx == LC_OK && (x.len != y.len || memcmp(x.data, y.data, x.len) != 0))
                fail_msg("%s differs after git apply of %s", check[c], names[k] ? names[k] : "all");
            lc_buf_free(&x);
            lc_buf_free(&y);
            free(wp);
            free(sp);
            free(work);
        }
        lc_buf_free(&patch);
    }
    /* On a tree whose binary file is not the one the patch was made from, git fails and says so. */
    lc_diff_select_all(f->d, false);
    size_t i;
    assert_non_null(dfx_find(f, "a.bin", &i));
    assert_int_equal(lc_diff_select(f->d, i, LC_DIFF_WHOLE, true, &err), LC_OK);
    lc_buf patch = LC_BUF_INIT;
    lc_diff_export_patch(f->d, true, &patch);
    char *a2 = dfx_P(f->orig, "a.bin");
    char *work = dfx_P(f->root, "work");
    (void)a2;
    char *msg = NULL;
    /* the copy gets another a.bin by editing the original's copy after the cp */
    lc_rm_rf(work, &err);
    dfx_run((const char *const[]){"cp", "-a", f->orig, work, NULL});
    dfx_editb(work, "a.bin", "something else\0", 15);
    char *pp = dfx_P(f->root, "y.patch");
    assert_int_equal(lc_file_write_atomic(pp, patch.data, patch.len, 0644, &err), LC_OK);
    lc_proc_result res = LC_PROC_RESULT_INIT;
    assert_int_equal(lc_proc_run((const char *const[]){"git", "-C", work, "apply", pp, NULL}, NULL, 0, 30000,
                                 1 << 20, &res, &err), LC_OK);
    assert_int_not_equal(res.exit_code, 0);
    assert_non_null(strstr(lc_buf_cstr(&res.err), "a.bin"));
    msg = lc_xstrdup(lc_buf_cstr(&res.err));
    lc_proc_result_free(&res);
    free(msg);
    free(pp);
    free(a2);
    free(work);
    lc_buf_free(&patch);
    lc_buf_free(&big);
}

/* A file over max_file_bytes is never read: the export says it left it out. */
static void test_too_large_file_is_left_out_with_a_note(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "huge.dat", "small\n");
    lc_err err = {0};
    assert_int_equal(lc_diff_snapshot(f->orig, f->state, &err), LC_OK);
    dfx_run((const char *const[]){"cp", "-a", f->orig, f->shadow, NULL});
    lc_diff_opts o = LC_DIFF_OPTS_INIT;
    o.max_diff_bytes = 10;
    o.max_file_bytes = 20;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, &o, &f->d, &err), LC_OK);
    dfx_edit(f->shadow, "huge.dat", "this is longer than twenty bytes\n");
    dfx_refresh(f);
    assert_true(dfx_find(f, "huge.dat", NULL)->too_large);
    lc_buf patch = LC_BUF_INIT;
    lc_diff_export_patch(f->d, false, &patch);
    assert_non_null(strstr(patch.data, "# litecode: left out, larger than max_file_bytes"));
    assert_null(strstr(patch.data, "diff --git"));
    lc_buf_free(&patch);
}

/* An original over max_file_bytes that the agent changed is a modified large
 * file, not an added one the user "changed too" (a 50 GB image showed as
 * "A ... 0 -> 53687091200 bytes (you changed it too)"). */
static void test_too_large_original_is_modified_not_lost(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "disk.img", "thirty bytes of an old image.\n");
    lc_err err = {0};
    assert_int_equal(lc_diff_snapshot(f->orig, f->state, &err), LC_OK);
    dfx_run((const char *const[]){"cp", "-a", f->orig, f->shadow, NULL});
    lc_diff_opts o = LC_DIFF_OPTS_INIT;
    o.max_diff_bytes = 10;
    o.max_file_bytes = 20;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, &o, &f->d, &err), LC_OK);
    dfx_edit(f->shadow, "disk.img", "thirty bytes of a new image!!\n");
    dfx_refresh(f);
    const lc_diff_file *x = dfx_find(f, "disk.img", NULL);
    assert_non_null(x);
    assert_int_equal(x->status, LC_DIFF_MODIFIED);
    assert_true(x->too_large);
    assert_false(x->base_lost);
    assert_int_equal(x->old_size, 30);
    assert_int_equal(x->new_size, 30);
    lc_buf sum = LC_BUF_INIT;
    lc_diff_summary(f->d, &sum);
    assert_non_null(strstr(sum.data, "M  disk.img  large, 30 -> 30 bytes"));
    assert_null(strstr(sum.data, "you changed it too"));
    lc_buf_free(&sum);
    /* When the user does change it too, that is said. */
    dfx_edit(f->orig, "disk.img", "the user's own new disk image, longer\n");
    dfx_refresh(f);
    x = dfx_find(f, "disk.img", NULL);
    assert_non_null(x);
    assert_true(x->base_lost);
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_selected_only_export_recomputes_the_new_side, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_selected_only_export_with_one_line_of_context, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_selected_only_export_with_no_context, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_added_file_over_max_diff_bytes_is_applied, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_binary_and_large_files_export_as_git_does, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_too_large_file_is_left_out_with_a_note, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_too_large_original_is_modified_not_lost, dfx_setup, dfx_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_diff_global_shutdown();
    return rc;
}
