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

typedef struct fx {
    char *root, *orig, *shadow, *state;
    lc_diff *d;
} fx;

static char *P(const char *a, const char *b)
{
    return lc_xasprintf("%s/%s", a, b);
}

static void run(const char *const *argv)
{
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_proc_run(argv, NULL, 0, 30000, 1 << 20, &res, &err), LC_OK);
    if (res.exit_code != 0)
        fail_msg("%s failed: %s", argv[0], lc_buf_cstr(&res.err));
    lc_proc_result_free(&res);
}

/* Writes a file (parents made), dated in the past so a later write always moves its mtime. */
static void wrb(const char *root, const char *rel, const void *data, size_t len, int mode)
{
    char *path = P(root, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(path, 0755, &err), LC_OK);
    *slash = '/';
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(lc_fd_write_all(fd, data, len), LC_OK);
    close(fd);
    chmod(path, (mode_t)mode);
    struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
    utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
    free(path);
}

static void wr(const char *root, const char *rel, const char *text)
{
    wrb(root, rel, text, strlen(text), 0644);
}

/* A write that happens "now", as the agent's or the user's would. */
static void editb(const char *root, const char *rel, const char *text, size_t len)
{
    char *path = P(root, rel);
    lc_err err = {0};
    struct stat st;
    mode_t mode = stat(path, &st) == 0 ? st.st_mode & 0777 : 0644;
    char *slash = strrchr(path, '/');
    *slash = '\0';
    assert_int_equal(lc_mkdir_p(path, 0755, &err), LC_OK);
    *slash = '/';
    assert_int_equal(lc_file_write_atomic(path, text, len, mode, &err), LC_OK);
    free(path);
}

static void edit(const char *root, const char *rel, const char *text)
{
    editb(root, rel, text, strlen(text));
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

static void assert_file(const char *root, const char *rel, const char *want)
{
    char *got = rd(root, rel);
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static int setup(void **state)
{
    fx *f = lc_xcalloc(1, sizeof *f);
    char tmpl[] = "/tmp/lc-diff-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    f->root = lc_xstrdup(tmpl);
    f->orig = P(f->root, "orig");
    f->shadow = P(f->root, "state/shadow");
    f->state = P(f->root, "state");
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(f->orig, 0755, &err), LC_OK);
    assert_int_equal(lc_mkdir_p(f->state, 0700, &err), LC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    lc_diff_free(f->d);
    lc_err err = {0};
    if (geteuid() == 0) { /* a failed case may leave an immutable directory behind */
        lc_proc_result res = LC_PROC_RESULT_INIT;
        lc_proc_run((const char *const[]){"chattr", "-R", "-f", "-i", f->root, NULL}, NULL, 0, 5000,
                    4096, &res, &err);
        lc_proc_result_free(&res);
    }
    run((const char *const[]){"chmod", "-R", "u+rwX", f->root, NULL});
    lc_rm_rf(f->root, &err);
    free(f->root);
    free(f->orig);
    free(f->shadow);
    free(f->state);
    free(f);
    return 0;
}

/* Snapshot, shadow copy (cp -a), open. */
static void start(fx *f)
{
    lc_err err = {0};
    assert_int_equal(lc_diff_snapshot(f->orig, f->state, &err), LC_OK);
    run((const char *const[]){"cp", "-a", f->orig, f->shadow, NULL});
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
}

static void refresh(fx *f)
{
    lc_err err = {0};
    if (lc_diff_refresh(f->d, &err) != LC_OK)
        fail_msg("refresh: %s", err.msg);
}

static const lc_diff_file *find(fx *f, const char *path, size_t *idx)
{
    for (size_t i = 0; i < lc_diff_count(f->d); i++)
        if (strcmp(lc_diff_file_at(f->d, i)->path, path) == 0) {
            if (idx)
                *idx = i;
            return lc_diff_file_at(f->d, i);
        }
    return NULL;
}

static const lc_diff_result *outcome(const lc_diff_report *rep, const char *path)
{
    for (size_t i = 0; i < rep->n; i++)
        if (strcmp(rep->v[i].path, path) == 0)
            return &rep->v[i];
    fail_msg("no result for %s", path);
    return NULL;
}

/* ---- safety --------------------------------------------------------------------- */

static void test_symlink_escapes_are_refused(void **state)
{
    fx *f = *state;
    char *outside = P(f->root, "outside");
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(outside, 0755, &err), LC_OK);
    wr(outside, "victim.txt", "keep me\n");
    wr(f->orig, "sub/f.txt", "f\n");
    wr(f->orig, "a.txt", "a\n");
    char *ulink = P(f->orig, "ulink");
    assert_int_equal(symlink("../outside", ulink), 0); /* the user's own link */
    free(ulink);
    start(f);
    /* 1. the agent turns the user's link into a directory holding a file */
    char *p = P(f->shadow, "ulink");
    unlink(p);
    free(p);
    edit(f->shadow, "ulink/victim.txt", "owned\n");
    /* 2. a new symlink pointing at /etc, 3. one climbing out with .. */
    p = P(f->shadow, "etc");
    assert_int_equal(symlink("/etc", p), 0);
    free(p);
    p = P(f->shadow, "up");
    assert_int_equal(symlink("sub/../../outside", p), 0);
    free(p);
    /* 4. the original's directory is swapped for a link after the review was computed */
    edit(f->shadow, "sub/f.txt", "F\n");
    /* 5. a regular file replaced by a link to a file outside */
    p = P(f->shadow, "a.txt");
    unlink(p);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    free(p);
    refresh(f);
    char *sub = P(f->orig, "sub"), *sub2 = P(f->orig, "sub.real");
    assert_int_equal(rename(sub, sub2), 0);
    assert_int_equal(symlink("../outside", sub), 0);
    wr(outside, "f.txt", "f\n");
    free(sub);
    free(sub2);

    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_ESECURITY);
    assert_int_equal(outcome(&rep, "ulink/victim.txt")->outcome, LC_DIFF_REFUSED);
    assert_int_equal(outcome(&rep, "etc")->outcome, LC_DIFF_REFUSED);
    assert_int_equal(outcome(&rep, "up")->outcome, LC_DIFF_REFUSED);
    assert_int_equal(outcome(&rep, "sub/f.txt")->outcome, LC_DIFF_REFUSED);
    assert_non_null(strstr(outcome(&rep, "sub/f.txt")->message, "symlink"));
    assert_int_equal(outcome(&rep, "a.txt")->outcome, LC_DIFF_REFUSED);
    lc_diff_report_free(&rep);
    assert_file(outside, "victim.txt", "keep me\n");
    assert_file(outside, "f.txt", "f\n");
    assert_file(f->orig, "a.txt", "a\n");
    struct stat st;
    char *etc = P(f->orig, "etc");
    assert_int_equal(lstat(etc, &st), -1);
    free(etc);
    free(outside);
}

static void test_special_files_are_never_written(void **state)
{
    fx *f = *state;
    wr(f->orig, "keep.txt", "k\n");
    start(f);
    edit(f->shadow, "pipe", "data\n");
    refresh(f);
    char *fifo = P(f->orig, "pipe");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_ESECURITY);
    assert_int_equal(outcome(&rep, "pipe")->outcome, LC_DIFF_REFUSED);
    assert_non_null(strstr(outcome(&rep, "pipe")->message, "fifo"));
    lc_diff_report_free(&rep);
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    free(fifo);
}

static void test_permission_error_leaves_the_original_intact(void **state)
{
    fx *f = *state;
    wr(f->orig, "ro/a.txt", "old\n");
    start(f);
    edit(f->shadow, "ro/a.txt", "new\n");
    refresh(f);
    char *dir = P(f->orig, "ro");
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
    const lc_diff_result *r = outcome(&rep, "ro/a.txt");
    assert_int_equal(r->outcome, LC_DIFF_FAILED);
    assert_non_null(strstr(r->message, "permission denied"));
    lc_diff_report_free(&rep);
    if (immutable)
        run((const char *const[]){"chattr", "-i", dir, NULL});
    chmod(dir, 0755);
    free(dir);
    assert_file(f->orig, "ro/a.txt", "old\n");
    assert_int_equal(lc_diff_undo_depth(f->d), 0); /* nothing to undo: nothing was written */
    assert_non_null(find(f, "ro/a.txt", NULL));
}

/* A write that fails half way (here: the file size limit, which even root
 * cannot pass; a full disk fails the same way) leaves no trace. */
static void test_failed_write_leaves_the_original_intact(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", "small\n");
    wr(f->orig, "b.txt", "b\n");
    start(f);
    edit(f->shadow, "b.txt", "B\n");
    lc_buf big = LC_BUF_INIT;
    for (int i = 0; i < 20000; i++)
        lc_buf_puts(&big, "a longer line of text\n");
    editb(f->shadow, "a.txt", big.data, big.len);
    refresh(f);
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
    const lc_diff_result *r = outcome(&rep, "a.txt");
    assert_int_equal(r->outcome, LC_DIFF_FAILED);
    assert_non_null(strstr(r->message, "left as it was"));
    assert_int_equal(outcome(&rep, "b.txt")->outcome, LC_DIFF_APPLIED);
    lc_diff_report_free(&rep);
    assert_file(f->orig, "a.txt", "small\n");
    assert_file(f->orig, "b.txt", "B\n");
    lc_proc_result res = LC_PROC_RESULT_INIT;
    assert_int_equal(lc_proc_run((const char *const[]){"ls", "-A", f->orig, NULL}, NULL, 0, 5000, 4096,
                                 &res, &err), LC_OK);
    assert_string_equal(res.out.data, "a.txt\nb.txt\n"); /* no temporary file left behind */
    lc_proc_result_free(&res);
    assert_non_null(find(f, "a.txt", NULL));
    assert_null(find(f, "b.txt", NULL));
    /* the journal holds only what was written: undo gives b.txt back */
    assert_int_equal(lc_diff_undo_depth(f->d), 1);
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    assert_int_equal(rep.n, 1);
    assert_int_equal(outcome(&rep, "b.txt")->outcome, LC_DIFF_RESTORED);
    lc_diff_report_free(&rep);
    assert_file(f->orig, "b.txt", "b\n");
    assert_file(f->orig, "a.txt", "small\n");
    lc_buf_free(&big);
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_symlink_escapes_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_special_files_are_never_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permission_error_leaves_the_original_intact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_leaves_the_original_intact, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_diff_global_shutdown();
    return rc;
}
