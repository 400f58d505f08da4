/* File access below a root that nothing can redirect: every directory is
 * opened relative to its parent with O_NOFOLLOW, so a symlink planted anywhere
 * on the path (by the agent in the shadow, or already in the original) stops
 * the operation instead of sending a write to /etc or a parent directory.
 * Writes go to a temporary file in the same directory, are flushed (one file,
 * or a whole batch at once) and renamed over the target, so a full disk or a
 * permission error leaves the old file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff/diff_int.h"

static const char *kind_name(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a fifo";
    if (S_ISCHR(m) || S_ISBLK(m))
        return "a device";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISLNK(m))
        return "a symlink";
    if (S_ISREG(m))
        return "a file";
    return "a special file";
}

/* Words an errno for someone whose file was not written. */
static const char *why(int e)
{
    switch (e) {
    case ENOSPC:
    case EDQUOT:
        return "the disk is full (or over quota); free some space and apply again";
    case EACCES:
    case EPERM:
        return "permission denied; check the file's and its directory's permissions";
    case EROFS:
        return "the file system is read-only";
    default:
        return strerror(e);
    }
}

int dfi_open_parent(int rootfd, const char *rel, bool create, unsigned dirmode, lc_strv *created,
                    const char **leaf, lc_err *err)
{
    if (!dfi_path_plain(rel))
        return lc_err_set(err, LC_ESECURITY,
                          "refused: \"%s\" is not a plain relative path inside the directory", rel);
    int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return lc_err_errno(err, LC_EIO, errno, "opening the directory");
    const char *p = rel;
    for (;;) {
        const char *slash = strchr(p, '/');
        if (!slash)
            break;
        char *comp = lc_xstrndup(p, (size_t)(slash - p));
        int nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0 && errno == ENOENT && create) {
            if (mkdirat(fd, comp, dirmode) == 0 || errno == EEXIST) {
                if (created)
                    lc_strv_push_owned(created, lc_xstrndup(rel, (size_t)(slash - rel)));
                nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                struct stat pst;
                if (nfd >= 0 && fstat(fd, &pst) == 0 && pst.st_uid != geteuid() &&
                    fchown(nfd, pst.st_uid, pst.st_gid) != 0) {
                    /* best effort, as for files */
                }
            }
        }
        if (nfd < 0) {
            int e = errno;
            struct stat st;
            int rc;
            char *dir = lc_xstrndup(rel, (size_t)(slash - rel));
            if (e == ENOENT)
                rc = lc_err_set(err, LC_ENOTFOUND, "%s does not exist", dir);
            else if ((e == ELOOP || e == ENOTDIR) && fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                     S_ISREG(st.st_mode))
                rc = lc_err_set(err, LC_ESECURITY,
                                "refused: %s is a file where a directory is needed (if the agent "
                                "deleted it, apply that deletion first, then apply again)",
                                dir);
            else if ((e == ELOOP || e == ENOTDIR) && fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0)
                rc = lc_err_set(err, LC_ESECURITY,
                                "refused: %s is %s, not a directory; litecode never follows symlinks "
                                "or writes through special files",
                                dir, kind_name(st.st_mode));
            else
                rc = lc_err_set(err, LC_EIO, "opening %s: %s", dir, why(e));
            free(dir);
            free(comp);
            close(fd);
            return rc;
        }
        free(comp);
        close(fd);
        fd = nfd;
        p = slash + 1;
    }
    *leaf = p;
    return fd;
}

static int read_fd_all(int fd, size_t max, lc_buf *out)
{
    for (;;) {
        lc_buf_reserve(out, 65536);
        ssize_t n = read(fd, out->data + out->len, out->cap - out->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        out->len += (size_t)n;
        if (out->len > max)
            return -EFBIG;
    }
    out->data[out->len] = '\0';
    return 0;
}

int dfi_read(int rootfd, const char *rel, size_t max, char *kind, struct stat *stp, lc_buf *out,
             lc_err *err)
{
    const char *leaf;
    struct stat st;
    *kind = DK_ABSENT;
    int dfd = dfi_open_parent(rootfd, rel, false, 0, NULL, &leaf, err);
    if (dfd == LC_ENOTFOUND) {
        lc_err_clear(err);
        return LC_OK;
    }
    if (dfd < 0)
        return dfd;
    int rc = LC_OK;
    if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT)
            rc = lc_err_set(err, LC_EIO, "reading %s: %s", rel, why(errno));
    } else if (S_ISLNK(st.st_mode)) {
        char target[4097];
        ssize_t n = readlinkat(dfd, leaf, target, sizeof target - 1);
        if (n < 0) {
            rc = lc_err_set(err, LC_EIO, "reading the symlink %s: %s", rel, why(errno));
        } else {
            *kind = DK_LINK;
            lc_buf_append(out, target, (size_t)n);
        }
    } else if (!S_ISREG(st.st_mode)) {
        rc = lc_err_set(err, LC_ESECURITY, "refused: %s is %s; litecode only touches regular files "
                        "and symlinks", rel, kind_name(st.st_mode));
    } else if ((uint64_t)st.st_size > max) {
        rc = lc_err_set(err, LC_EINVAL, "%s is larger than the limit of %zu bytes", rel, max);
    } else {
        int fd = openat(dfd, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct stat st2;
        if (fd < 0) {
            rc = lc_err_set(err, LC_EIO, "reading %s: %s", rel, why(errno));
        } else if (fstat(fd, &st2) != 0 || !S_ISREG(st2.st_mode)) {
            rc = lc_err_set(err, LC_ESECURITY, "refused: %s changed into a special file", rel);
        } else {
            size_t start = out->len;
            int r = read_fd_all(fd, max + start, out);
            if (r != 0) {
                out->len = start;
                rc = lc_err_set(err, LC_EIO, "reading %s: %s", rel,
                                r == -EFBIG ? "it grew past the size limit" : why(-r));
            } else {
                *kind = DK_FILE;
                st = st2;
            }
        }
        if (fd >= 0)
            close(fd);
    }
    if (stp)
        *stp = st;
    close(dfd);
    return rc;
}

/* Whether the leaf still holds the state planned against (kind and content). */
static bool leaf_is(int dfd, const char *leaf, const dstate *expect)
{
    struct stat st;
    if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT && expect->kind == DK_ABSENT;
    lc_buf b = LC_BUF_INIT;
    bool ok = false;
    if (S_ISLNK(st.st_mode) && expect->kind == DK_LINK) {
        char target[4097];
        ssize_t n = readlinkat(dfd, leaf, target, sizeof target - 1);
        if (n >= 0)
            lc_buf_append(&b, target, (size_t)n);
        ok = n >= 0;
    } else if (S_ISREG(st.st_mode) && expect->kind == DK_FILE) {
        int fd = openat(dfd, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        ok = fd >= 0 && read_fd_all(fd, (size_t)st.st_size + 65536, &b) == 0;
        if (fd >= 0)
            close(fd);
    }
    if (ok) {
        char oid[41];
        dfi_oid_of(b.data, b.len, oid);
        ok = strcmp(oid, expect->oid) == 0;
    }
    lc_buf_free(&b);
    return ok;
}

static const char changed_fmt[] = "%s changed while it was being written (someone is editing it); "
                                  "nothing was written, look at it and apply again";

int dfi_stage(int rootfd, const char *rel, char kind, const void *data, size_t len, unsigned mode,
              bool flush, bool keep, lc_strv *created, dstaged *out, lc_err *err)
{
    const char *leaf;
    out->tmp[0] = '\0';
    out->kind = kind;
    out->fd = out->dfd = -1;
    const char *bad = dfi_path_why(rel, kind == DK_LINK);
    if (bad)
        return lc_err_set(err, LC_ESECURITY, "refused: %s; litecode never writes such a path", bad);
    int dfd = dfi_open_parent(rootfd, rel, kind != DK_ABSENT, 0777, created, &leaf, err);
    if (dfd == LC_ENOTFOUND && kind == DK_ABSENT) {
        lc_err_clear(err);
        return LC_OK;
    }
    if (dfd < 0)
        return dfd;
    struct stat st;
    int rc = LC_OK;
    bool existed = fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (existed && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
        close(dfd);
        return lc_err_set(err, LC_ESECURITY,
                          "refused: %s is %s; litecode only replaces regular files and symlinks", rel,
                          kind_name(st.st_mode));
    }
    if (kind == DK_ABSENT) { /* a deletion stages nothing: dfi_commit unlinks */
        if (keep)
            out->dfd = dfd;
        else
            close(dfd);
        return LC_OK;
    }
    char tmp[sizeof out->tmp];
    int fd = -1;
    for (int attempt = 0; attempt < 50; attempt++) {
        char rnd[13];
        lc_random_hex(rnd, 6);
        snprintf(tmp, sizeof tmp, ".lc-apply-%s", rnd);
        if (kind == DK_LINK) {
            char *target = lc_xstrndup(data, len);
            int r = symlinkat(target, dfd, tmp);
            free(target);
            if (r == 0) {
                fd = 0;
                break;
            }
        } else {
            fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd >= 0)
                break;
        }
        if (errno != EEXIST)
            break;
    }
    if (fd < 0) {
        rc = lc_err_set(err, LC_EIO, "writing %s: %s", rel, why(errno));
        close(dfd);
        return rc;
    }
    /* Keep the owner when we can (running as root: the shadow belongs to the sandbox user); a
     * new file gets its directory's owner. Best effort: a user cannot give files away. */
    if (!existed && fstat(dfd, &st) != 0)
        st.st_uid = geteuid(), st.st_gid = getegid();
    if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
        fchownat(dfd, tmp, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
        /* not permitted: the file stays ours */
    }
    if (kind == DK_FILE) {
        int e = 0;
        if (lc_fd_write_all(fd, data, len) != LC_OK)
            e = errno ? errno : EIO;
        else if (fchmod(fd, mode & 0777) != 0)
            e = errno;
        else if (flush && fsync(fd) != 0)
            e = errno;
        if (keep && !e)
            out->fd = fd; /* closed (and its error seen) by the commit */
        else if (close(fd) != 0 && !e)
            e = errno;
        if (e) {
            if (out->fd >= 0)
                close(out->fd);
            out->fd = -1;
            unlinkat(dfd, tmp, 0);
            rc = lc_err_set(err, LC_EIO, "writing %s (left as it was): %s", rel, why(e));
            close(dfd);
            return rc;
        }
    }
    memcpy(out->tmp, tmp, sizeof tmp);
    if (keep)
        out->dfd = dfd;
    else
        close(dfd);
    return LC_OK;
}

/* The parent of rel for the second half of a staged write: the kept one
 * (borrowed: *owned false) or opened again. */
static int staged_parent(int rootfd, const char *rel, const dstaged *s, const char **leaf, bool *owned,
                         lc_err *err)
{
    if (s->dfd >= 0) {
        const char *slash = strrchr(rel, '/');
        *leaf = slash ? slash + 1 : rel;
        *owned = false;
        return s->dfd;
    }
    *owned = true;
    return dfi_open_parent(rootfd, rel, false, 0, NULL, leaf, err);
}

static void close_file(dstaged *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

void dfi_staged_release(dstaged *s)
{
    close_file(s);
    if (s->dfd >= 0)
        close(s->dfd);
    s->dfd = -1;
}

void dfi_unstage(int rootfd, const char *rel, dstaged *s)
{
    close_file(s);
    if (!s->tmp[0])
        return;
    const char *leaf;
    bool owned;
    lc_err e = {0};
    int dfd = staged_parent(rootfd, rel, s, &leaf, &owned, &e);
    if (dfd >= 0) {
        unlinkat(dfd, s->tmp, 0);
        if (owned)
            close(dfd);
    }
    s->tmp[0] = '\0';
}

static int commit_at(int rootfd, const char *rel, dstaged *s, const dstate *expect, bool sync_dir,
                     lc_err *err)
{
    const char *leaf;
    bool owned;
    int closed = s->fd >= 0 ? close(s->fd) : 0; /* a kept file: its write's last error shows here */
    int cerr = errno;
    s->fd = -1;
    int dfd = staged_parent(rootfd, rel, s, &leaf, &owned, err);
    if (dfd == LC_ENOTFOUND && s->kind == DK_ABSENT) {
        lc_err_clear(err);
        return LC_OK;
    }
    if (dfd < 0)
        return dfd;
    int rc = LC_OK;
    if (s->kind == DK_ABSENT) {
        if (expect && !leaf_is(dfd, leaf, expect))
            rc = lc_err_set(err, LC_ECONFLICT, changed_fmt, rel);
        else if (unlinkat(dfd, leaf, 0) != 0 && errno != ENOENT)
            rc = lc_err_set(err, LC_EIO, "deleting %s: %s", rel, why(errno));
        else if (sync_dir)
            fsync(dfd);
        if (owned)
            close(dfd);
        return rc;
    }
    /* Last look before the rename: an edit made since the plan is never replaced. */
    if (closed != 0) {
        unlinkat(dfd, s->tmp, 0);
        rc = lc_err_set(err, LC_EIO, "writing %s (left as it was): %s", rel, why(cerr));
    } else if (expect && !leaf_is(dfd, leaf, expect)) {
        unlinkat(dfd, s->tmp, 0);
        rc = lc_err_set(err, LC_ECONFLICT, changed_fmt, rel);
    } else if (renameat(dfd, s->tmp, dfd, leaf) != 0) {
        int e = errno;
        unlinkat(dfd, s->tmp, 0);
        rc = lc_err_set(err, LC_EIO, "replacing %s (left as it was): %s", rel, why(e));
    } else if (sync_dir) {
        fsync(dfd);
    }
    s->tmp[0] = '\0';
    if (owned)
        close(dfd);
    return rc;
}

int dfi_commit(int rootfd, const char *rel, dstaged *s, const dstate *expect, lc_err *err)
{
    return commit_at(rootfd, rel, s, expect, false, err);
}

int dfi_write(int rootfd, const char *rel, char kind, const void *data, size_t len, unsigned mode,
              const dstate *expect, lc_strv *created, lc_err *err)
{
    dstaged s;
    int rc = dfi_stage(rootfd, rel, kind, data, len, mode, true, false, created, &s, err);
    if (rc != LC_OK)
        return rc;
    return commit_at(rootfd, rel, &s, expect, true, err);
}

static int flush_fd(int fd, const char *what, bool wait, lc_err *err)
{
    int r = wait ? fdatasync(fd) : sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    if (r != 0 && !(!wait && (errno == ENOSYS || errno == EINVAL || errno == ESPIPE)))
        return lc_err_set(err, LC_EIO, "flushing %s to disk: %s", what, why(errno));
    return LC_OK;
}

int dfi_flush_path(const char *path, bool wait, lc_err *err)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return lc_err_set(err, LC_EIO, "flushing %s to disk: %s", path, why(errno));
    int rc = flush_fd(fd, path, wait, err);
    close(fd);
    return rc;
}

int dfi_flush_staged(int rootfd, const char *rel, const dstaged *s, bool wait, lc_err *err)
{
    if (!s->tmp[0] || s->kind != DK_FILE) /* a symlink is its inode: the directory's fsync carries it */
        return LC_OK;
    if (s->fd >= 0)
        return flush_fd(s->fd, rel, wait, err);
    const char *leaf;
    bool owned;
    int dfd = staged_parent(rootfd, rel, s, &leaf, &owned, err);
    if (dfd < 0)
        return dfd;
    int fd = openat(dfd, s->tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int rc = fd < 0 ? lc_err_set(err, LC_EIO, "flushing %s to disk: %s", rel, why(errno))
                    : flush_fd(fd, rel, wait, err);
    if (fd >= 0)
        close(fd);
    if (owned)
        close(dfd);
    return rc;
}

void dfi_sync_parents(int rootfd, const char *const *rels, const dstaged *const *staged, size_t n)
{
    lc_strv seen = LC_STRV_INIT;
    for (size_t i = 0; i < n; i++) {
        const char *slash = strrchr(rels[i], '/');
        char *dir = slash ? lc_xstrndup(rels[i], (size_t)(slash - rels[i])) : lc_xstrdup("");
        if (lc_strv_contains(&seen, dir)) {
            free(dir);
            continue;
        }
        lc_strv_push_owned(&seen, dir);
        if (staged && staged[i] && staged[i]->dfd >= 0) {
            fsync(staged[i]->dfd);
            continue;
        }
        const char *leaf;
        lc_err e = {0};
        int dfd = dfi_open_parent(rootfd, rels[i], false, 0, NULL, &leaf, &e);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    lc_strv_free(&seen);
}

int dfi_state_write(lc_diff *d, const char *path, const void *data, size_t len, lc_err *err)
{
    if (!d->stage)
        return lc_file_write_atomic(path, data, len, 0600, err);
    char *tmp = NULL;
    int fd = -1;
    for (int attempt = 0; attempt < 50 && fd < 0; attempt++) {
        char rnd[13];
        lc_random_hex(rnd, 6);
        free(tmp);
        /* A leading dot, as lc_file_write_atomic's: the journal's readers skip it. */
        const char *slash = strrchr(path, '/');
        tmp = slash ? lc_xasprintf("%.*s/.%s.lc-%s", (int)(slash - path), path, slash + 1, rnd)
                    : lc_xasprintf(".%s.lc-%s", path, rnd);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    int rc = LC_OK;
    if (fd < 0)
        rc = lc_err_set(err, LC_EIO, "writing %s: %s", path, why(errno));
    else if (lc_fd_write_all(fd, data, len) != LC_OK)
        rc = lc_err_set(err, LC_EIO, "writing %s: %s", path, why(errno ? errno : EIO));
    if (fd >= 0 && close(fd) != 0 && rc == LC_OK)
        rc = lc_err_set(err, LC_EIO, "writing %s: %s", path, why(errno));
    if (rc != LC_OK) {
        if (fd >= 0)
            unlink(tmp);
        free(tmp);
        return rc;
    }
    lc_strv_push_owned(d->stage, tmp);
    lc_strv_push(d->stage, path);
    return LC_OK;
}

int dfi_state_commit(lc_strv *stage, lc_err *err)
{
    int rc = LC_OK;
    for (size_t i = 0; i + 1 < stage->n; i += 2)
        if (rename(stage->v[i], stage->v[i + 1]) != 0) {
            if (rc == LC_OK)
                rc = lc_err_set(err, LC_EIO, "writing %s: %s", stage->v[i + 1], why(errno));
            unlink(stage->v[i]);
        }
    lc_strv_clear(stage);
    return rc;
}

void dfi_state_abandon(lc_strv *stage)
{
    for (size_t i = 0; i + 1 < stage->n; i += 2)
        unlink(stage->v[i]);
    lc_strv_clear(stage);
}

int dfi_lookup(int rootfd, const char *rel, char *kind, lc_buf *target, lc_err *err)
{
    const char *leaf;
    *kind = DK_ABSENT;
    int dfd = dfi_open_parent(rootfd, rel, false, 0, NULL, &leaf, err);
    if (dfd == LC_ENOTFOUND) {
        lc_err_clear(err);
        return LC_OK;
    }
    if (dfd < 0)
        return dfd;
    struct stat st;
    int rc = LC_OK;
    if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT)
            rc = lc_err_set(err, LC_EIO, "looking at %s: %s", rel, why(errno));
    } else if (S_ISLNK(st.st_mode)) {
        char t[4097];
        ssize_t n = readlinkat(dfd, leaf, t, sizeof t - 1);
        if (n < 0) {
            rc = lc_err_set(err, LC_EIO, "reading the symlink %s: %s", rel, why(errno));
        } else {
            *kind = DK_LINK;
            lc_buf_append(target, t, (size_t)n);
        }
    } else {
        *kind = S_ISDIR(st.st_mode) ? 'd' : DK_FILE;
    }
    close(dfd);
    return rc;
}
