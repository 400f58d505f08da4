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

static int mode_of(const char *root, const char *rel)
{
    char *path = P(root, rel);
    struct stat st;
    int r = lstat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
    free(path);
    return r;
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

static void sel(fx *f, const char *path, size_t hunk)
{
    size_t i;
    assert_non_null(find(f, path, &i));
    lc_err err = {0};
    assert_int_equal(lc_diff_select(f->d, i, hunk, true, &err), LC_OK);
}

static const lc_diff_result *outcome(const lc_diff_report *rep, const char *path)
{
    for (size_t i = 0; i < rep->n; i++)
        if (strcmp(rep->v[i].path, path) == 0)
            return &rep->v[i];
    fail_msg("no result for %s", path);
    return NULL;
}

static const char *TEN = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n";

/* ---- revert and undo ------------------------------------------------------------------ */

static void test_revert_selected_hunk_in_the_shadow(void **state)
{
    fx *f = *state;
    wr(f->orig, "a.txt", TEN);
    start(f);
    edit(f->shadow, "a.txt", "1\nA\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\nB\n20\n");
    edit(f->shadow, "new.txt", "n\n");
    refresh(f);
    sel(f, "a.txt", 1);
    sel(f, "new.txt", 0);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_revert(f->d, &rep, &err), LC_OK);
    assert_int_equal(outcome(&rep, "a.txt")->outcome, LC_DIFF_REVERTED);
    assert_non_null(strstr(outcome(&rep, "a.txt")->message, "lines 16-20"));
    lc_diff_report_free(&rep);
    assert_file(f->shadow, "a.txt", "1\nA\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n");
    assert_file(f->shadow, "new.txt", NULL);
    assert_file(f->orig, "a.txt", TEN);
    assert_int_equal(lc_diff_count(f->d), 1);
    assert_int_equal(find(f, "a.txt", NULL)->nhunks, 1);
}

/* Running as root, the shadow belongs to the sandbox user: what revert writes must stay theirs. */
static void test_revert_keeps_the_sandbox_user_as_owner(void **state)
{
    fx *f = *state;
    if (geteuid() != 0)
        skip();
    wr(f->orig, "d/e/x.txt", "x\n");
    wr(f->orig, "y.txt", "y\n");
    start(f);
    edit(f->shadow, "y.txt", "Y\n");
    char *e = P(f->shadow, "d/e/x.txt");
    unlink(e);
    free(e);
    e = P(f->shadow, "d/e");
    rmdir(e);
    free(e);
    run((const char *const[]){"chown", "-R", "65534:65534", f->shadow, NULL});
    refresh(f);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_revert(f->d, &rep, &err), LC_OK);
    assert_non_null(strstr(outcome(&rep, "d/e/x.txt")->message, "restored"));
    lc_diff_report_free(&rep);
    assert_file(f->shadow, "d/e/x.txt", "x\n");
    assert_file(f->shadow, "y.txt", "y\n");
    const char *paths[] = {"d/e/x.txt", "d/e", "y.txt"};
    for (size_t i = 0; i < 3; i++) {
        char *p = P(f->shadow, paths[i]);
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
    wr(f->orig, "a.txt", TEN);
    wrb(f->orig, "run.sh", "echo 1\n", 7, 0700);
    wr(f->orig, "gone.txt", "g\n");
    start(f);
    edit(f->shadow, "a.txt", "1\nA\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\nB\n20\n");
    edit(f->shadow, "run.sh", "echo 2\n");
    char *p = P(f->shadow, "run.sh");
    chmod(p, 0755);
    free(p);
    p = P(f->shadow, "gone.txt");
    unlink(p);
    free(p);
    edit(f->shadow, "d/new.txt", "n\n");
    refresh(f);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    sel(f, "a.txt", 0);
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    lc_diff_select_all(f->d, true);
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_int_equal(lc_diff_undo_depth(f->d), 2);
    assert_int_equal(mode_of(f->orig, "run.sh"), 0755);

    /* restart: a new process opens the same state */
    lc_diff_free(f->d);
    f->d = NULL;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
    refresh(f);
    assert_int_equal(lc_diff_count(f->d), 0);
    assert_int_equal(lc_diff_undo_depth(f->d), 2);
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_file(f->orig, "a.txt", "1\nA\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n");
    assert_file(f->orig, "run.sh", "echo 1\n");
    assert_int_equal(mode_of(f->orig, "run.sh"), 0700);
    assert_file(f->orig, "gone.txt", "g\n");
    assert_file(f->orig, "d/new.txt", NULL);
    char *d = P(f->orig, "d");
    assert_int_equal(access(d, F_OK), -1); /* the directory it created went too */
    free(d);
    assert_int_equal(lc_diff_count(f->d), 4); /* back in the review */
    assert_int_equal(find(f, "a.txt", NULL)->nhunks, 1);
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_file(f->orig, "a.txt", TEN);
    assert_int_equal(find(f, "a.txt", NULL)->nhunks, 2);
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
    wr(f->orig, "a.txt", "a\n");
    wr(f->orig, "b.txt", "b\n");
    start(f);
    edit(f->shadow, "a.txt", "A\n");
    edit(f->shadow, "b.txt", "B\n");
    refresh(f);
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    edit(f->orig, "b.txt", "B and mine\n");
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_ECONFLICT);
    assert_non_null(strstr(err.msg, "b.txt"));
    lc_diff_report_free(&rep);
    assert_file(f->orig, "a.txt", "A\n"); /* all or nothing */
    assert_file(f->orig, "b.txt", "B and mine\n");
    assert_int_equal(lc_diff_undo_depth(f->d), 1);
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_revert_selected_hunk_in_the_shadow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revert_keeps_the_sandbox_user_as_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undo_in_order_and_after_a_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undo_refuses_to_lose_a_later_edit, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_diff_global_shutdown();
    return rc;
}
