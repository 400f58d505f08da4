/* Pre-order directory walk with entries sorted by name. Directories are
 * opened relative to their parent's descriptor with O_NOFOLLOW, so a symlink
 * swapped in mid-walk (a container can do that) is never followed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"

typedef struct walker {
    lc_walk_fn fn;
    void *ctx;
    lc_err *err;
    const char *root;
    lc_buf path; /* relative path of the directory being read, "" for the root */
} walker;

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Takes ownership of dfd. */
static int walk_dir(walker *w, int dfd, int depth)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        return lc_err_errno(w->err, LC_EIO, e, "reading directory %s/%s", w->root,
                            lc_buf_cstr(&w->path));
    }
    lc_strv names = LC_STRV_INIT;
    int rc = LC_OK;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno)
                rc = lc_err_errno(w->err, LC_EIO, errno, "reading directory %s/%s", w->root,
                                  lc_buf_cstr(&w->path));
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        lc_strv_push(&names, de->d_name);
    }
    if (names.n > 1)
        qsort(names.v, names.n, sizeof *names.v, cmp_names);
    size_t base = w->path.len;
    for (size_t i = 0; rc == LC_OK && i < names.n; i++) {
        const char *name = names.v[i];
        struct stat st;
        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                continue; /* removed since we listed it */
            rc = lc_err_errno(w->err, LC_EIO, errno, "reading %s/%s%s%s", w->root,
                              lc_buf_cstr(&w->path), base ? "/" : "", name);
            break;
        }
        if (base)
            lc_buf_putc(&w->path, '/');
        lc_buf_puts(&w->path, name);
        lc_walk_entry e = {w->path.data, w->path.data + w->path.len - strlen(name), &st, depth};
        int r = w->fn(w->ctx, &e);
        if (r < 0) {
            rc = r;
        } else if (r != LC_WALK_SKIP && S_ISDIR(st.st_mode)) {
            int cfd = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (cfd < 0 && errno == EMFILE)
                rc = lc_err_set(w->err, LC_EIO,
                                "opening directory %s/%s: the tree is nested deeper than the "
                                "open file limit allows (%d levels)",
                                w->root, lc_buf_cstr(&w->path), depth + 1);
            else if (cfd < 0)
                rc = lc_err_errno(w->err, LC_EIO, errno, "opening directory %s/%s", w->root,
                                  lc_buf_cstr(&w->path));
            else
                rc = walk_dir(w, cfd, depth + 1);
        }
        w->path.len = base;
        w->path.data[base] = '\0';
    }
    lc_strv_free(&names);
    closedir(d);
    return rc;
}

int lc_walk(const char *root, lc_walk_fn fn, void *ctx, lc_err *err)
{
    int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        int e = errno;
        return lc_err_errno(err, e == ENOENT ? LC_ENOTFOUND : LC_EIO, e, "walking %s", root);
    }
    walker w = {fn, ctx, err, root, LC_BUF_INIT};
    lc_buf_append(&w.path, "", 0);
    int rc = walk_dir(&w, dfd, 0);
    lc_buf_free(&w.path);
    return rc;
}
