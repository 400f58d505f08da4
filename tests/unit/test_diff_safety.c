/* diff/ safety: symlink escapes (planted by the agent in the shadow, or
 * swapped into the original after the review was computed), special files,
 * permission errors and writes that fail half way. In every case the user's
 * directory must be exactly as before and the message must say why. */
#include <errno.h>
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

#include "diff/diff.h"
#include "diff_fixture.h"

/* Writes a file (parents made), dated in the past so a later write always moves its mtime. */

/* A write that happens "now", as the agent's or the user's would. */

/* Snapshot, shadow copy (cp -a), open. */

/* ---- safety --------------------------------------------------------------------- */

static void test_symlink_escapes_are_refused(void **state)
{
    fx *f = *state;
    char *outside = dfx_P(f->root, "outside");
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(outside, 0755, &err), LC_OK);
    dfx_wr(outside, "victim.txt", "keep me\n");
    dfx_wr(f->orig, "sub/f.txt", "f\n");
    dfx_wr(f->orig, "a.txt", "a\n");
    char *ulink = dfx_P(f->orig, "ulink");
    assert_int_equal(symlink("../outside", ulink), 0); /* the user's own link */
    free(ulink);
    dfx_start(f);
    /* 1. the agent turns the user's link into a directory holding a file */
    char *p = dfx_P(f->shadow, "ulink");
    unlink(p);
    free(p);
    dfx_edit(f->shadow, "ulink/victim.txt", "owned\n");
    /* 2. a new symlink pointing at /etc, 3. one climbing out with .. */
    p = dfx_P(f->shadow, "etc");
    assert_int_equal(symlink("/etc", p), 0);
    free(p);
    p = dfx_P(f->shadow, "up");
    assert_int_equal(symlink("sub/../../outside", p), 0);
    free(p);
    /* 4. the original's directory is swapped for a link after the review was computed */
    dfx_edit(f->shadow, "sub/f.txt", "F\n");
    /* 5. a regular file replaced by a link to a file outside */
    p = dfx_P(f->shadow, "a.txt");
    unlink(p);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    free(p);
    dfx_refresh(f);
    char *sub = dfx_P(f->orig, "sub"), *sub2 = dfx_P(f->orig, "sub.real");
    assert_int_equal(rename(sub, sub2), 0);
    assert_int_equal(symlink("../outside", sub), 0);
    dfx_wr(outside, "f.txt", "f\n");
    free(sub);
    free(sub2);

    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_ESECURITY);
    assert_int_equal(dfx_outcome(&rep, "ulink/victim.txt")->outcome, LC_DIFF_REFUSED);
    assert_int_equal(dfx_outcome(&rep, "etc")->outcome, LC_DIFF_REFUSED);
    assert_int_equal(dfx_outcome(&rep, "up")->outcome, LC_DIFF_REFUSED);
    assert_int_equal(dfx_outcome(&rep, "sub/f.txt")->outcome, LC_DIFF_REFUSED);
    assert_non_null(strstr(dfx_outcome(&rep, "sub/f.txt")->message, "symlink"));
    assert_int_equal(dfx_outcome(&rep, "a.txt")->outcome, LC_DIFF_REFUSED);
    lc_diff_report_free(&rep);
    dfx_assert_file(outside, "victim.txt", "keep me\n");
    dfx_assert_file(outside, "f.txt", "f\n");
    dfx_assert_file(f->orig, "a.txt", "a\n");
    struct stat st;
    char *etc = dfx_P(f->orig, "etc");
    assert_int_equal(lstat(etc, &st), -1);
    free(etc);
    free(outside);
}

static void test_special_files_are_never_written(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "keep.txt", "k\n");
    dfx_start(f);
    dfx_edit(f->shadow, "pipe", "data\n");
    dfx_refresh(f);
    char *fifo = dfx_P(f->orig, "pipe");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_ESECURITY);
    assert_int_equal(dfx_outcome(&rep, "pipe")->outcome, LC_DIFF_REFUSED);
    assert_non_null(strstr(dfx_outcome(&rep, "pipe")->message, "fifo"));
    lc_diff_report_free(&rep);
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    free(fifo);
}

static void test_permission_error_leaves_the_original_intact(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "ro/a.txt", "old\n");
    dfx_start(f);
    dfx_edit(f->shadow, "ro/a.txt", "new\n");
    dfx_refresh(f);
    char *dir = dfx_P(f->orig, "ro");
    bool immutable = geteuid() == 0; /* root ignores permissions, not the immutable flag */
    if (immutable) {
        lc_proc_result res = LC_PROC_RESULT_INIT;
        lc_err e = {0};
        if (lc_proc_run((const char *const[]){"chattr", "+i", dir, NULL}, NULL, 0, 5000, 4096, &res,
                        &e) != LC_OK || res.exit_code != 0) {
            lc_proc_result_free(&res);
            free(dir);
            skip(); /* no chattr, or a file system without the flag */
        }
        lc_proc_result_free(&res);
    } else {
        chmod(dir, 0555);
    }
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_EIO);
    const lc_diff_result *r = dfx_outcome(&rep, "ro/a.txt");
    assert_int_equal(r->outcome, LC_DIFF_FAILED);
    assert_non_null(strstr(r->message, "permission denied"));
    lc_diff_report_free(&rep);
    if (immutable)
        dfx_run((const char *const[]){"chattr", "-i", dir, NULL});
    chmod(dir, 0755);
    free(dir);
    dfx_assert_file(f->orig, "ro/a.txt", "old\n");
    assert_int_equal(lc_diff_undo_depth(f->d), 0); /* nothing to undo: nothing was written */
    assert_non_null(dfx_find(f, "ro/a.txt", NULL));
}

/* A write that fails half way (here: the file size limit, which even root
 * cannot pass; a full disk fails the same way) leaves no trace. */
static void test_failed_write_leaves_the_original_intact(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "a.txt", "small\n");
    dfx_wr(f->orig, "b.txt", "b\n");
    dfx_start(f);
    dfx_edit(f->shadow, "b.txt", "B\n");
    lc_buf big = LC_BUF_INIT;
    for (int i = 0; i < 20000; i++)
        lc_buf_puts(&big, "a longer line of text\n");
    dfx_editb(f->shadow, "a.txt", big.data, big.len);
    dfx_refresh(f);
    lc_diff_select_all(f->d, true);
    struct rlimit old, lim = {65536, 65536};
    getrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_IGN);
    lim.rlim_max = old.rlim_max;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    int rc = lc_diff_apply(f->d, &rep, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    assert_int_equal(rc, LC_EIO);
    const lc_diff_result *r = dfx_outcome(&rep, "a.txt");
    assert_int_equal(r->outcome, LC_DIFF_FAILED);
    assert_non_null(strstr(r->message, "left as it was"));
    assert_int_equal(dfx_outcome(&rep, "b.txt")->outcome, LC_DIFF_APPLIED);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "a.txt", "small\n");
    dfx_assert_file(f->orig, "b.txt", "B\n");
    lc_proc_result res = LC_PROC_RESULT_INIT;
    assert_int_equal(lc_proc_run((const char *const[]){"ls", "-A", f->orig, NULL}, NULL, 0, 5000, 4096,
                                 &res, &err), LC_OK);
    assert_string_equal(res.out.data, "a.txt\nb.txt\n"); /* no temporary file left behind */
    lc_proc_result_free(&res);
    assert_non_null(dfx_find(f, "a.txt", NULL));
    assert_null(dfx_find(f, "b.txt", NULL));
    /* the journal holds only what was written: undo gives b.txt back */
    assert_int_equal(lc_diff_undo_depth(f->d), 1);
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    assert_int_equal(rep.n, 1);
    assert_int_equal(dfx_outcome(&rep, "b.txt")->outcome, LC_DIFF_RESTORED);
    lc_diff_report_free(&rep);
    dfx_assert_file(f->orig, "b.txt", "b\n");
    dfx_assert_file(f->orig, "a.txt", "small\n");
    lc_buf_free(&big);
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_symlink_escapes_are_refused, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_special_files_are_never_written, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_permission_error_leaves_the_original_intact, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_leaves_the_original_intact, dfx_setup, dfx_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_diff_global_shutdown();
    return rc;
}
