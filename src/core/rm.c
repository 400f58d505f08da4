/* rm -rf for trees a container may have shaped: symlinks are removed, never
 * followed; directories we own but cannot write or read are opened up
 * first; and trees nested deeper than the descriptor limit still go, since
 * below RM_FD_DEPTH levels we stop holding a descriptor per level. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"

#define RM_FD_DEPTH 24

/* Opens a directory for reading after making it rwx for its owner. The
 * chmod goes through an O_PATH descriptor, so a swap to a symlink cannot
 * redirect it. Returns -1 with errno set. */
static int open_for_removal(int parent, const char *name, const struct stat *st)
{
    int pfd = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (pfd < 0)
        return -1;
    if ((st->st_mode & S_IRWXU) != S_IRWXU) {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
        if (chmod(proc, (st->st_mode & 07777) | S_IRWXU) != 0)
            (void)fchmodat(parent, name, (st->st_mode & 07777) | S_IRWXU, 0);
    }
    int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int e = errno;
    close(pfd);
    errno = e;
    return dfd;
}

static int fail(lc_err *err, int e, const char *what, const lc_buf *path, const char *name)
{
    return lc_err_errno(err, LC_EIO, e, "%s %s%s%s", what, lc_buf_cstr(path), name ? "/" : "",
                        name ? name : "");
}

typedef struct level {
    char *name; /* the directory we descended into */
    dev_t dev;  /* its parent, to check that ".." leads back there */
    ino_t ino;
} level;

/* Empties the directory top without holding more than two descriptors:
 * go down into the first subdirectory, come back up through "..", checking
 * that ".." is the directory we came from (a tree moved under us must not
 * lead us anywhere else). Rescans a directory after each child is gone. */
static int empty_deep(int top, lc_buf *path, lc_err *err)
{
    level *stack = NULL;
    size_t n = 0, cap = 0;
    int rc = LC_OK;
    int cur = dup(top);
    if (cur < 0)
        return fail(err, errno, "removing", path, NULL);
    while (rc == LC_OK) {
        /* A dup shares the file offset: rewind, or the rescan sees nothing. */
        int scan = dup(cur);
        DIR *d = scan >= 0 && lseek(scan, 0, SEEK_SET) == 0 ? fdopendir(scan) : NULL;
        if (!d) {
            if (scan >= 0)
                close(scan);
            rc = fail(err, errno, "reading directory", path, NULL);
            break;
        }
        char *sub = NULL;
        struct stat sub_st;
        for (;;) {
            errno = 0;
            struct dirent *de = readdir(d);
            if (!de) {
                if (errno)
                    rc = fail(err, errno, "reading directory", path, NULL);
                break;
            }
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            struct stat st;
            if (fstatat(cur, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
                if (errno == ENOENT)
                    continue;
                rc = fail(err, errno, "removing", path, de->d_name);
                break;
            }
            if (S_ISDIR(st.st_mode)) {
                sub = lc_xstrdup(de->d_name);
                sub_st = st;
                break;
            }
            if (unlinkat(cur, de->d_name, 0) != 0 && errno != ENOENT) {
                rc = fail(err, errno, "removing", path, de->d_name);
                break;
            }
        }
        closedir(d);
        if (rc != LC_OK) {
            free(sub);
            break;
        }
        if (sub) {
            struct stat here;
            int down = fstat(cur, &here) == 0 ? open_for_removal(cur, sub, &sub_st) : -1;
            if (down < 0) {
                rc = fail(err, errno, "removing", path, sub);
                free(sub);
                break;
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                stack = lc_xrealloc(stack, cap * sizeof *stack);
            }
            stack[n++] = (level){sub, here.st_dev, here.st_ino};
            close(cur);
            cur = down;
            continue;
        }
        if (n == 0)
            break; /* top is empty */
        level lv = stack[--n];
        int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat st;
        if (up < 0 || fstat(up, &st) != 0) {
            rc = fail(err, errno, "removing", path, lv.name);
        } else if (st.st_dev != lv.dev || st.st_ino != lv.ino) {
            rc = lc_err_set(err, LC_EIO, "removing %s: a directory was moved while it was being "
                                         "removed; stopped", lc_buf_cstr(path));
        }
        close(cur);
        cur = up;
        if (rc == LC_OK && unlinkat(cur, lv.name, AT_REMOVEDIR) != 0 && errno != ENOENT)
            rc = fail(err, errno, "removing", path, lv.name);
        free(lv.name);
    }
    while (n > 0)
        free(stack[--n].name);
    free(stack);
    if (cur >= 0)
        close(cur);
    return rc;
}

static int rm_at(int parent, const char *name, int depth, lc_buf *path, lc_err *err);

/* Removes everything inside the directory dfd, and closes dfd: one
 * descriptor per level while recursing. */
static int empty_dir(int dfd, int depth, lc_buf *path, lc_err *err)
{
    if (depth >= RM_FD_DEPTH) {
        int rc = empty_deep(dfd, path, err);
        close(dfd);
        return rc;
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        return fail(err, e, "reading directory", path, NULL);
    }
    int rc = LC_OK;
    size_t base = path->len;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno)
                rc = fail(err, errno, "reading directory", path, NULL);
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        lc_buf_putc(path, '/');
        lc_buf_puts(path, de->d_name);
        rc = rm_at(dirfd(d), de->d_name, depth + 1, path, err);
        path->len = base;
        path->data[base] = '\0';
        if (rc != LC_OK)
            break;
    }
    closedir(d);
    return rc;
}

static int rm_at(int parent, const char *name, int depth, lc_buf *path, lc_err *err)
{
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return LC_OK;
        return fail(err, errno, "removing", path, NULL);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(parent, name, 0) != 0 && errno != ENOENT)
            return fail(err, errno, "removing", path, NULL);
        return LC_OK;
    }
    int dfd = open_for_removal(parent, name, &st);
    if (dfd < 0)
        return fail(err, errno, "opening directory", path, NULL);
    int rc = empty_dir(dfd, depth, path, err);
    if (rc == LC_OK && unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        rc = fail(err, errno, "removing directory", path, NULL);
    return rc;
}

int lc_rm_rf(const char *path, lc_err *err)
{
    if (!path || !*path)
        return lc_err_set(err, LC_EINVAL, "refusing to remove an empty path");
    /* "link/" would make the kernel follow the link: strip trailing slashes
     * so the last component is looked at itself. */
    lc_buf p = LC_BUF_INIT;
    lc_buf_puts(&p, path);
    while (p.len > 0 && p.data[p.len - 1] == '/')
        p.data[--p.len] = '\0';
    const char *last = strrchr(p.data, '/');
    last = last ? last + 1 : p.data;
    if (p.len == 0 || strcmp(last, ".") == 0 || strcmp(last, "..") == 0) {
        lc_buf_free(&p);
        return lc_err_set(err, LC_EINVAL, "refusing to remove '%s'", path);
    }
    char *clean = lc_xstrdup(p.data);
    int rc = rm_at(AT_FDCWD, clean, 0, &p, err);
    free(clean);
    lc_buf_free(&p);
    return rc;
}
