/* diff/: an apply whose flush fails (a write-back error: EIO from
 * fdatasync, as a failing disk or a full thin volume gives) applies
 * nothing: every original keeps its bytes, no temporary file is left next
 * to them, the journal keeps no entry (nothing to undo, nothing for the
 * next open to recover), and the same apply goes through once the disk
 * answers again. fdatasync is this program's own below, so every call the
 * library makes comes here; the real one is the system call. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "diff/diff.h"
#include "diff_fixture.h"

static int calls;   /* fdatasync calls since the last arm() */
static int fail_at; /* the call that fails with EIO (1-based); 0: none */

int fdatasync(int fd)
{
    if (fail_at && ++calls == fail_at) {
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fdatasync, fd);
}

static void arm(int at)
{
    calls = 0;
    fail_at = at;
}

static const char *const names[] = {"a.txt", "sub/b.txt", "sub/c.txt", "d.txt", "deep/e/f.txt", "g.txt"};
enum { NFILES = sizeof names / sizeof *names };

static void make_change(fx *f)
{
    for (int i = 0; i < NFILES; i++)
        dfx_wr(f->orig, names[i], "line one\nline two\nline three\n");
    dfx_start(f);
    for (int i = 0; i < NFILES; i++)
        dfx_edit(f->shadow, names[i], "line one\nline 2\nline three\n");
    dfx_refresh(f);
}

/* Names in dir and below that an apply stages its new contents under. */
static int temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n += strncmp(e->d_name, ".lc-apply-", 10) == 0;
        if (e->d_type == DT_DIR) {
            char *sub = dfx_P(dir, e->d_name);
            n += temporaries(sub);
            free(sub);
        }
    }
    closedir(d);
    return n;
}

static void assert_nothing_applied(fx *f)
{
    for (int i = 0; i < NFILES; i++)
        dfx_assert_file(f->orig, names[i], "line one\nline two\nline three\n");
    assert_int_equal(temporaries(f->orig), 0);
    assert_int_equal(lc_diff_undo_depth(f->d), 0);
    /* A new open finds nothing to finish: the entry was dropped, not left open. */
    lc_diff *again = NULL;
    lc_err err = {0};
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &again, &err), LC_OK);
    size_t temps = 0;
    const lc_diff_report *rec = lc_diff_recovered(again, &temps);
    assert_true(!rec || rec->n == 0);
    assert_int_equal(temps, 0);
    lc_diff_free(again);
}

static void apply_fails_then_goes_through(fx *f, int at)
{
    make_change(f);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    arm(at);
    int rc = lc_diff_apply(f->d, &rep, &err);
    int made = calls;
    arm(0);
    assert_true(made >= at); /* the failing call was made */
    assert_int_equal(rc, LC_EIO);
    assert_non_null(strstr(err.msg, "nothing was applied"));
    assert_non_null(strstr(err.msg, "to disk"));
    assert_non_null(strstr(err.msg, "Input/output error"));
    lc_diff_report_free(&rep);
    assert_nothing_applied(f);

    /* The disk answers again: the same selection applies, whole. */
    dfx_refresh(f);
    lc_diff_select_all(f->d, true);
    rep = (lc_diff_report)LC_DIFF_REPORT_INIT;
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    for (int i = 0; i < NFILES; i++) {
        assert_int_equal(dfx_outcome(&rep, names[i])->outcome, LC_DIFF_APPLIED);
        dfx_assert_file(f->orig, names[i], "line one\nline 2\nline three\n");
    }
    lc_diff_report_free(&rep);
    assert_int_equal(temporaries(f->orig), 0);
    assert_int_equal(lc_diff_undo_depth(f->d), 1);
}

/* The first wait of the flush is the journal's (its intent and the user's
 * before-bytes), the later ones the staged files'. */
static void test_flush_fails_on_the_journal(void **state) { apply_fails_then_goes_through(*state, 1); }
static void test_flush_fails_on_a_staged_file(void **state) { apply_fails_then_goes_through(*state, 4); }
/* Every wait of the barrier, in turn, fails the apply whole; the first that
 * does not is past the barrier (the files were written; what failed then is
 * said otherwise). The barrier has the journal's wait and one per file. */
static void test_flush_fails_at_each_wait_of_the_barrier(void **state)
{
    fx *f = *state;
    make_change(f);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    int at = 1;
    for (;; at++) {
        assert_true(at < 100);
        lc_diff_select_all(f->d, true);
        arm(at);
        int rc = lc_diff_apply(f->d, &rep, &err);
        arm(0);
        lc_diff_report_free(&rep);
        if (rc != LC_EIO || !strstr(err.msg, "nothing was applied"))
            break;
        assert_nothing_applied(f);
        dfx_refresh(f);
    }
    assert_true(at - 1 >= NFILES + 1);
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_flush_fails_on_the_journal, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_flush_fails_on_a_staged_file, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_flush_fails_at_each_wait_of_the_barrier, dfx_setup, dfx_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_diff_global_shutdown();
    return rc;
}
