/* What the user picked: any set of changed lines (a hunk is all of its
 * changed lines), whole files, every hunk with the same change ("all like
 * this"), and bulk picks over the files a filter matches. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "diff/diff_int.h"

static bool hunk_full(const dfile *f, size_t h)
{
    return f->hchanged[h] > 0 && f->hsel[h] == f->hchanged[h];
}

void dfi_sel_line(dfile *f, size_t h, size_t i, bool on)
{
    if (f->lines[i].origin == ' ' || f->line_sel[i] == on)
        return;
    bool was = hunk_full(f, h);
    f->line_sel[i] = on;
    f->hsel[h] += on ? 1 : (size_t)-1;
    f->nsel += on ? 1 : (size_t)-1;
    f->nfull += (size_t)hunk_full(f, h) - (size_t)was;
}

void dfi_sel_clear(dfile *f)
{
    f->whole_sel = false;
    if (f->line_sel)
        memset(f->line_sel, 0, f->nlines * sizeof *f->line_sel);
    if (f->hsel)
        memset(f->hsel, 0, f->pub.nhunks * sizeof *f->hsel);
    f->nsel = 0;
    f->nfull = 0;
}

void dfi_sel_recount_hunks(dfile *f, size_t from, size_t n)
{
    for (size_t h = from; h < from + n && h < f->pub.nhunks; h++) {
        const lc_diff_hunk *hk = &f->hunks[h];
        const bool *s = f->line_sel + dfi_hunk_first(f, h);
        f->hchanged[h] = f->hsel[h] = 0;
        for (size_t i = 0; i < hk->nlines; i++)
            if (hk->lines[i].origin != ' ') {
                f->hchanged[h]++;
                f->hsel[h] += s[i];
            }
    }
    f->nfull = 0;
    for (size_t h = 0; h < f->pub.nhunks; h++)
        f->nfull += hunk_full(f, h);
}

void dfi_sel_recount(dfile *f)
{
    dfi_sel_recount_hunks(f, 0, f->pub.nhunks);
    f->nsel = f->nchanged = 0;
    for (size_t h = 0; h < f->pub.nhunks; h++) {
        f->nsel += f->hsel[h];
        f->nchanged += f->hchanged[h];
    }
}

/* whole_sel of a hunk file means every changed line is selected. */
static void sync_whole(dfile *f)
{
    if (f->pub.whole_only)
        return;
    f->whole_sel = f->pub.nhunks > 0 && f->nfull == f->pub.nhunks;
}

static void set_hunk(dfile *f, size_t h, bool on)
{
    const lc_diff_hunk *hk = &f->hunks[h];
    size_t first = dfi_hunk_first(f, h);
    for (size_t i = 0; i < hk->nlines; i++)
        dfi_sel_line(f, h, first + i, on);
}

int lc_diff_select(lc_diff *d, size_t file, size_t hunk, bool on, lc_err *err)
{
    if (file >= d->nfiles)
        return lc_err_set(err, LC_EINVAL, "no changed file number %zu (there are %zu)", file,
                          d->nfiles);
    dfile *f = &d->files[file];
    if (hunk == LC_DIFF_WHOLE || f->pub.whole_only) {
        f->whole_sel = on;
        for (size_t h = 0; h < f->pub.nhunks; h++)
            set_hunk(f, h, on);
        return LC_OK;
    }
    if (hunk >= f->pub.nhunks)
        return lc_err_set(err, LC_EINVAL, "%s has no hunk number %zu (it has %zu)", f->path, hunk,
                          f->pub.nhunks);
    set_hunk(f, hunk, on);
    sync_whole(f);
    return LC_OK;
}

bool lc_diff_selected(const lc_diff *d, size_t file, size_t hunk)
{
    if (!d || file >= d->nfiles)
        return false;
    const dfile *f = &d->files[file];
    if (hunk == LC_DIFF_WHOLE || f->pub.whole_only)
        return f->whole_sel;
    return hunk < f->pub.nhunks && dfi_hunk_all(f, hunk);
}

void lc_diff_select_all(lc_diff *d, bool on)
{
    for (size_t i = 0; i < d->nfiles; i++)
        lc_diff_select(d, i, LC_DIFF_WHOLE, on, NULL);
}

int lc_diff_select_line(lc_diff *d, size_t file, size_t hunk, size_t line, bool on, lc_err *err)
{
    if (!d || file >= d->nfiles)
        return lc_err_set(err, LC_EINVAL, "no changed file number %zu", file);
    dfile *f = &d->files[file];
    if (f->pub.whole_only)
        return lc_err_set(err, LC_EINVAL, "%s is taken as a whole file only (no line selection)", f->path);
    if (hunk >= f->pub.nhunks || line >= f->hunks[hunk].nlines)
        return lc_err_set(err, LC_EINVAL, "%s has no line %zu in hunk %zu", f->path, line, hunk);
    const lc_diff_hunk *hk = &f->hunks[hunk];
    if (hk->lines[line].origin == ' ')
        return lc_err_set(err, LC_EINVAL, "line %zu of that hunk is context, not a change", line);
    dfi_sel_line(f, hunk, dfi_hunk_first(f, hunk) + line, on);
    sync_whole(f);
    return LC_OK;
}

bool lc_diff_line_selected(const lc_diff *d, size_t file, size_t hunk, size_t line)
{
    if (!d || file >= d->nfiles)
        return false;
    const dfile *f = &d->files[file];
    if (hunk >= f->pub.nhunks || line >= f->hunks[hunk].nlines)
        return false;
    return f->line_sel[dfi_hunk_first(f, hunk) + line];
}

size_t lc_diff_hunk_selection(const lc_diff *d, size_t file, size_t hunk, size_t *changed)
{
    size_t n = 0, c = 0;
    if (d && file < d->nfiles && hunk < d->files[file].pub.nhunks) {
        c = d->files[file].hchanged[hunk];
        n = d->files[file].hsel[hunk];
    }
    if (changed)
        *changed = c;
    return n;
}

size_t lc_diff_file_selection(const lc_diff *d, size_t file, size_t *changed)
{
    size_t n = 0, c = 0;
    if (d && file < d->nfiles) {
        const dfile *f = &d->files[file];
        if (f->pub.whole_only) {
            c = 1;
            n = f->whole_sel;
        } else {
            c = f->nchanged;
            n = f->nsel;
        }
    }
    if (changed)
        *changed = c;
    return n;
}

/* ---- all like this ------------------------------------------------------------- */

/* FNV-1a over the removed and added lines (origin, bytes, final newline): the
 * change without its context and line numbers. */
static uint64_t change_hash(const lc_diff_hunk *hk)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < hk->nlines; i++) {
        const lc_diff_line *l = &hk->lines[i];
        if (l->origin == ' ')
            continue;
        h = (h ^ (unsigned char)l->origin) * 1099511628211ull;
        for (size_t k = 0; k < l->len; k++)
            h = (h ^ (unsigned char)l->text[k]) * 1099511628211ull;
        h = (h ^ (l->no_newline ? 1u : 2u)) * 1099511628211ull;
    }
    return h;
}

static bool same_change(const lc_diff_hunk *a, const lc_diff_hunk *b)
{
    size_t i = 0, j = 0;
    for (;;) {
        while (i < a->nlines && a->lines[i].origin == ' ')
            i++;
        while (j < b->nlines && b->lines[j].origin == ' ')
            j++;
        if (i == a->nlines || j == b->nlines)
            return i == a->nlines && j == b->nlines;
        const lc_diff_line *x = &a->lines[i++], *y = &b->lines[j++];
        if (x->origin != y->origin || x->len != y->len || x->no_newline != y->no_newline ||
            (x->len && memcmp(x->text, y->text, x->len) != 0))
            return false;
    }
}

size_t lc_diff_select_like(lc_diff *d, size_t file, size_t hunk, bool on)
{
    if (!d || file >= d->nfiles || d->files[file].pub.whole_only || hunk >= d->files[file].pub.nhunks)
        return 0;
    const lc_diff_hunk *ref = &d->files[file].hunks[hunk];
    uint64_t key = change_hash(ref);
    size_t n = 0;
    for (size_t i = 0; i < d->nfiles; i++) {
        dfile *f = &d->files[i];
        if (f->pub.whole_only)
            continue;
        bool touched = false;
        for (size_t h = 0; h < f->pub.nhunks; h++) {
            const lc_diff_hunk *hk = &f->hunks[h];
            if (hk != ref && (change_hash(hk) != key || !same_change(hk, ref)))
                continue;
            set_hunk(f, h, on);
            touched = true;
            n++;
        }
        if (touched)
            sync_whole(f);
    }
    return n;
}

/* ---- bulk ---------------------------------------------------------------------- */

bool lc_diff_match(const lc_diff *d, size_t file, const lc_diff_filter *flt)
{
    if (!d || file >= d->nfiles)
        return false;
    const dfile *f = &d->files[file];
    if (!flt)
        return true;
    if (flt->statuses && *flt->statuses && !strchr(flt->statuses, (char)f->pub.status))
        return false;
    if (!flt->pattern || !*flt->pattern)
        return true;
    if (fnmatch(flt->pattern, f->path, 0) == 0)
        return true;
    /* A pattern without '/' also matches a file's name in any directory, as in .gitignore. */
    const char *base = strrchr(f->path, '/');
    return !strchr(flt->pattern, '/') && base && fnmatch(flt->pattern, base + 1, 0) == 0;
}

size_t lc_diff_select_bulk(lc_diff *d, const lc_diff_filter *flt, lc_diff_bulk op)
{
    size_t n = 0;
    for (size_t i = 0; d && i < d->nfiles; i++) {
        if (!lc_diff_match(d, i, flt))
            continue;
        n++;
        dfile *f = &d->files[i];
        if (op != LC_DIFF_BULK_INVERT) {
            lc_diff_select(d, i, LC_DIFF_WHOLE, op == LC_DIFF_BULK_ALL, NULL);
            continue;
        }
        if (f->pub.whole_only) {
            f->whole_sel = !f->whole_sel;
            continue;
        }
        for (size_t h = 0; h < f->pub.nhunks; h++) {
            size_t first = dfi_hunk_first(f, h);
            for (size_t k = first; k < first + f->hunks[h].nlines; k++)
                dfi_sel_line(f, h, k, !f->line_sel[k]);
        }
        sync_whole(f);
    }
    return n;
}
