/* The change set as text: a git-style patch (what `git diff` prints, with
 * paths quoted the way git quotes them, so `git apply` takes it back) and a
 * short summary for people. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff/diff_int.h"

/* git's quoting (core.quotepath): C escapes and octal for unusual bytes. */
static void put_path(lc_buf *b, const char *prefix, const char *path)
{
    bool quote = false;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        if (*p < 0x20 || *p == '"' || *p == '\\' || *p >= 0x7f)
            quote = true;
    if (!quote) {
        lc_buf_puts(b, prefix);
        lc_buf_puts(b, path);
        return;
    }
    lc_buf_putc(b, '"');
    lc_buf_puts(b, prefix);
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        const char *esc = NULL;
        switch (*p) {
        case '\a': esc = "\\a"; break;
        case '\b': esc = "\\b"; break;
        case '\t': esc = "\\t"; break;
        case '\n': esc = "\\n"; break;
        case '\v': esc = "\\v"; break;
        case '\f': esc = "\\f"; break;
        case '\r': esc = "\\r"; break;
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        default: break;
        }
        if (esc)
            lc_buf_puts(b, esc);
        else if (*p < 0x20 || *p >= 0x7f)
            lc_buf_printf(b, "\\%03o", *p);
        else
            lc_buf_putc(b, (char)*p);
    }
    lc_buf_putc(b, '"');
}

static unsigned git_mode(char kind, unsigned mode)
{
    return kind == DK_LINK ? 0120000 : (mode & 0100) ? 0100755 : 0100644;
}

static void put_line(lc_buf *b, char origin, const char *text, size_t len, bool no_newline)
{
    lc_buf_putc(b, origin);
    lc_buf_append(b, text, len);
    lc_buf_putc(b, '\n');
    if (no_newline)
        lc_buf_puts(b, "\\ No newline at end of file\n");
}

static void put_head(lc_buf *b, const char *path, const char *extra)
{
    lc_buf_puts(b, "diff --git ");
    put_path(b, "a/", path);
    lc_buf_putc(b, ' ');
    put_path(b, "b/", path);
    lc_buf_putc(b, '\n');
    lc_buf_puts(b, extra);
}

static void put_minus_plus(lc_buf *b, const char *path, bool old, bool new)
{
    lc_buf_puts(b, "--- ");
    if (old)
        put_path(b, "a/", path);
    else
        lc_buf_puts(b, "/dev/null");
    lc_buf_puts(b, "\n+++ ");
    if (new)
        put_path(b, "b/", path);
    else
        lc_buf_puts(b, "/dev/null");
    lc_buf_putc(b, '\n');
}

/* One side as a whole-file addition or deletion (for type changes). */
static void put_whole(lc_buf *b, const char *path, char kind, unsigned mode, const lc_buf *data,
                      bool add, bool binary)
{
    char extra[64];
    snprintf(extra, sizeof extra, "%s file mode %06o\n", add ? "new" : "deleted", git_mode(kind, mode));
    put_head(b, path, extra);
    if (binary) {
        lc_buf_puts(b, add ? "Binary files /dev/null and " : "Binary files ");
        put_path(b, add ? "b/" : "a/", path);
        lc_buf_puts(b, add ? " differ\n" : " and /dev/null differ\n");
        return;
    }
    if (!data->len)
        return;
    put_minus_plus(b, path, !add, add);
    size_t n = 0;
    for (size_t i = 0; i < data->len; i++)
        n += data->data[i] == '\n';
    if (data->data[data->len - 1] != '\n')
        n++;
    char cnt[32] = "";
    if (n != 1)
        snprintf(cnt, sizeof cnt, ",%zu", n);
    if (add)
        lc_buf_printf(b, "@@ -0,0 +1%s @@\n", cnt);
    else
        lc_buf_printf(b, "@@ -1%s +0,0 @@\n", cnt);
    for (size_t s = 0; s < data->len;) {
        const char *nl = memchr(data->data + s, '\n', data->len - s);
        size_t e = nl ? (size_t)(nl - data->data) : data->len;
        put_line(b, add ? '+' : '-', data->data + s, e - s, !nl);
        s = e + 1;
    }
}

static void export_file(const dfile *f, bool selected_only, lc_buf *b)
{
    const lc_diff_file *p = &f->pub;
    char old_kind = p->status == LC_DIFF_ADDED ? DK_ABSENT : f->base.kind == DK_LOST ? DK_FILE : f->base.kind;
    if (p->status == LC_DIFF_TYPECHANGE) {
        put_whole(b, f->path, old_kind, f->base.mode, &f->old, false, p->binary || p->large);
        put_whole(b, f->path, f->new_kind, f->new_mode_full, &f->new, true, p->binary || p->large);
        return;
    }
    unsigned om = git_mode(old_kind, f->base.mode), nm = git_mode(f->new_kind, f->new_mode_full);
    if (p->status == LC_DIFF_MODIFIED && om == nm && !p->nhunks && !p->binary && !p->large)
        return; /* a permission change git cannot express (only the x bit is in a patch) */
    lc_buf extra = LC_BUF_INIT;
    if (p->status == LC_DIFF_ADDED)
        lc_buf_printf(&extra, "new file mode %06o\n", nm);
    else if (p->status == LC_DIFF_DELETED)
        lc_buf_printf(&extra, "deleted file mode %06o\n", om);
    else if (om != nm)
        lc_buf_printf(&extra, "old mode %06o\nnew mode %06o\n", om, nm);
    put_head(b, f->path, lc_buf_cstr(&extra));
    lc_buf_free(&extra);
    bool old = p->status != LC_DIFF_ADDED, new = p->status != LC_DIFF_DELETED;
    if (p->binary || p->large) {
        lc_buf_puts(b, "Binary files ");
        if (old)
            put_path(b, "a/", f->path);
        else
            lc_buf_puts(b, "/dev/null");
        lc_buf_puts(b, " and ");
        if (new)
            put_path(b, "b/", f->path);
        else
            lc_buf_puts(b, "/dev/null");
        lc_buf_puts(b, " differ\n");
        return;
    }
    if (!p->nhunks)
        return;
    put_minus_plus(b, f->path, old, new);
    for (size_t h = 0; h < p->nhunks; h++) {
        if (selected_only && !f->whole_sel && !f->hunk_sel[h])
            continue;
        const lc_diff_hunk *hk = &p->hunks[h];
        lc_buf_puts(b, hk->header);
        lc_buf_putc(b, '\n');
        for (size_t i = 0; i < hk->nlines; i++) {
            const lc_diff_line *l = &hk->lines[i];
            put_line(b, l->origin, l->text, l->len, l->no_newline);
        }
    }
}

void lc_diff_export_patch(const lc_diff *d, bool selected_only, lc_buf *out)
{
    /* A reserved name never reaches a patch either (`git apply` elsewhere, with other
     * settings, could write it); said in lines before the first diff, which git ignores. */
    for (size_t i = 0; i < d->nfiles; i++) {
        const dfile *f = &d->files[i];
        if (!f->pub.reserved)
            continue;
        lc_buf_puts(out, "# litecode: left out, a name git reserves (never applied): ");
        put_path(out, "", f->path);
        lc_buf_putc(out, '\n');
    }
    for (size_t i = 0; i < d->nfiles; i++) {
        const dfile *f = &d->files[i];
        if (f->pub.reserved)
            continue;
        bool any = f->whole_sel;
        for (size_t h = 0; !any && h < f->pub.nhunks; h++)
            any = f->hunk_sel[h];
        if (!selected_only || any)
            export_file(f, selected_only, out);
    }
    if (!out->data)
        lc_buf_append(out, "", 0);
}

void lc_diff_summary(const lc_diff *d, lc_buf *out)
{
    long added = 0, removed = 0;
    for (size_t i = 0; i < d->nfiles; i++) {
        const lc_diff_file *p = &d->files[i].pub;
        lc_buf_printf(out, "%c  ", (char)p->status);
        lc_text_sanitize(p->path, strlen(p->path), 0, out);
        if (p->binary || p->large)
            lc_buf_printf(out, "  %s, %llu -> %llu bytes", p->binary ? "binary" : "large",
                          (unsigned long long)p->old_size, (unsigned long long)p->new_size);
        else
            lc_buf_printf(out, "  +%d -%d", p->added, p->removed);
        if (p->status == LC_DIFF_MODIFIED && p->old_mode != p->new_mode)
            lc_buf_printf(out, "  mode %03o -> %03o", p->old_mode, p->new_mode);
        if (p->symlink)
            lc_buf_puts(out, "  symlink");
        if (p->base_lost)
            lc_buf_puts(out, "  (you changed it too: apply refused)");
        if (p->reserved)
            lc_buf_puts(out, "  (a name git reserves: never applied)");
        lc_buf_putc(out, '\n');
        added += p->added;
        removed += p->removed;
    }
    lc_buf_printf(out, "%zu file%s changed, %ld insertion%s(+), %ld deletion%s(-)\n", d->nfiles,
                  d->nfiles == 1 ? "" : "s", added, added == 1 ? "" : "s", removed,
                  removed == 1 ? "" : "s");
}
