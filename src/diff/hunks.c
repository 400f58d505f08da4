/* One changed file's hunk model from libgit2, and the splice that builds the
 * result of applying some of its hunks. The splice takes the chosen hunks'
 * lines from the new file and everything else from the old one, byte for byte,
 * so CRLF and a missing final newline come out exactly as `git apply` gives. */
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "diff/diff_int.h"

/* Offsets of line starts; (*n) lines, off[*n] == len. Caller frees. */
static size_t *line_table(const char *s, size_t len, size_t *n)
{
    size_t cnt = 0;
    for (const char *p = s; p && (p = memchr(p, '\n', len - (size_t)(p - s))); p++)
        cnt++;
    if (len && s[len - 1] != '\n')
        cnt++;
    size_t *off = lc_xmalloc((cnt + 1) * sizeof *off);
    size_t k = 0;
    off[0] = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\n')
            off[++k] = i + 1;
    off[cnt] = len;
    *n = cnt;
    return off;
}

/* git's rule: a NUL in the first 8000 bytes makes a file binary. */
static bool looks_binary(const lc_buf *b)
{
    size_t n = b->len < 8000 ? b->len : 8000;
    return n && memchr(b->data, '\0', n) != NULL;
}

void dfi_file_free(dfile *f)
{
    if (!f)
        return;
    if (f->headers)
        for (size_t i = 0; i < f->pub.nhunks; i++)
            free(f->headers[i]);
    free(f->headers);
    free(f->hunks);
    free(f->lines);
    free(f->hunk_sel);
    free(f->path);
    lc_buf_free(&f->old);
    lc_buf_free(&f->new);
    memset(f, 0, sizeof *f);
}

static void set_line(lc_diff_line *l, const lc_buf *b, const size_t *off, size_t n, int lineno)
{
    if (lineno < 1 || (size_t)lineno > n) {
        l->text = "";
        l->len = 0;
        return;
    }
    size_t s = off[lineno - 1], e = off[lineno];
    l->text = b->data + s;
    l->len = e - s;
    if (l->len && l->text[l->len - 1] == '\n')
        l->len--;
    else
        l->no_newline = true;
}

int dfi_file_diff(lc_diff *d, dfile *f, lc_err *err)
{
    lc_diff_file *p = &f->pub;
    p->path = f->path;
    p->symlink = f->base.kind == DK_LINK || f->new_kind == DK_LINK;
    p->binary = !p->symlink && (looks_binary(&f->old) || looks_binary(&f->new));
    if (!p->large)
        p->large = f->old.len > d->opts.max_diff_bytes || f->new.len > d->opts.max_diff_bytes;
    bool absent_old = f->base.kind == DK_ABSENT;
    bool absent_new = f->new_kind == DK_ABSENT;
    if (p->binary || p->large)
        goto done;

    /* The _INIT macro leaves trailing fields to zero-initialization, which is what libgit2 wants. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
    git_diff_options o = GIT_DIFF_OPTIONS_INIT;
#pragma GCC diagnostic pop
    o.context_lines = (uint32_t)(d->opts.context_lines >= 0 ? d->opts.context_lines : 3);
    o.flags |= GIT_DIFF_FORCE_TEXT;
    git_patch *patch = NULL;
    if (git_patch_from_buffers(&patch, absent_old ? NULL : f->old.data, f->old.len, f->path,
                               absent_new ? NULL : f->new.data, f->new.len, f->path, &o) != 0) {
        const git_error *ge = git_error_last();
        return lc_err_set(err, LC_EIO, "computing the diff of %s: %s", f->path,
                          ge ? ge->message : "libgit2 failed");
    }
    size_t nold, nnew;
    size_t *ooff = line_table(f->old.data, f->old.len, &nold);
    size_t *noff = line_table(f->new.data, f->new.len, &nnew);
    size_t nh = git_patch_num_hunks(patch), total = 0;
    for (size_t h = 0; h < nh; h++)
        total += (size_t)git_patch_num_lines_in_hunk(patch, h);
    f->hunks = lc_xcalloc(nh ? nh : 1, sizeof *f->hunks);
    f->headers = lc_xcalloc(nh ? nh : 1, sizeof *f->headers);
    f->lines = lc_xcalloc(total ? total : 1, sizeof *f->lines);
    f->hunk_sel = lc_xcalloc(nh ? nh : 1, sizeof *f->hunk_sel);
    size_t li = 0;
    for (size_t h = 0; h < nh; h++) {
        const git_diff_hunk *gh;
        size_t nl;
        git_patch_get_hunk(&gh, &nl, patch, h);
        lc_diff_hunk *hk = &f->hunks[h];
        hk->old_start = gh->old_start;
        hk->old_lines = gh->old_lines;
        hk->new_start = gh->new_start;
        hk->new_lines = gh->new_lines;
        size_t hl = gh->header_len;
        while (hl && (gh->header[hl - 1] == '\n' || gh->header[hl - 1] == '\r'))
            hl--;
        f->headers[h] = lc_xstrndup(gh->header, hl);
        hk->header = f->headers[h];
        hk->lines = &f->lines[li];
        for (size_t k = 0; k < nl; k++) {
            const git_diff_line *gl;
            git_patch_get_line_in_hunk(&gl, patch, h, k);
            if (gl->origin != '+' && gl->origin != '-' && gl->origin != ' ')
                continue; /* EOFNL markers: no_newline is read from the bytes */
            lc_diff_line *l = &f->lines[li++];
            l->origin = gl->origin;
            l->old_lineno = gl->origin == '+' ? -1 : gl->old_lineno;
            l->new_lineno = gl->origin == '-' ? -1 : gl->new_lineno;
            if (gl->origin == '+')
                set_line(l, &f->new, noff, nnew, gl->new_lineno);
            else
                set_line(l, &f->old, ooff, nold, gl->old_lineno);
            if (gl->origin == '+')
                p->added++;
            else if (gl->origin == '-')
                p->removed++;
            hk->nlines++;
        }
    }
    p->nhunks = nh;
    p->hunks = f->hunks;
    free(ooff);
    free(noff);
    git_patch_free(patch);
done:
    p->whole_only = p->binary || p->large || p->symlink || absent_old || absent_new ||
                    p->status != LC_DIFF_MODIFIED || p->nhunks == 0;
    return LC_OK;
}

static void copy_lines(lc_buf *out, const lc_buf *b, const size_t *off, size_t n, size_t from,
                       size_t to)
{
    if (to > n)
        to = n;
    if (from >= to)
        return;
    lc_buf_append(out, b->data + off[from], off[to] - off[from]);
}

void dfi_splice(const dfile *f, const bool *sel, lc_buf *out)
{
    size_t nold, nnew;
    size_t *ooff = line_table(f->old.data, f->old.len, &nold);
    size_t *noff = line_table(f->new.data, f->new.len, &nnew);
    size_t pos = 0;
    for (size_t h = 0; h < f->pub.nhunks; h++) {
        const lc_diff_hunk *hk = &f->hunks[h];
        size_t ostart = (size_t)(hk->old_lines ? hk->old_start - 1 : hk->old_start);
        size_t nstart = (size_t)(hk->new_lines ? hk->new_start - 1 : hk->new_start);
        copy_lines(out, &f->old, ooff, nold, pos, ostart);
        if (sel[h])
            copy_lines(out, &f->new, noff, nnew, nstart, nstart + (size_t)hk->new_lines);
        else
            copy_lines(out, &f->old, ooff, nold, ostart, ostart + (size_t)hk->old_lines);
        pos = ostart + (size_t)hk->old_lines;
    }
    copy_lines(out, &f->old, ooff, nold, pos, nold);
    if (!out->data)
        lc_buf_append(out, "", 0);
    free(ooff);
    free(noff);
}
