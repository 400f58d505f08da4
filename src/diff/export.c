/* The change set as text: a git-style patch (what `git diff` prints, with
 * paths quoted the way git quotes them, so `git apply` takes it back) and a
 * short summary for people. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

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

/* The body of a section as git prints it: the hunks of old -> new (text), or
 * "GIT binary patch" with both directions (binary), made by libgit2 from the
 * two sides (NULL: the side is absent). Returns false when there is no
 * difference to print. */
static bool put_body(lc_buf *b, const char *path, const lc_buf *old, const lc_buf *new, bool binary,
                     int context, bool minus_plus)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
    git_diff_options o = GIT_DIFF_OPTIONS_INIT;
#pragma GCC diagnostic pop
    o.context_lines = (uint32_t)(context >= 0 ? context : 3);
    o.flags |= binary ? GIT_DIFF_FORCE_BINARY | GIT_DIFF_SHOW_BINARY : GIT_DIFF_FORCE_TEXT;
    git_patch *patch = NULL;
    git_buf out = {0};
    bool any = false;
    if (git_patch_from_buffers(&patch, old ? (old->data ? old->data : "") : NULL, old ? old->len : 0, "x",
                               new ? (new->data ? new->data : "") : NULL, new ? new->len : 0, "x", &o) == 0 &&
        git_patch_to_buf(&out, patch) == 0 && out.ptr) {
        const char *key = binary ? "\nGIT binary patch\n" : "\n@@ ";
        const char *at = strstr(out.ptr, key);
        if (at) {
            if (!binary && minus_plus)
                put_minus_plus(b, path, old != NULL, new != NULL);
            lc_buf_append(b, at + 1, out.size - (size_t)(at + 1 - out.ptr));
            any = true;
        }
    }
    git_buf_dispose(&out);
    git_patch_free(patch);
    return any;
}

static void put_index(lc_buf *b, const char *old_oid, const char *new_oid)
{
    static const char zero[] = "0000000000000000000000000000000000000000";
    lc_buf_printf(b, "index %s..%s\n", old_oid[0] ? old_oid : zero, new_oid[0] ? new_oid : zero);
}

/* One side as a whole-file addition or deletion (for type changes). */
static void put_whole(lc_buf *b, const char *path, char kind, unsigned mode, const lc_buf *data,
                      const char *oid, bool add, bool binary, int context)
{
    char extra[64];
    snprintf(extra, sizeof extra, "%s file mode %06o\n", add ? "new" : "deleted", git_mode(kind, mode));
    put_head(b, path, extra);
    if (binary)
        put_index(b, add ? "" : oid, add ? oid : "");
    put_body(b, path, add ? NULL : data, add ? data : NULL, binary, context, true);
}

/* Why a file is left out of the export (NULL: it is in). */
static const char *left_out(const dfile *f)
{
    if (f->pub.reserved)
        return "a name git reserves (never applied)";
    if (f->pub.too_large)
        return "larger than max_file_bytes (never read, never applied)";
    return NULL;
}

/* The sides of a file as exported: from memory, or read again for a large
 * file the review did not keep (the new side checked against the review). */
static bool load_sides(const lc_diff *d, const dfile *f, lc_buf *old, lc_buf *new, char *why, size_t whylen)
{
    lc_err e = {0};
    if (dfi_load_side(d, f, false, old, &e) != LC_OK || dfi_load_side(d, f, true, new, &e) != LC_OK) {
        snprintf(why, whylen, "%s", e.msg);
        return false;
    }
    return true;
}

/* The new side as exported: the whole new file, or the selected lines only. */
static void result_of(const dfile *f, bool selected_only, lc_buf *out)
{
    if (!selected_only || f->whole_sel || f->pub.whole_only)
        lc_buf_append(out, f->new.data ? f->new.data : "", f->new.len);
    else
        dfi_splice(f, f->line_sel, false, out);
}

static void export_file(const lc_diff *d, const dfile *f, bool selected_only, lc_buf *b, lc_buf *notes)
{
    const lc_diff_file *p = &f->pub;
    int ctx = d->opts.context_lines;
    bool bin = p->binary || p->large;
    lc_buf old = LC_BUF_INIT, new = LC_BUF_INIT, res = LC_BUF_INIT;
    char why[LC_ERR_MSG_MAX];
    if (f->unloaded && !load_sides(d, f, &old, &new, why, sizeof why)) {
        lc_buf_puts(notes, "# litecode: left out, ");
        lc_text_sanitize(why, strlen(why), 0, notes);
        lc_buf_puts(notes, ": ");
        put_path(notes, "", f->path);
        lc_buf_putc(notes, '\n');
        goto out;
    }
    const lc_buf *ob = f->unloaded ? &old : &f->old, *nb = f->unloaded ? &new : &f->new;
    char ooid[41] = "", noid[41] = "";
    char old_kind = p->status == LC_DIFF_ADDED ? DK_ABSENT : f->base.kind == DK_LOST ? DK_FILE : f->base.kind;
    if (old_kind != DK_ABSENT)
        dfi_oid_of(ob->data, ob->len, ooid);
    if (f->new_kind != DK_ABSENT)
        dfi_oid_of(nb->data, nb->len, noid);
    if (p->status == LC_DIFF_TYPECHANGE) {
        put_whole(b, f->path, old_kind, f->base.mode, ob, ooid, false, bin, ctx);
        put_whole(b, f->path, f->new_kind, f->new_mode_full, nb, noid, true, bin, ctx);
        goto out;
    }
    if (!bin)
        result_of(f, selected_only, &res);
    unsigned om = git_mode(old_kind, f->base.mode), nm = git_mode(f->new_kind, f->new_mode_full);
    lc_buf extra = LC_BUF_INIT;
    if (p->status == LC_DIFF_ADDED)
        lc_buf_printf(&extra, "new file mode %06o\n", nm);
    else if (p->status == LC_DIFF_DELETED)
        lc_buf_printf(&extra, "deleted file mode %06o\n", om);
    else if (om != nm)
        lc_buf_printf(&extra, "old mode %06o\nnew mode %06o\n", om, nm);
    bool old_side = p->status != LC_DIFF_ADDED, new_side = p->status != LC_DIFF_DELETED;
    lc_buf body = LC_BUF_INIT;
    bool any = bin ? put_body(&body, f->path, old_side ? ob : NULL, new_side ? nb : NULL, true, ctx, false)
                   : put_body(&body, f->path, old_side ? ob : NULL, new_side ? &res : NULL, false, ctx, true);
    /* A file without content change is still a section when it is added, deleted or its x bit moved
     * (git cannot express other permission changes). */
    if (any || extra.len) {
        put_head(b, f->path, lc_buf_cstr(&extra));
        if (bin)
            put_index(b, ooid, noid);
        lc_buf_append(b, body.data ? body.data : "", body.len);
    }
    lc_buf_free(&body);
    lc_buf_free(&extra);
out:
    lc_buf_free(&old);
    lc_buf_free(&new);
    lc_buf_free(&res);
}

void lc_diff_export_patch(const lc_diff *d, bool selected_only, lc_buf *out)
{
    /* A reserved name never reaches a patch either (`git apply` elsewhere, with other
     * settings, could write it); said in lines before the first diff, which git ignores. */
    lc_buf notes = LC_BUF_INIT, body = LC_BUF_INIT;
    for (size_t i = 0; i < d->nfiles; i++) {
        const dfile *f = &d->files[i];
        if (selected_only && !dfi_any_selected(f))
            continue;
        const char *why = left_out(f);
        if (why) {
            lc_buf_printf(&notes, "# litecode: left out, %s: ", why);
            put_path(&notes, "", f->path);
            lc_buf_putc(&notes, '\n');
            continue;
        }
        export_file(d, f, selected_only, &body, &notes);
    }
    lc_buf_append(out, notes.data ? notes.data : "", notes.len);
    lc_buf_append(out, body.data ? body.data : "", body.len);
    lc_buf_free(&notes);
    lc_buf_free(&body);
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
