/* core: paths on disk, mkdir -p, rm -rf, bounded reads, atomic writes,
 * copies and the sorted walk, each against a real temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

/* ---- helpers ---- */

static int setup_tmp(void **state)
{
    const char *base = getenv("TMPDIR");
    char *tmpl = lc_xasprintf("%s/lc-core-fs-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpl)) {
        free(tmpl);
        return -1;
    }
    *state = tmpl;
    return 0;
}

static int teardown_tmp(void **state)
{
    char *dir = *state;
    lc_err err = {0};
    int rc = lc_rm_rf(dir, &err);
    free(dir);
    return rc;
}

static char *P(void **state, const char *rel)
{
    return lc_path_join(*state, rel);
}

static void put(void **state, const char *rel, const char *content)
{
    char *p = P(state, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    free(p);
}

static char *slurp(void **state, const char *rel)
{
    char *p = P(state, rel);
    lc_buf b = LC_BUF_INIT;
    lc_err err = {0};
    int rc = lc_file_read(p, 1 << 26, &b, &err);
    free(p);
    if (rc != LC_OK) {
        lc_buf_free(&b);
        return NULL;
    }
    return lc_buf_detach(&b);
}

static bool exists(void **state, const char *rel)
{
    char *p = P(state, rel);
    struct stat st;
    bool ok = lstat(p, &st) == 0;
    free(p);
    return ok;
}

static void mkd(void **state, const char *rel)
{
    char *p = P(state, rel);
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
}

static void sym(void **state, const char *target, const char *rel)
{
    char *p = P(state, rel);
    assert_int_equal(symlink(target, p), 0);
    free(p);
}

/* Number of entries in a directory other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* ---- mkdir -p ---- */

static void test_mkdir_p(void **state)
{
    lc_err err = {0};
    char *p = P(state, "a/b/c/d");
    assert_int_equal(lc_mkdir_p(p, 0755, &err), LC_OK);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    /* Existing is fine, so is a trailing slash or doubled slashes. */
    assert_int_equal(lc_mkdir_p(p, 0755, &err), LC_OK);
    free(p);
    p = P(state, "a//x/y/");
    assert_int_equal(lc_mkdir_p(p, 0700, &err), LC_OK);
    free(p);
    assert_true(exists(state, "a/x/y"));
    assert_int_equal(lc_mkdir_p("", 0755, &err), LC_EINVAL);
}

static void test_mkdir_p_through_a_file(void **state)
{
    lc_err err = {0};
    put(state, "file", "x");
    char *p = P(state, "file/sub");
    assert_int_not_equal(lc_mkdir_p(p, 0755, &err), LC_OK);
    assert_non_null(strstr(err.msg, "file"));
    free(p);
    p = P(state, "file");
    assert_int_equal(lc_mkdir_p(p, 0755, &err), LC_EIO);
    assert_non_null(strstr(err.msg, "not a directory"));
    free(p);
}

static int dir_flags(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), flags = -1;
    assert_true(fd >= 0);
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0)
        flags = -1;
    close(fd);
    return flags;
}

/* The hint is set on the directory itself, not inherited by what is made in
 * it, and never set through a symlink or on a file. On ext4 (this machine's
 * /tmp) it must be set; elsewhere the answer must match the flags. */
static void test_dir_spread(void **state)
{
    char *dir = P(state, "sessions");
    assert_int_equal(mkdir(dir, 0700), 0);
    struct statfs fs;
    assert_int_equal(statfs(dir, &fs), 0);
    bool set = lc_dir_spread(dir);
    if (fs.f_type == 0xEF53) /* EXT4_SUPER_MAGIC */
        assert_true(set);
    if (set) {
        assert_true(dir_flags(dir) & FS_TOPDIR_FL);
        assert_true(lc_dir_spread(dir)); /* again: already set */
        char *child = P(state, "sessions/one");
        assert_int_equal(mkdir(child, 0700), 0);
        assert_false(dir_flags(child) & FS_TOPDIR_FL);
        free(child);
    } else {
        int flags = dir_flags(dir);
        assert_true(flags == -1 || !(flags & FS_TOPDIR_FL));
    }
    char *other = P(state, "other"), *link = P(state, "link");
    assert_int_equal(mkdir(other, 0700), 0);
    assert_int_equal(symlink(other, link), 0);
    assert_false(lc_dir_spread(link));
    int flags = dir_flags(other);
    assert_true(flags == -1 || !(flags & FS_TOPDIR_FL));
    put(state, "file", "x");
    char *file = P(state, "file"), *none = P(state, "none");
    assert_false(lc_dir_spread(file));
    assert_false(lc_dir_spread(none));
    free(dir);
    free(other);
    free(link);
    free(file);
    free(none);
}

/* ---- rm -rf ---- */

static void test_rm_rf_tree(void **state)
{
    lc_err err = {0};
    mkd(state, "t");
    mkd(state, "t/sub");
    mkd(state, "t/sub/deeper");
    put(state, "t/f1", "1");
    put(state, "t/sub/f2", "2");
    put(state, "t/sub/deeper/.hidden", "3");
    char *p = P(state, "t");
    assert_int_equal(lc_rm_rf(p, &err), LC_OK);
    free(p);
    assert_false(exists(state, "t"));
    /* A missing path is not an error. */
    p = P(state, "never-existed");
    assert_int_equal(lc_rm_rf(p, &err), LC_OK);
    free(p);
    assert_int_equal(lc_rm_rf("", &err), LC_EINVAL);
}

static void test_rm_rf_never_follows_symlinks(void **state)
{
    lc_err err = {0};
    mkd(state, "outside");
    put(state, "outside/precious", "keep me");
    put(state, "precious-file", "keep me too");
    mkd(state, "t");
    char *out = P(state, "outside");
    char *outf = P(state, "precious-file");
    sym(state, out, "t/dirlink");
    sym(state, outf, "t/filelink");
    sym(state, "../outside", "t/rellink");
    sym(state, "/nonexistent/dangling", "t/dangling");
    char *p = P(state, "t");
    assert_int_equal(lc_rm_rf(p, &err), LC_OK);
    free(p);
    assert_false(exists(state, "t"));
    char *s = slurp(state, "outside/precious");
    assert_string_equal(s, "keep me");
    free(s);
    s = slurp(state, "precious-file");
    assert_string_equal(s, "keep me too");
    free(s);

    /* The root itself being a symlink: the link goes, the target stays. */
    sym(state, out, "rootlink");
    p = P(state, "rootlink");
    assert_int_equal(lc_rm_rf(p, &err), LC_OK);
    free(p);
    assert_false(exists(state, "rootlink"));
    assert_true(exists(state, "outside/precious"));
    free(out);
    free(outf);
}

static void test_rm_rf_trailing_slash_on_symlink(void **state)
{
    lc_err err = {0};
    mkd(state, "outside");
    put(state, "outside/precious", "keep");
    char *out = P(state, "outside");
    sym(state, out, "link");
    char *p = lc_xasprintf("%s/link//", (char *)*state);
    assert_int_equal(lc_rm_rf(p, &err), LC_OK);
    assert_false(exists(state, "link"));
    assert_true(exists(state, "outside/precious"));
    free(p), free(out);
    assert_int_equal(lc_rm_rf("/", &err), LC_EINVAL);
    assert_int_equal(lc_rm_rf("///", &err), LC_EINVAL);
    p = lc_xasprintf("%s/outside/.", (char *)*state);
    assert_int_equal(lc_rm_rf(p, &err), LC_EINVAL);
    free(p);
    p = lc_xasprintf("%s/outside/..", (char *)*state);
    assert_int_equal(lc_rm_rf(p, &err), LC_EINVAL);
    free(p);
    assert_true(exists(state, "outside/precious"));
}

static void test_rm_rf_read_only_dirs(void **state)
{
    lc_err err = {0};
    /* As a container might leave it: directories without write or even
     * read/search permission for their owner. */
    mkd(state, "ro");
    mkd(state, "ro/a");
    mkd(state, "ro/a/b");
    put(state, "ro/a/b/file", "x");
    put(state, "ro/a/file", "y");
    mkd(state, "ro/noperm");
    put(state, "ro/noperm/z", "z");
    char *b = P(state, "ro/a/b"), *a = P(state, "ro/a"), *np = P(state, "ro/noperm"),
         *ro = P(state, "ro");
    assert_int_equal(chmod(b, 0500), 0);
    assert_int_equal(chmod(a, 0500), 0);
    assert_int_equal(chmod(np, 0000), 0);
    assert_int_equal(chmod(ro, 0555), 0);
    assert_int_equal(lc_rm_rf(ro, &err), LC_OK);
    assert_false(exists(state, "ro"));
    free(a), free(b), free(np), free(ro);
}

/* Builds base/d/d/d... depth levels deep with a file and a symlink at
 * every tenth level, without long paths (chdir as it goes). */
static void make_deep_tree(const char *base, int depth, const char *outside)
{
    int back = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(back >= 0);
    assert_int_equal(chdir(base), 0);
    for (int i = 0; i < depth; i++) {
        assert_int_equal(mkdir("d", 0755), 0);
        if (i % 10 == 0) {
            FILE *f = fopen("f", "w");
            assert_non_null(f);
            fclose(f);
            assert_int_equal(symlink(outside, "out"), 0);
            assert_int_equal(mkdir("side", 0500), 0); /* read-only sibling */
        }
        assert_int_equal(chdir("d"), 0);
    }
    assert_int_equal(fchdir(back), 0);
    close(back);
}

static void test_rm_rf_deeper_than_fd_limit(void **state)
{
    lc_err err = {0};
    mkd(state, "outside");
    put(state, "outside/precious", "keep");
    mkd(state, "deep");
    char *base = P(state, "deep"), *out = P(state, "outside");
    make_deep_tree(base, 600, out);
    /* With only 40 descriptors, one per level cannot work. */
    struct rlimit saved, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    low = saved;
    low.rlim_cur = 40;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    int rc = lc_rm_rf(base, &err);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    if (rc != LC_OK)
        fail_msg("%s", err.msg);
    assert_false(exists(state, "deep"));
    assert_true(exists(state, "outside/precious"));
    free(base), free(out);
}

static void test_rm_rf_single_file(void **state)
{
    lc_err err = {0};
    put(state, "lonely", "x");
    char *p = P(state, "lonely");
    assert_int_equal(lc_rm_rf(p, &err), LC_OK);
    free(p);
    assert_false(exists(state, "lonely"));
}

/* ---- read ---- */

static void test_file_read(void **state)
{
    lc_err err = {0};
    put(state, "ten", "0123456789");
    char *p = P(state, "ten");
    lc_buf b = LC_BUF_INIT;
    lc_buf_puts(&b, "pre:");
    assert_int_equal(lc_file_read(p, 10, &b, &err), LC_OK); /* exactly max is fine */
    assert_string_equal(b.data, "pre:0123456789");
    assert_int_equal(lc_file_read(p, 9, &b, &err), LC_EINVAL);
    assert_string_equal(b.data, "pre:0123456789"); /* untouched on failure */
    assert_non_null(strstr(err.msg, p));
    assert_non_null(strstr(err.msg, "limit"));
    lc_buf_free(&b);
    free(p);

    put(state, "empty", "");
    p = P(state, "empty");
    assert_int_equal(lc_file_read(p, 0, &b, &err), LC_OK);
    assert_string_equal(lc_buf_cstr(&b), "");
    free(p);
    lc_buf_free(&b);
}

static void test_file_read_binary(void **state)
{
    lc_err err = {0};
    char *p = P(state, "bin");
    unsigned char data[300000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7);
    assert_int_equal(lc_file_write_atomic(p, data, sizeof data, 0644, &err), LC_OK);
    lc_buf b = LC_BUF_INIT;
    assert_int_equal(lc_file_read(p, sizeof data, &b, &err), LC_OK);
    assert_int_equal(b.len, sizeof data);
    assert_memory_equal(b.data, data, sizeof data);
    lc_buf_free(&b);
    free(p);
}

static void test_file_read_refusals(void **state)
{
    lc_err err = {0};
    lc_buf b = LC_BUF_INIT;
    char *p = P(state, "missing");
    assert_int_equal(lc_file_read(p, 100, &b, &err), LC_ENOTFOUND);
    assert_non_null(strstr(err.msg, "No such file"));
    free(p);
    assert_int_equal(lc_file_read(*state, 100, &b, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "directory"));
    /* A FIFO must not hang us. */
    p = P(state, "fifo");
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_int_equal(lc_file_read(p, 100, &b, &err), LC_EINVAL);
    free(p);
    /* A file that reports no size but never ends is still bounded. */
    assert_int_equal(lc_file_read("/dev/zero", 1000, &b, &err), LC_EINVAL);
    assert_int_equal(b.len, 0);
    /* /proc files report size 0 yet have content. */
    assert_int_equal(lc_file_read("/proc/self/status", 1 << 20, &b, &err), LC_OK);
    assert_non_null(strstr(b.data, "Pid:"));
    lc_buf_free(&b);
}

/* A path that must be a regular file: a FIFO, device or directory is
 * refused at once (a FIFO used to block the open until a writer came). */
static void test_open_regular_refuses_the_rest_at_once(void **state)
{
    lc_err err = {0};
    char *p = P(state, "open-fifo");
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_int_equal(lc_file_open_regular(p, O_RDONLY, 0, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "a pipe, socket or device, not a regular file"));
    free(p);
    assert_int_equal(lc_file_open_regular("/dev/null", O_RDONLY, 0, &err), LC_EINVAL);
    assert_int_equal(lc_file_open_regular(*state, O_RDONLY, 0, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "a directory"));
    p = P(state, "open-missing");
    assert_int_equal(lc_file_open_regular(p, O_RDONLY, 0, &err), LC_ENOTFOUND);
    int fd = lc_file_open_regular(p, O_RDWR | O_CREAT, 0600, &err);
    assert_true(fd >= 0);
    assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0); /* reads of a regular file block as usual */
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
    free(p);
}

/* ---- atomic write ---- */

static void test_write_atomic_never_replaces_special_files(void **state)
{
    /* As root, renaming over /dev/null would turn it into a regular file. */
    lc_err err = {0};
    char *fifo = P(state, "fifo");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    assert_int_equal(lc_file_write_atomic(fifo, "x", 1, 0644, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "fifo, not a regular file"));
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    char *sub = P(state, "subdir");
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(lc_file_write_atomic(sub, "x", 1, 0644, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "directory"));
    free(fifo);
    free(sub);
}

static void test_write_atomic_creates_and_replaces(void **state)
{
    lc_err err = {0};
    char *p = P(state, "out.txt");
    mode_t old = umask(0077);
    assert_int_equal(lc_file_write_atomic(p, "first", 5, 0644, &err), LC_OK);
    umask(old);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644); /* exact mode, whatever the umask */
    char *s = slurp(state, "out.txt");
    assert_string_equal(s, "first");
    free(s);
    ino_t ino = st.st_ino;
    assert_int_equal(lc_file_write_atomic(p, "second version", 14, 0600, &err), LC_OK);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_not_equal(st.st_ino, ino); /* replaced by rename, not rewritten */
    s = slurp(state, "out.txt");
    assert_string_equal(s, "second version");
    free(s);
    assert_int_equal(lc_file_write_atomic(p, "", 0, 0600, &err), LC_OK);
    s = slurp(state, "out.txt");
    assert_string_equal(s, "");
    free(s);
    /* No temporary files are left behind. */
    assert_int_equal(count_entries(*state), 1);
    free(p);
}

static void test_write_atomic_replaces_symlink_not_target(void **state)
{
    lc_err err = {0};
    put(state, "target", "target content");
    sym(state, "target", "link");
    char *p = P(state, "link");
    assert_int_equal(lc_file_write_atomic(p, "new", 3, 0644, &err), LC_OK);
    free(p);
    struct stat st;
    p = P(state, "link");
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    free(p);
    char *s = slurp(state, "target");
    assert_string_equal(s, "target content");
    free(s);
}

static void test_write_atomic_long_name(void **state)
{
    lc_err err = {0};
    char name[256];
    memset(name, 'n', 255);
    name[255] = '\0';
    char *p = P(state, name);
    assert_int_equal(lc_file_write_atomic(p, "long", 4, 0644, &err), LC_OK);
    char *s = slurp(state, name);
    assert_string_equal(s, "long");
    free(s), free(p);
}

static void test_write_atomic_parent_is_file(void **state)
{
    lc_err err = {0};
    put(state, "notadir", "x");
    char *p = P(state, "notadir/out.txt");
    assert_int_not_equal(lc_file_write_atomic(p, "data", 4, 0644, &err), LC_OK);
    assert_non_null(strstr(err.msg, p));
    assert_non_null(strstr(err.msg, "Not a directory"));
    free(p);
    p = P(state, "no/such/dir/out.txt");
    assert_int_equal(lc_file_write_atomic(p, "data", 4, 0644, &err), LC_ENOTFOUND);
    free(p);
    char *s = slurp(state, "notadir");
    assert_string_equal(s, "x");
    free(s);
}

static void test_write_atomic_failure_keeps_original(void **state)
{
    lc_err err = {0};
    put(state, "orig", "original content");
    char *p = P(state, "orig");
    /* A file size limit makes the write itself fail, even as root. */
    struct rlimit saved;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit low = saved;
    low.rlim_cur = 8;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &low), 0);
    int rc = lc_file_write_atomic(p, "much longer replacement content", 31, 0644, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, LC_EIO);
    assert_non_null(strstr(err.msg, p));
    assert_non_null(strstr(err.msg, "File too large"));
    char *s = slurp(state, "orig");
    assert_string_equal(s, "original content");
    free(s);
    assert_int_equal(count_entries(*state), 1); /* the temp file was removed */

    /* A directory at the target is refused before anything is written: the
     * directory and its contents stay, no temp file is left. */
    mkd(state, "adir");
    put(state, "adir/inner", "i");
    char *d = P(state, "adir");
    assert_int_equal(lc_file_write_atomic(d, "x", 1, 0644, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, d));
    free(d);
    s = slurp(state, "adir/inner");
    assert_string_equal(s, "i");
    free(s);
    assert_int_equal(count_entries(*state), 2);
    free(p);
}

static void test_write_atomic_read_only_dir(void **state)
{
    if (geteuid() == 0)
        skip(); /* root ignores directory permissions */
    lc_err err = {0};
    mkd(state, "ro");
    put(state, "ro/f", "old");
    char *d = P(state, "ro"), *p = P(state, "ro/f");
    assert_int_equal(chmod(d, 0555), 0);
    assert_int_equal(lc_file_write_atomic(p, "new", 3, 0644, &err), LC_EIO);
    assert_non_null(strstr(err.msg, "Permission denied"));
    assert_int_equal(chmod(d, 0755), 0);
    char *s = slurp(state, "ro/f");
    assert_string_equal(s, "old");
    free(s);
    free(d), free(p);
}

static void test_fd_write_all(void **state)
{
    char *p = P(state, "fdw");
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    char big[200000];
    memset(big, 'q', sizeof big);
    assert_int_equal(lc_fd_write_all(fd, big, sizeof big), LC_OK);
    close(fd);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, sizeof big);
    assert_int_equal(lc_fd_write_all(fd, "x", 1), LC_EIO); /* closed fd */
    assert_int_equal(errno, EBADF);
    free(p);
}

/* ---- copy ---- */

static void test_file_copy(void **state)
{
    lc_err err = {0};
    size_t sizes[] = {0, 1, 65536, 3 * 1024 * 1024 + 17};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *data = lc_xmalloc(sizes[i] + 1);
        for (size_t k = 0; k < sizes[i]; k++)
            data[k] = (char)(k * 31 + i);
        char *src = lc_xasprintf("%s/src%zu", (char *)*state, i);
        char *dst = lc_xasprintf("%s/dst%zu", (char *)*state, i);
        assert_int_equal(lc_file_write_atomic(src, data, sizes[i], 0600, &err), LC_OK);
        bool reflinked = true;
        assert_int_equal(lc_file_copy(src, dst, 0751, &reflinked, &err), LC_OK);
        struct stat st;
        assert_int_equal(stat(dst, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0751);
        assert_int_equal((size_t)st.st_size, sizes[i]);
        lc_buf b = LC_BUF_INIT;
        assert_int_equal(lc_file_read(dst, sizes[i], &b, &err), LC_OK);
        if (sizes[i])
            assert_memory_equal(b.data, data, sizes[i]);
        lc_buf_free(&b);
        free(data), free(src), free(dst);
    }
    /* reflinked may be NULL. */
    char *src = P(state, "src1"), *dst = P(state, "dst-null");
    assert_int_equal(lc_file_copy(src, dst, 0644, NULL, &err), LC_OK);
    free(src), free(dst);
}

/* A hole stays a hole: a project's `truncate -s 50G` file once took 50 GB of
 * the user's disk as a shadow copy. */
static void test_file_copy_keeps_holes(void **state)
{
    lc_err err = {0};
    char *src = P(state, "sparse"), *dst = P(state, "sparse-copy");
    int fd = open(src, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    const off_t size = (off_t)8 << 30; /* 8 GiB, nearly all hole */
    const off_t at[] = {0, (off_t)1 << 30, size - 5};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(pwrite(fd, "data!", 5, at[i]), 5);
    close(fd);
    struct stat s0;
    assert_int_equal(stat(src, &s0), 0);
    assert_int_equal(lc_file_copy(src, dst, 0644, NULL, &err), LC_OK);
    struct stat s1;
    assert_int_equal(stat(dst, &s1), 0);
    assert_int_equal(s1.st_size, size);
    /* No more blocks than the original, give or take an extent: 8 GiB copied
     * densely would be 16 million blocks. */
    assert_true(s1.st_blocks <= s0.st_blocks + 2048);
    fd = open(dst, O_RDONLY);
    assert_true(fd >= 0);
    char buf[5];
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(pread(fd, buf, 5, at[i]), 5);
        assert_memory_equal(buf, "data!", 5);
    }
    assert_int_equal(pread(fd, buf, 5, 4096), 5);
    assert_memory_equal(buf, "\0\0\0\0\0", 5);
    close(fd);
    unlink(src), unlink(dst);
    free(src), free(dst);
}

static void test_file_copy_refusals(void **state)
{
    lc_err err = {0};
    put(state, "src", "source");
    put(state, "existing", "do not clobber");
    char *src = P(state, "src"), *ex = P(state, "existing");
    /* dst must be new. */
    assert_int_equal(lc_file_copy(src, ex, 0644, NULL, &err), LC_EIO);
    assert_non_null(strstr(err.msg, "exists"));
    char *s = slurp(state, "existing");
    assert_string_equal(s, "do not clobber");
    free(s);
    /* A symlink at dst is not followed either. */
    sym(state, "existing", "dstlink");
    char *dl = P(state, "dstlink");
    assert_int_not_equal(lc_file_copy(src, dl, 0644, NULL, &err), LC_OK);
    s = slurp(state, "existing");
    assert_string_equal(s, "do not clobber");
    free(s);
    /* src must be a regular file, not a symlink or a directory. */
    sym(state, "src", "srclink");
    char *sl = P(state, "srclink"), *out = P(state, "out");
    assert_int_equal(lc_file_copy(sl, out, 0644, NULL, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "symlink"));
    assert_false(exists(state, "out"));
    assert_int_equal(lc_file_copy(*state, out, 0644, NULL, &err), LC_EINVAL);
    assert_false(exists(state, "out"));
    char *missing = P(state, "missing");
    assert_int_equal(lc_file_copy(missing, out, 0644, NULL, &err), LC_ENOTFOUND);
    assert_non_null(strstr(err.msg, missing));
    free(src), free(ex), free(dl), free(sl), free(out), free(missing);
}

/* ---- walk ---- */

typedef struct seen {
    lc_buf log;
    const char *stop_at;
    const char *skip;
} seen;

static int record(void *ctx, const lc_walk_entry *e)
{
    seen *s = ctx;
    char kind = S_ISDIR(e->st->st_mode) ? 'd' : S_ISLNK(e->st->st_mode) ? 'l' : 'f';
    lc_buf_printf(&s->log, "%s %s %c %d\n", e->path, e->name, kind, e->depth);
    if (s->stop_at && strcmp(e->path, s->stop_at) == 0)
        return LC_ECANCEL;
    if (s->skip && strcmp(e->path, s->skip) == 0)
        return LC_WALK_SKIP;
    return 0;
}

static void make_walk_tree(void **state)
{
    mkd(state, "outside");
    put(state, "outside/secret", "s");
    mkd(state, "root");
    put(state, "root/b.txt", "b");
    mkd(state, "root/a");
    put(state, "root/a/z", "z");
    mkd(state, "root/a/y");
    put(state, "root/a/y/deep", "d");
    put(state, "root/.hidden", "h");
    put(state, "root/B", "upper sorts first");
    sym(state, "a", "root/c");
    char *out = P(state, "outside");
    sym(state, out, "root/d-out");
    free(out);
    mkd(state, "root/empty");
}

static void test_walk_order_and_symlinks(void **state)
{
    make_walk_tree(state);
    lc_err err = {0};
    seen s = {LC_BUF_INIT, NULL, NULL};
    char *root = P(state, "root");
    assert_int_equal(lc_walk(root, record, &s, &err), LC_OK);
    assert_string_equal(lc_buf_cstr(&s.log), ".hidden .hidden f 0\n"
                                             "B B f 0\n"
                                             "a a d 0\n"
                                             "a/y y d 1\n"
                                             "a/y/deep deep f 2\n"
                                             "a/z z f 1\n"
                                             "b.txt b.txt f 0\n"
                                             "c c l 0\n"
                                             "d-out d-out l 0\n"
                                             "empty empty d 0\n");
    lc_buf_free(&s.log);
    free(root);
}

static void test_walk_skip_and_stop(void **state)
{
    make_walk_tree(state);
    lc_err err = {0};
    char *root = P(state, "root");
    seen s = {LC_BUF_INIT, NULL, "a"};
    assert_int_equal(lc_walk(root, record, &s, &err), LC_OK);
    assert_null(strstr(lc_buf_cstr(&s.log), "a/"));
    assert_non_null(strstr(lc_buf_cstr(&s.log), "b.txt"));
    lc_buf_free(&s.log);

    seen t = {LC_BUF_INIT, "a/y", NULL};
    assert_int_equal(lc_walk(root, record, &t, &err), LC_ECANCEL);
    assert_string_equal(lc_buf_cstr(&t.log), ".hidden .hidden f 0\n"
                                             "B B f 0\n"
                                             "a a d 0\n"
                                             "a/y y d 1\n");
    lc_buf_free(&t.log);
    free(root);
}

static void test_walk_errors(void **state)
{
    lc_err err = {0};
    seen s = {LC_BUF_INIT, NULL, NULL};
    char *p = P(state, "nope");
    assert_int_equal(lc_walk(p, record, &s, &err), LC_ENOTFOUND);
    assert_non_null(strstr(err.msg, p));
    free(p);
    put(state, "file", "x");
    p = P(state, "file");
    assert_int_not_equal(lc_walk(p, record, &s, &err), LC_OK);
    free(p);
    /* An empty directory calls nothing. */
    mkd(state, "e");
    p = P(state, "e");
    assert_int_equal(lc_walk(p, record, &s, &err), LC_OK);
    assert_int_equal(s.log.len, 0);
    free(p);
    if (geteuid() != 0) {
        mkd(state, "e/locked");
        p = P(state, "e/locked");
        chmod(p, 0);
        char *root = P(state, "e");
        assert_int_equal(lc_walk(root, record, &s, &err), LC_EIO);
        assert_non_null(strstr(err.msg, "locked"));
        chmod(p, 0755);
        free(root);
        free(p);
    }
    lc_buf_free(&s.log);
}

static int count_cb(void *ctx, const lc_walk_entry *e)
{
    (void)e;
    ++*(int *)ctx;
    return 0;
}

static void test_walk_too_deep_says_so(void **state)
{
    lc_err err = {0};
    mkd(state, "deep");
    char *base = P(state, "deep"), *out = P(state, "deep");
    make_deep_tree(base, 100, out);
    int n = 0;
    assert_int_equal(lc_walk(base, count_cb, &n, &err), LC_OK);
    assert_int_equal(n, 100 + 10 * 3);
    struct rlimit saved, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    low = saved;
    low.rlim_cur = 40;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    n = 0;
    int rc = lc_walk(base, count_cb, &n, &err);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    assert_int_equal(rc, LC_EIO);
    assert_non_null(strstr(err.msg, "nested deeper"));
    free(base), free(out);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_tmp, teardown_tmp)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_mkdir_p),
        T(test_mkdir_p_through_a_file),
        T(test_dir_spread),
        T(test_rm_rf_tree),
        T(test_rm_rf_never_follows_symlinks),
        T(test_rm_rf_trailing_slash_on_symlink),
        T(test_rm_rf_read_only_dirs),
        T(test_rm_rf_deeper_than_fd_limit),
        T(test_rm_rf_single_file),
        T(test_file_read),
        T(test_file_read_binary),
        T(test_file_read_refusals),
        T(test_write_atomic_creates_and_replaces),
        T(test_write_atomic_never_replaces_special_files),
        T(test_write_atomic_replaces_symlink_not_target),
        T(test_write_atomic_long_name),
        T(test_write_atomic_parent_is_file),
        T(test_write_atomic_failure_keeps_original),
        T(test_write_atomic_read_only_dir),
        T(test_fd_write_all),
        T(test_file_copy),
        T(test_file_copy_keeps_holes),
        T(test_open_regular_refuses_the_rest_at_once),
        T(test_file_copy_refusals),
        T(test_walk_order_and_symlinks),
        T(test_walk_skip_and_stop),
        T(test_walk_errors),
        T(test_walk_too_deep_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
