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
    free(f->line_sel);
    free(f->hsel);
    free(f->hchanged);
    if (f->edited)
        lc_buf_free(f->edited);
    free(f->edited);
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
    f->hcap = nh ? nh : 1;
    f->hunks = lc_xcalloc(f->hcap, sizeof *f->hunks);
    f->headers = lc_xcalloc(f->hcap, sizeof *f->headers);
    f->lines = lc_xcalloc(total ? total : 1, sizeof *f->lines);
    f->line_sel = lc_xcalloc(total ? total : 1, sizeof *f->line_sel);
    f->hsel = lc_xcalloc(f->hcap, sizeof *f->hsel);
    f->hchanged = lc_xcalloc(f->hcap, sizeof *f->hchanged);
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
    f->nlines = li;
    dfi_sel_recount(f);
    free(ooff);
    free(noff);
    git_patch_free(patch);
done:
    p->whole_only = p->binary || p->large || p->symlink || absent_old || absent_new ||
                    p->status != LC_DIFF_MODIFIED || p->nhunks == 0;
    return LC_OK;
}

/* A line kept without its final newline (the old file's last line) that gets
 * lines after it gets its newline: as `git apply` of the equivalent patch,
 * which removes the line and adds it back with a newline. */
static void line_break(lc_buf *out, size_t start)
{
    if (out->len > start && out->data[out->len - 1] != '\n')
        lc_buf_putc(out, '\n');
}

void dfi_splice(const dfile *f, const bool *sel, bool reverse, lc_buf *out)
{
    size_t nold;
    size_t *ooff = line_table(f->old.data, f->old.len, &nold);
    size_t pos = 0, start = out->len;
    for (size_t h = 0; h < f->pub.nhunks; h++) {
        const lc_diff_hunk *hk = &f->hunks[h];
        size_t ostart = (size_t)(hk->old_lines ? hk->old_start - 1 : hk->old_start);
        if (ostart > nold)
            ostart = nold;
        if (ostart > pos) {
            line_break(out, start);
            lc_buf_append(out, f->old.data + ooff[pos], ooff[ostart] - ooff[pos]);
        }
        const bool *s = sel + (hk->lines - f->lines);
        for (size_t i = 0; i < hk->nlines; i++) {
            const lc_diff_line *l = &hk->lines[i];
            bool take = l->origin == ' ' || (l->origin == '-' && s[i] == reverse) ||
                        (l->origin == '+' && s[i] != reverse);
            if (!take)
                continue;
            line_break(out, start);
            lc_buf_append(out, l->text, l->len);
            if (!l->no_newline)
                lc_buf_putc(out, '\n');
        }
        pos = ostart + (size_t)hk->old_lines;
    }
    if (pos < nold) {
        line_break(out, start);
        lc_buf_append(out, f->old.data + ooff[pos], ooff[nold] - ooff[pos]);
    }
    if (!out->data)
        lc_buf_append(out, "", 0);
    free(ooff);
}

bool dfi_any_selected(const dfile *f)
{
    return f->whole_sel || f->nsel > 0;
}

size_t dfi_hunk_first(const dfile *f, size_t h)
{
    return (size_t)(f->hunks[h].lines - f->lines);
}

bool dfi_hunk_all(const dfile *f, size_t h)
{
    return f->hchanged[h] > 0 && f->hsel[h] == f->hchanged[h];
}

static void put_range(lc_buf *b, int start, int count)
{
    if (count == 1)
        lc_buf_printf(b, "%d", start);
    else
        lc_buf_printf(b, "%d,%d", start, count);
}

char *dfi_hunk_header(int old_start, int old_lines, int new_start, int new_lines, const char *tail)
{
    lc_buf b = LC_BUF_INIT;
    lc_buf_puts(&b, "@@ -");
    put_range(&b, old_start, old_lines);
    lc_buf_puts(&b, " +");
    put_range(&b, new_start, new_lines);
    lc_buf_puts(&b, " @@");
    lc_buf_puts(&b, tail ? tail : "");
    return lc_buf_detach(&b);
}

const char *dfi_header_tail(const char *header)
{
    const char *p = header && strncmp(header, "@@ ", 3) == 0 ? strstr(header + 3, " @@") : NULL;
    return p ? p + 3 : "";
}

int lc_diff_split(lc_diff *d, size_t file, size_t hunk, size_t *pieces, lc_err *err)
{
    if (pieces)
        *pieces = 1;
    if (!d || file >= d->nfiles)
        return lc_err_set(err, LC_EINVAL, "no changed file number %zu", file);
    dfile *f = &d->files[file];
    if (f->pub.whole_only || hunk >= f->pub.nhunks)
        return lc_err_set(err, LC_EINVAL, "%s has no hunk number %zu to split", f->path, hunk);
    const lc_diff_hunk hk = f->hunks[hunk];
    /* Cut points: the middle of each stretch of context between two runs of changes. */
    size_t *cut = lc_xmalloc((hk.nlines + 1) * sizeof *cut), ncut = 0;
    size_t last_change = (size_t)-1;
    for (size_t i = 0; i < hk.nlines; i++) {
        if (hk.lines[i].origin == ' ')
            continue;
        if (last_change != (size_t)-1 && i > last_change + 1)
            cut[ncut++] = last_change + 1 + (i - last_change) / 2;
        last_change = i;
    }
    if (!ncut) {
        free(cut);
        return LC_OK;
    }
    size_t k = ncut + 1;
    if (f->pub.nhunks + k - 1 > f->hcap) {
        f->hcap = f->pub.nhunks + k - 1;
        f->hunks = lc_xrealloc(f->hunks, f->hcap * sizeof *f->hunks);
        f->headers = lc_xrealloc(f->headers, f->hcap * sizeof *f->headers);
        f->hsel = lc_xrealloc(f->hsel, f->hcap * sizeof *f->hsel);
        f->hchanged = lc_xrealloc(f->hchanged, f->hcap * sizeof *f->hchanged);
    }
    size_t after = f->pub.nhunks - hunk - 1;
    memmove(&f->hunks[hunk + k], &f->hunks[hunk + 1], after * sizeof *f->hunks);
    memmove(&f->headers[hunk + k], &f->headers[hunk + 1], after * sizeof *f->headers);
    memmove(&f->hsel[hunk + k], &f->hsel[hunk + 1], after * sizeof *f->hsel);
    memmove(&f->hchanged[hunk + k], &f->hchanged[hunk + 1], after * sizeof *f->hchanged);
    char *tail = lc_xstrdup(dfi_header_tail(f->headers[hunk]));
    free(f->headers[hunk]);
    int onext = hk.old_lines ? hk.old_start : hk.old_start + 1;
    int nnext = hk.new_lines ? hk.new_start : hk.new_start + 1;
    for (size_t p = 0, from = 0; p < k; p++) {
        size_t to = p < ncut ? cut[p] : hk.nlines;
        lc_diff_hunk *o = &f->hunks[hunk + p];
        memset(o, 0, sizeof *o);
        o->lines = hk.lines + from;
        o->nlines = to - from;
        for (size_t i = from; i < to; i++) {
            o->old_lines += hk.lines[i].origin != '+';
            o->new_lines += hk.lines[i].origin != '-';
        }
        o->old_start = o->old_lines ? onext : onext - 1;
        o->new_start = o->new_lines ? nnext : nnext - 1;
        onext += o->old_lines;
        nnext += o->new_lines;
        f->headers[hunk + p] = dfi_hunk_header(o->old_start, o->old_lines, o->new_start, o->new_lines,
                                               p == 0 ? tail : "");
        o->header = f->headers[hunk + p];
        from = to;
    }
    free(tail);
    free(cut);
    f->pub.nhunks += k - 1;
    f->pub.hunks = f->hunks;
    for (size_t h = 0; h < f->pub.nhunks; h++)
        f->hunks[h].header = f->headers[h];
    dfi_sel_recount_hunks(f, hunk, k);
    if (pieces)
        *pieces = k;
    return LC_OK;
}
