/* See diff_fixture.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "diff_fixture.h"

char *dfx_P(const char *a, const char *b)
{
    return lc_xasprintf("%s/%s", a, b);
}

void dfx_run(const char *const *argv)
{
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_proc_run(argv, NULL, 0, 30000, 1 << 20, &res, &err), LC_OK);
    if (res.exit_code != 0)
        fail_msg("%s failed: %s", argv[0], lc_buf_cstr(&res.err));
    lc_proc_result_free(&res);
}

void dfx_wrb(const char *root, const char *rel, const void *data, size_t len, int mode)
{
    char *path = dfx_P(root, rel);
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

void dfx_wr(const char *root, const char *rel, const char *text)
{
    dfx_wrb(root, rel, text, strlen(text), 0644);
}

void dfx_editb(const char *root, const char *rel, const char *text, size_t len)
{
    char *path = dfx_P(root, rel);
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

void dfx_edit(const char *root, const char *rel, const char *text)
{
    dfx_editb(root, rel, text, strlen(text));
}

char *dfx_rd(const char *root, const char *rel)
{
    char *path = dfx_P(root, rel);
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

void dfx_assert_file(const char *root, const char *rel, const char *want)
{
    char *got = dfx_rd(root, rel);
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

int dfx_mode_of(const char *root, const char *rel)
{
    char *path = dfx_P(root, rel);
    struct stat st;
    int r = lstat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
    free(path);
    return r;
}

int dfx_setup(void **state)
{
    fx *f = lc_xcalloc(1, sizeof *f);
    char tmpl[] = "/tmp/lc-diff-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    f->root = lc_xstrdup(tmpl);
    f->orig = dfx_P(f->root, "orig");
    f->shadow = dfx_P(f->root, "state/shadow");
    f->state = dfx_P(f->root, "state");
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(f->orig, 0755, &err), LC_OK);
    assert_int_equal(lc_mkdir_p(f->state, 0700, &err), LC_OK);
    *state = f;
    return 0;
}

int dfx_teardown(void **state)
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
    dfx_run((const char *const[]){"chmod", "-R", "u+rwX", f->root, NULL});
    lc_rm_rf(f->root, &err);
    free(f->root);
    free(f->orig);
    free(f->shadow);
    free(f->state);
    free(f);
    return 0;
}

void dfx_start(fx *f)
{
    lc_err err = {0};
    assert_int_equal(lc_diff_snapshot(f->orig, f->state, &err), LC_OK);
    dfx_run((const char *const[]){"cp", "-a", f->orig, f->shadow, NULL});
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
}

void dfx_refresh(fx *f)
{
    lc_err err = {0};
    if (lc_diff_refresh(f->d, &err) != LC_OK)
        fail_msg("refresh: %s", err.msg);
}

const lc_diff_file *dfx_find(fx *f, const char *path, size_t *idx)
{
    for (size_t i = 0; i < lc_diff_count(f->d); i++)
        if (strcmp(lc_diff_file_at(f->d, i)->path, path) == 0) {
            if (idx)
                *idx = i;
            return lc_diff_file_at(f->d, i);
        }
    return NULL;
}

void dfx_sel(fx *f, const char *path, size_t hunk)
{
    size_t i;
    assert_non_null(dfx_find(f, path, &i));
    lc_err err = {0};
    assert_int_equal(lc_diff_select(f->d, i, hunk, true, &err), LC_OK);
}

const lc_diff_result *dfx_outcome(const lc_diff_report *rep, const char *path)
{
    for (size_t i = 0; i < rep->n; i++)
        if (strcmp(rep->v[i].path, path) == 0)
            return &rep->v[i];
    fail_msg("no result for %s", path);
    return NULL;
}

void dfx_crash_in_apply(fx *f)
{
    lc_buf big = LC_BUF_INIT;
    for (int i = 0; i < 2000; i++)
        lc_buf_printf(&big, "line %d\n", i);
    dfx_wr(f->orig, "a.txt", "a\n");
    dfx_wr(f->orig, "b.txt", "b\n");
    dfx_wr(f->orig, "c.txt", "c\n");
    dfx_wr(f->orig, "d.txt", "d\n");
    dfx_start(f);
    dfx_edit(f->shadow, "a.txt", "A\n");
    dfx_edit(f->shadow, "b.txt", "B\n");
    dfx_edit(f->shadow, "c.txt", lc_buf_cstr(&big));
    dfx_edit(f->shadow, "d.txt", "D\n");
    dfx_refresh(f);
    /* apply c once and undo it, so its new content is already in the object store and the
     * child's only large write is c's temporary file */
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    dfx_sel(f, "c.txt", LC_DIFF_WHOLE);
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    assert_int_equal(lc_diff_logged(f->d, &err), LC_OK); /* as a front end does once it logged */
    assert_int_equal(lc_diff_count(f->d), 4);
    dfx_killed_at_4k(f, true);
    /* The apply stages every new content before its first rename, so the child died with
     * nothing renamed (a's and b's temporary files complete, c's cut). Its renames run in
     * order a, b, c, d: done here for a and b, this is a kill at c's rename. */
    DIR *dir = opendir(f->orig);
    assert_non_null(dir);
    struct dirent *de;
    int renamed = 0;
    while ((de = readdir(dir))) {
        if (strncmp(de->d_name, ".lc-apply-", 10) != 0)
            continue;
        char *text = dfx_rd(f->orig, de->d_name);
        const char *to = text && !strcmp(text, "A\n") ? "a.txt" : text && !strcmp(text, "B\n") ? "b.txt" : NULL;
        if (to) {
            char *from = dfx_P(f->orig, de->d_name), *dst = dfx_P(f->orig, to);
            assert_int_equal(rename(from, dst), 0);
            renamed++;
            free(from);
            free(dst);
        }
        free(text);
    }
    closedir(dir);
    assert_int_equal(renamed, 2);
    lc_buf_free(&big);
}

void dfx_killed_at_4k(fx *f, bool apply)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_DFL);
        struct rlimit core = {0, 0}, fsz = {4096, 4096};
        setrlimit(RLIMIT_CORE, &core);
        setrlimit(RLIMIT_FSIZE, &fsz);
        lc_err err = {0};
        if (apply) {
            lc_diff_select_all(f->d, true);
            lc_diff_apply(f->d, NULL, &err);
        } else {
            lc_diff_undo(f->d, NULL, &err);
        }
        _exit(0); /* not reached when the limit kills it */
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGXFSZ);
}
