/* The change set's life: libgit2 setup, opening a session's state, the
 * read-only views the review draws, the selection and the reports. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "diff/diff_int.h"

int lc_diff_global_init(lc_err *err)
{
    if (git_libgit2_init() < 0) {
        const git_error *ge = git_error_last();
        return lc_err_set(err, LC_EIO, "initializing libgit2: %s", ge ? ge->message : "failed");
    }
    return LC_OK;
}

void lc_diff_global_shutdown(void)
{
    git_libgit2_shutdown();
}

int lc_diff_open(const char *orig_root, const char *shadow_root, const char *state_dir,
                 const lc_diff_opts *opts, lc_diff **out, lc_err *err)
{
    *out = NULL;
    struct stat st;
    if (stat(orig_root, &st) != 0 || !S_ISDIR(st.st_mode))
        return lc_err_set(err, LC_ENOTFOUND, "opening the change set: %s is not a directory",
                          orig_root);
    if (stat(shadow_root, &st) != 0 || !S_ISDIR(st.st_mode))
        return lc_err_set(err, LC_ENOTFOUND,
                          "opening the change set: the shadow copy %s is not a directory", shadow_root);
    lc_diff *d = lc_xcalloc(1, sizeof *d);
    lc_diff_opts dflt = LC_DIFF_OPTS_INIT;
    d->opts = opts ? *opts : dflt;
    d->orig = lc_xstrdup(orig_root);
    d->shadow = lc_xstrdup(shadow_root);
    d->dir = lc_path_join(state_dir, "diff");
    d->objdir = lc_path_join(d->dir, "objects");
    d->jdir = lc_path_join(d->dir, "journal");
    int rc = lc_mkdir_p(d->objdir, 0700, err);
    if (rc == LC_OK)
        rc = lc_mkdir_p(d->jdir, 0700, err);
    char *snap = lc_path_join(d->dir, "snapshot");
    if (rc == LC_OK && access(snap, F_OK) != 0)
        rc = lc_diff_snapshot(orig_root, state_dir, err);
    free(snap);
    if (rc == LC_OK)
        rc = dfi_snapshot_load(d, err);
    if (rc == LC_OK)
        rc = dfi_bases_load(d, err);
    if (rc == LC_OK)
        rc = dfi_journal_load(d, err);
    if (rc != LC_OK) {
        lc_err_prefix(err, "opening the change set in %s", state_dir);
        lc_diff_free(d);
        return rc;
    }
    *out = d;
    return LC_OK;
}

void lc_diff_free(lc_diff *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nfiles; i++)
        dfi_file_free(&d->files[i]);
    free(d->files);
    for (size_t i = 0; i < d->nsnap; i++)
        free(d->snap[i].path);
    free(d->snap);
    for (size_t i = 0; i < d->nbases; i++)
        free(d->bases[i].path);
    free(d->bases);
    free(d->undo);
    lc_diff_report_free(&d->recovered);
    free(d->unlogged);
    free(d->undone);
    free(d->redo);
    free(d->orig);
    free(d->shadow);
    free(d->dir);
    free(d->objdir);
    free(d->jdir);
    free(d);
}

size_t lc_diff_count(const lc_diff *d)
{
    return d ? d->nfiles : 0;
}

const lc_diff_file *lc_diff_file_at(const lc_diff *d, size_t i)
{
    return d && i < d->nfiles ? &d->files[i].pub : NULL;
}

void lc_diff_item_id(const lc_diff *d, size_t file, size_t hunk, char id[41])
{
    id[0] = '\0';
    if (!d || file >= d->nfiles)
        return;
    const dfile *f = &d->files[file];
    lc_buf b = LC_BUF_INIT;
    lc_buf_printf(&b, "%s%c", f->path, '\0');
    if (hunk == LC_DIFF_WHOLE || f->pub.whole_only) {
        char nid[41];
        if (f->unloaded)
            memcpy(nid, f->new_oid, sizeof nid);
        else
            dfi_oid_of(f->new.data, f->new.len, nid);
        char oid[41] = "";
        if (!f->unloaded && f->base.kind == DK_LOST)
            dfi_oid_of(f->old.data, f->old.len, oid); /* the old side is the original as it is now */
        lc_buf_printf(&b, "whole %c %o %s %s %c %o %s %llu", f->base.kind, f->base.mode, f->base.oid, oid,
                      f->new_kind, f->new_mode_full, nid, (unsigned long long)f->pub.new_size);
    } else if (hunk < f->pub.nhunks) {
        const lc_diff_hunk *h = &f->hunks[hunk];
        lc_buf_printf(&b, "hunk %d %d %o%c", h->old_lines, h->new_lines, f->new_mode_full, '\0');
        for (size_t i = 0; i < h->nlines; i++) {
            const lc_diff_line *l = &h->lines[i];
            lc_buf_printf(&b, "%c%zu%c", l->origin, l->len, l->no_newline ? '$' : ':');
            lc_buf_append(&b, l->text, l->len);
        }
    } else {
        lc_buf_free(&b);
        return;
    }
    dfi_oid_of(b.data, b.len, id);
    lc_buf_free(&b);
}

char *lc_diff_content_ids(const lc_diff *d)
{
    size_t n = d ? lc_diff_count(d) : 0;
    if (!n)
        return NULL;
    lc_buf b = LC_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        const lc_diff_file *f = lc_diff_file_at(d, i);
        char id[41];
        lc_diff_item_id(d, i, LC_DIFF_WHOLE, id);
        lc_buf_printf(&b, "%s\t%s\n", f ? f->path : "?", id);
    }
    return lc_buf_detach(&b);
}

const char *lc_diff_outcome_name(lc_diff_outcome o)
{
    static const char *const names[] = {"applied",  "merged", "unchanged", "conflict",
                                        "refused",  "failed", "reverted",  "restored"};
    return (unsigned)o < sizeof names / sizeof *names ? names[o] : "?";
}

void dfi_report_add(lc_diff_report *rep, const char *path, lc_diff_outcome o, const char *fmt, ...)
{
    if (!rep)
        return;
    if (rep->n == rep->cap) {
        rep->cap = rep->cap ? rep->cap * 2 : 8;
        rep->v = lc_xrealloc(rep->v, rep->cap * sizeof *rep->v);
    }
    lc_buf b = LC_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    lc_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    rep->v[rep->n].path = lc_xstrdup(path);
    rep->v[rep->n].outcome = o;
    rep->v[rep->n].message = lc_buf_detach(&b);
    rep->n++;
}

void lc_diff_report_free(lc_diff_report *rep)
{
    if (!rep)
        return;
    for (size_t i = 0; i < rep->n; i++) {
        free(rep->v[i].path);
        free(rep->v[i].message);
    }
    free(rep->v);
    memset(rep, 0, sizeof *rep);
}
