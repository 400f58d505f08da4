/* Change detection: walk the shadow, read only the paths whose metadata moved
 * (or that already have a base), and keep the base of every file found changed
 * for the first time — taken from the original, and only while the original
 * still has the metadata the snapshot recorded (otherwise the user changed it:
 * the base is marked lost and apply refuses that file rather than guess). */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff/diff_int.h"

typedef struct cand {
    char *path;
    char kind; /* in the shadow: DK_FILE, DK_LINK or DK_ABSENT */
    struct stat st;
} cand;

typedef struct scan {
    lc_diff *d;
    bool *snap_seen, *base_seen;
    cand *v;
    size_t n, cap;
    lc_strv hidden; /* shadow directories we could not read: nothing below them is "deleted" */
} scan;

static bool is_hidden(const scan *s, const char *path)
{
    for (size_t i = 0; i < s->hidden.n; i++) {
        size_t n = strlen(s->hidden.v[i]);
        if (strncmp(path, s->hidden.v[i], n) == 0 && path[n] == '/')
            return true;
    }
    return false;
}

static void cand_push(scan *s, const char *path, char kind, const struct stat *st)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = lc_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    cand *c = &s->v[s->n++];
    memset(c, 0, sizeof *c);
    c->path = lc_xstrdup(path);
    c->kind = kind;
    if (st)
        c->st = *st;
}

static int scan_cb(void *ctx, const lc_walk_entry *e)
{
    scan *s = ctx;
    if (strcmp(e->name, ".git") == 0)
        return LC_WALK_SKIP;
    mode_t m = e->st->st_mode;
    if (S_ISDIR(m)) {
        if (!dfi_dir_unreadable(s->d->shadow, e))
            return 0;
        lc_strv_push(&s->hidden, e->path);
        return LC_WALK_SKIP;
    }
    if (!S_ISREG(m) && !S_ISLNK(m))
        return 0; /* special files are never applied */
    char kind = S_ISREG(m) ? DK_FILE : DK_LINK;
    const snap_ent *se = dfi_snap_find(s->d, e->path);
    const dstate *b = dfi_base_find(s->d, e->path);
    if (se)
        s->snap_seen[se - s->d->snap] = true;
    if (b)
        s->base_seen[(const base_ent *)((const char *)b - offsetof(base_ent, st)) - s->d->bases] = true;
    if (!b && se && se->type == kind && se->size == (uint64_t)e->st->st_size &&
        se->mtime_s == e->st->st_mtim.tv_sec && se->mtime_ns == e->st->st_mtim.tv_nsec &&
        (se->mode & 0777) == (m & 0777))
        return 0;
    cand_push(s, e->path, kind, e->st);
    return 0;
}

static bool snap_matches(const snap_ent *se, char kind, const struct stat *st)
{
    return se->type == kind && se->size == (uint64_t)st->st_size && se->ino == (uint64_t)st->st_ino &&
           se->mtime_s == st->st_mtim.tv_sec && se->mtime_ns == st->st_mtim.tv_nsec &&
           se->ctime_s == st->st_ctim.tv_sec && se->ctime_ns == st->st_ctim.tv_nsec &&
           (se->mode & 07777) == (st->st_mode & 07777);
}

static int origfd_open(const lc_diff *d, lc_err *err)
{
    int fd = open(d->orig, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return lc_err_errno(err, LC_EIO, errno, "opening %s", d->orig);
    return fd;
}

/* With a lost base the old side shows the original as it is now. */
static void read_current(int ofd, size_t max, dfile *f, char *kind)
{
    struct stat st;
    lc_err e = {0};
    if (dfi_read(ofd, f->path, max, kind, &st, &f->old, &e) != LC_OK) {
        *kind = DK_ABSENT;
        lc_buf_reset(&f->old);
    }
    f->base.mode = *kind == DK_ABSENT ? 0 : (unsigned)(st.st_mode & 0777);
}

static void fit(lc_buf *b)
{
    if (b->data && b->cap > b->len + 1) {
        b->data = lc_xrealloc(b->data, b->len + 1);
        b->cap = b->len + 1;
    }
}

/* Works out one candidate; appends a dfile to d->files when it changed. */
static int examine(lc_diff *d, int ofd, int sfd, cand *c, bool *dirty, lc_err *err)
{
    dfile f = {0};
    f.path = c->path;
    c->path = NULL;
    f.new_kind = c->kind;
    f.sst = c->st;
    f.new_mode_full = c->kind == DK_ABSENT ? 0 : (unsigned)(c->st.st_mode & 0777);
    const dstate *b = dfi_base_find(d, f.path);
    const snap_ent *se = dfi_snap_find(d, f.path);
    bool fresh = false; /* base captured now; kept only if the file did change */
    char lost_kind = DK_ABSENT; /* with a lost base: the original's kind now */
    uint64_t old_big = 0;       /* an original too large to read: its size */
    int rc = LC_OK;
    size_t max = d->opts.max_file_bytes;

    /* new side */
    if (c->kind != DK_ABSENT && (uint64_t)c->st.st_size > max) {
        f.pub.too_large = f.pub.large = true;
    } else if (c->kind != DK_ABSENT) {
        char k;
        lc_err e0 = {0};
        if (dfi_read(sfd, f.path, max, &k, NULL, &f.new, &e0) != LC_OK) {
            /* The agent turned it into something unreadable or special since the walk: it is
             * not offered (nothing of it can be applied); the next refresh looks again. */
            dfi_file_free(&f);
            return LC_OK;
        }
        f.new_kind = k; /* may differ from the walk's if it changed under us */
    }
    /* old side */
    bool damaged = false; /* a saved base that is missing or does not match its id */
    if (rc == LC_OK && b && (b->kind == DK_FILE || b->kind == DK_LINK)) {
        lc_err e1 = {0};
        damaged = dfi_obj_get(d, b->oid, &f.old, &e1) != LC_OK;
        if (damaged)
            lc_buf_reset(&f.old);
    }
    if (rc == LC_OK && b && !damaged) {
        f.base = *b;
        if (b->kind == DK_LOST)
            read_current(ofd, max, &f, &lost_kind);
    } else if (rc == LC_OK && se && (se->type == DK_FILE || se->type == DK_LINK)) {
        /* First change seen (or the saved base was damaged): the original is the base while
         * it is still exactly as the snapshot recorded it. */
        char k;
        struct stat st = {0};
        lc_err e2 = {0};
        int r = dfi_read(ofd, f.path, max, &k, &st, &f.old, &e2);
        fresh = true;
        if (r == LC_OK && k != DK_ABSENT && snap_matches(se, k, &st)) {
            f.base.kind = k;
            f.base.mode = (unsigned)(st.st_mode & 0777);
        } else if (r != LC_OK && S_ISREG(st.st_mode) && (uint64_t)st.st_size > max &&
                   snap_matches(se, DK_FILE, &st)) {
            /* Too large to read, and still the snapshot's: a modified large file (never
             * applied), not one "you changed too". Its bytes are not kept, so no base is
             * saved: the next look asks the snapshot again. */
            f.base.kind = DK_FILE;
            f.base.mode = (unsigned)(st.st_mode & 0777);
            f.pub.too_large = f.pub.large = true;
            old_big = (uint64_t)st.st_size;
            fresh = false;
        } else {
            /* The user changed (or removed) it since the snapshot: its old bytes are gone. */
            lc_buf_reset(&f.old);
            f.base.kind = DK_LOST;
            read_current(ofd, max, &f, &lost_kind);
        }
    } else if (rc == LC_OK && damaged) {
        f.base.kind = DK_LOST;
        read_current(ofd, max, &f, &lost_kind);
        fresh = true;
    } else if (rc == LC_OK) {
        f.base.kind = DK_ABSENT;
    }
    if (rc != LC_OK) {
        dfi_file_free(&f);
        return rc;
    }
    char old_kind = f.base.kind;
    if (old_kind == DK_LOST) /* what the old side shows: the original as it is now */
        old_kind = lost_kind;
    bool same = old_kind == f.new_kind && !f.pub.too_large && f.old.len == f.new.len &&
                (f.old.len == 0 || memcmp(f.old.data, f.new.data, f.old.len) == 0) &&
                (old_kind == DK_ABSENT || old_kind == DK_LINK || f.base.mode == f.new_mode_full);
    if (same || (old_kind == DK_ABSENT && f.new_kind == DK_ABSENT)) {
        dfi_file_free(&f);
        return LC_OK;
    }
    if (fresh) {
        if (f.base.kind != DK_LOST && (rc = dfi_obj_put(d, f.old.data, f.old.len, f.base.oid, err)))
            goto fail;
        dfi_base_set(d, f.path, &f.base);
        *dirty = true;
    }
    f.pub.status = old_kind == DK_ABSENT      ? LC_DIFF_ADDED
                   : f.new_kind == DK_ABSENT  ? LC_DIFF_DELETED
                   : old_kind != f.new_kind   ? LC_DIFF_TYPECHANGE
                                              : LC_DIFF_MODIFIED;
    f.pub.base_lost = f.base.kind == DK_LOST;
    f.pub.reserved = dfi_path_why(f.path, f.new_kind == DK_LINK || old_kind == DK_LINK) != NULL;
    f.pub.old_mode = old_kind == DK_ABSENT ? 0 : old_kind == DK_LINK ? 0777 : f.base.mode;
    f.pub.new_mode = f.new_kind == DK_ABSENT ? 0 : f.new_kind == DK_LINK ? 0777 : f.new_mode_full;
    f.pub.old_size = old_big ? old_big : f.old.len;
    f.pub.new_size = f.pub.too_large ? (uint64_t)c->st.st_size : f.new.len;
    /* Reads reserve 64 KiB at a time: 10,000 small changed files would keep gigabytes reserved.
     * Before the hunks point into the bytes. */
    fit(&f.old);
    fit(&f.new);
    if ((rc = dfi_file_diff(d, &f, err)) != LC_OK)
        goto fail;
    if (f.pub.large && !f.pub.too_large && f.base.kind != DK_LOST) {
        /* Hundreds of megabytes are not kept in memory for a whole-file change: read again on apply. */
        dfi_oid_of(f.new.data, f.new.len, f.new_oid);
        lc_buf_free(&f.old);
        lc_buf_free(&f.new);
        f.unloaded = true;
    }
    d->files = lc_xrealloc(d->files, (d->nfiles + 1) * sizeof *d->files);
    d->files[d->nfiles++] = f;
    return LC_OK;
fail:
    dfi_file_free(&f);
    return rc;
}

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const dfile *)a)->path, ((const dfile *)b)->path);
}

static void files_free(dfile *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dfi_file_free(&v[i]);
    free(v);
}

static void files_clear(lc_diff *d)
{
    files_free(d->files, d->nfiles);
    d->files = NULL;
    d->nfiles = 0;
}

static bool same_stat(const struct stat *a, const struct stat *b)
{
    return a->st_size == b->st_size && a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
           a->st_mode == b->st_mode && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
           a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* The previous refresh's result for a candidate is still right when neither
 * side moved: the shadow file has the same lstat (ctime included, which no
 * write can keep) and the base is the same record. Lost bases are never
 * reused: their old side is the original, which may have changed. */
static bool reuse(lc_diff *d, dfile *prev, size_t nprev, const cand *c)
{
    dfile key = {.path = c->path};
    dfile *p = nprev ? bsearch(&key, prev, nprev, sizeof key, cmp_file) : NULL;
    if (!p || p->base.kind == DK_LOST || p->new_kind != c->kind ||
        (c->kind != DK_ABSENT && !same_stat(&c->st, &p->sst)))
        return false;
    const dstate *b = dfi_base_find(d, c->path);
    if (b ? b->kind != p->base.kind || b->mode != p->base.mode || strcmp(b->oid, p->base.oid) != 0
          : p->base.kind != DK_ABSENT)
        return false;
    dfile f = *p;
    memset(p, 0, sizeof *p);
    p->path = lc_xstrdup(f.path); /* keeps prev sorted for the searches that follow */
    p->base.kind = DK_LOST;       /* and never matches again */
    if (f.edited) { /* an edited apply is for the review it was made in only */
        lc_buf_free(f.edited);
        free(f.edited);
        f.edited = NULL;
    }
    dfi_sel_clear(&f);
    d->files = lc_xrealloc(d->files, (d->nfiles + 1) * sizeof *d->files);
    d->files[d->nfiles++] = f;
    return true;
}

/* The candidates s found, worked out into d->files: each one the previous
 * refresh saw, unchanged, is kept as it was; the others are read again. */
static int settle(lc_diff *d, scan *s, dfile *prev, size_t nprev, int rc, lc_err *err)
{
    int ofd = rc == LC_OK ? origfd_open(d, err) : -1;
    int sfd = ofd >= 0 ? open(d->shadow, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (rc == LC_OK && ofd < 0)
        rc = ofd;
    else if (rc == LC_OK && sfd < 0)
        rc = lc_err_errno(err, LC_EIO, errno, "opening the shadow copy %s", d->shadow);
    bool dirty = false;
    for (size_t i = 0; i < s->n; i++) {
        if (rc == LC_OK && !reuse(d, prev, nprev, &s->v[i]))
            rc = examine(d, ofd, sfd, &s->v[i], &dirty, err);
        free(s->v[i].path);
    }
    files_free(prev, nprev);
    if (dirty) {
        lc_err e2 = {0};
        int r = dfi_bases_save(d, &e2);
        if (rc == LC_OK && r != LC_OK)
            rc = lc_err_set(err, r, "saving the session's bases: %s", e2.msg);
    }
    if (ofd >= 0)
        close(ofd);
    if (sfd >= 0)
        close(sfd);
    free(s->v);
    free(s->snap_seen);
    free(s->base_seen);
    lc_strv_free(&s->hidden);
    if (d->nfiles > 1)
        qsort(d->files, d->nfiles, sizeof *d->files, cmp_file);
    for (size_t i = 0; i < d->nfiles; i++) {
        d->files[i].pub.path = d->files[i].path;
        d->files[i].pub.hunks = d->files[i].hunks;
    }
    if (rc != LC_OK) {
        files_clear(d);
        lc_err_prefix(err, "finding the changes in the shadow copy");
    }
    return rc;
}

int lc_diff_refresh(lc_diff *d, lc_err *err)
{
    dfile *prev = d->files; /* sorted by path (see below) */
    size_t nprev = d->nfiles;
    d->files = NULL;
    d->nfiles = 0;
    scan s = {d, lc_xcalloc(d->nsnap + 1, 1), lc_xcalloc(d->nbases + 1, 1), NULL, 0, 0,
              LC_STRV_INIT};
    int rc = lc_walk(d->shadow, scan_cb, &s, err);
    if (rc == LC_OK) {
        for (size_t i = 0; i < d->nsnap; i++)
            if (!s.snap_seen[i] && (d->snap[i].type == DK_FILE || d->snap[i].type == DK_LINK) &&
                !dfi_base_find(d, d->snap[i].path) && !is_hidden(&s, d->snap[i].path))
                cand_push(&s, d->snap[i].path, DK_ABSENT, NULL);
        size_t nb = d->nbases;
        for (size_t i = 0; i < nb; i++)
            if (!s.base_seen[i] && d->bases[i].st.kind != DK_ABSENT && !is_hidden(&s, d->bases[i].path))
                cand_push(&s, d->bases[i].path, DK_ABSENT, NULL);
    }
    return settle(d, &s, prev, nprev, rc, err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int dfi_refresh_paths(lc_diff *d, const char *const *paths, size_t n, lc_err *err)
{
    dfile *prev = d->files;
    size_t nprev = d->nfiles;
    const char **names = lc_xcalloc(nprev + n + 1, sizeof *names);
    size_t k = 0;
    for (size_t i = 0; i < nprev; i++)
        names[k++] = prev[i].path;
    for (size_t i = 0; i < n; i++)
        names[k++] = paths[i];
    if (k > 1)
        qsort(names, k, sizeof *names, cmp_str);
    d->files = NULL;
    d->nfiles = 0;
    scan s = {d, NULL, NULL, NULL, 0, 0, LC_STRV_INIT};
    int rc = LC_OK;
    int sfd = open(d->shadow, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sfd < 0)
        rc = lc_err_errno(err, LC_EIO, errno, "opening the shadow copy %s", d->shadow);
    for (size_t i = 0; rc == LC_OK && i < k; i++) {
        if (i && strcmp(names[i], names[i - 1]) == 0)
            continue;
        /* As the walk would see it: never through a symlink; a directory or a special file
         * is not a candidate; what is not there is a deletion. */
        const char *leaf;
        lc_err e = {0};
        struct stat st;
        int pfd = dfi_open_parent(sfd, names[i], false, 0, NULL, &leaf, &e);
        if (pfd < 0) {
            if (pfd == LC_ENOTFOUND || pfd == LC_ESECURITY) /* no such directory (a link or file is no directory) */
                cand_push(&s, names[i], DK_ABSENT, NULL);
            continue; /* else unreadable: the walk would say nothing of it either */
        }
        if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                cand_push(&s, names[i], DK_ABSENT, NULL);
        }
        else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
            cand_push(&s, names[i], S_ISREG(st.st_mode) ? DK_FILE : DK_LINK, &st);
        close(pfd);
    }
    if (sfd >= 0)
        close(sfd);
    free(names); /* the paths are copied by cand_push; prev's are freed by settle */
    return settle(d, &s, prev, nprev, rc, err);
}
