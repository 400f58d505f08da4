/* Copy (Y): the focused pane's text (the code, the hunk or file under the
 * cursor, the output kept, the conversation) to the terminal's clipboard
 * with OSC 52, which works over ssh and through tmux (set-clipboard on), or
 * to a file. The text is the panes' sanitized text, so no escape sequence
 * from the model or the container travels with it; the OSC 52 payload is
 * base64, so nothing in it can end the sequence. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/ui_int.h"

/* Terminals cap OSC 52 (xterm and tmux near 100 KB of base64): more goes to a file. */
#define CLIP_MAX 74000

void ui_lines_text(const ui_lines *l, lc_buf *out)
{
    for (size_t i = 0; i < l->n; i++) {
        lc_buf_append(out, l->v[i].s, l->v[i].len);
        lc_buf_putc(out, '\n');
    }
}

static void base64(const unsigned char *s, size_t n, lc_buf *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        char q[4] = {tab[v >> 18 & 63], tab[v >> 12 & 63], i + 1 < n ? tab[v >> 6 & 63] : '=',
                     i + 2 < n ? tab[v & 63] : '='};
        lc_buf_append(out, q, 4);
    }
}

/* The focused pane's text into app->copied; false (and said) when it has none. */
static bool take(lc_app *app, const char **what)
{
    ui_pane *p = &app->panes[app->focus];
    lc_buf_reset(&app->copied);
    *what = "the text";
    if (p->ops->copy)
        p->ops->copy(app, p, &app->copied, what);
    if (app->copied.len == 0) {
        ui_flash(app, "nothing to copy in the %s pane", p->ops->title);
        return false;
    }
    return true;
}

static size_t count_lines(const lc_buf *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++)
        n += b->data[i] == '\n';
    return n;
}

unsigned ui_copy_key(lc_app *app, ui_action a)
{
    const char *what;
    if (!take(app, &what))
        return UI_REDRAW;
    char save[32];
    ui_keymap_keys_text(&app->keys, UI_A_COPY_FILE, save, sizeof save);
    if (a == UI_A_COPY_FILE) {
        const char *tmp = getenv("TMPDIR");
        char *path = lc_xasprintf("%s/litecode-copy-%ld.txt", tmp && *tmp ? tmp : "/tmp", (long)getpid());
        ui_input_start(app, UI_IN_SAVE, path);
        free(path);
        return UI_REDRAW;
    }
    if (app->copied.len > CLIP_MAX) {
        ui_flash(app, "%s is too long for the clipboard (%zu bytes, terminals take about %d): %s saves it to a file",
                 what, app->copied.len, CLIP_MAX, save);
        return UI_REDRAW;
    }
    lc_buf seq = LC_BUF_INIT;
    lc_buf_puts(&seq, "\033]52;c;");
    base64((const unsigned char *)app->copied.data, app->copied.len, &seq);
    lc_buf_puts(&seq, "\a");
    if (!app->opts.virtual_term && app->out_fp) {
        fflush(app->out_fp);
        if (lc_fd_write_all(fileno(app->out_fp), seq.data, seq.len) != 0) {
            ui_flash(app, "could not write to the terminal: %s", strerror(errno));
            lc_buf_free(&seq);
            return UI_REDRAW;
        }
    }
    lc_buf_free(&seq);
    size_t n = count_lines(&app->copied);
    ui_flash(app, "copied %s (%zu line%s) to the clipboard by OSC 52 (if the terminal allows it; %s saves to a file)",
             what, n, n == 1 ? "" : "s", save);
    return UI_REDRAW;
}

void ui_copy_save(lc_app *app, const char *path)
{
    if (!*path) {
        ui_flash(app, "no file named: nothing saved");
        return;
    }
    char *full = NULL;
    if (path[0] == '~' && path[1] == '/' && getenv("HOME"))
        full = lc_xasprintf("%s/%s", getenv("HOME"), path + 2);
    else
        full = lc_xstrdup(path);
    /* Never over an existing file, never through a symlink. */
    int fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            ui_flash(app, "%s exists: name another file (nothing is overwritten)", full);
        else
            ui_flash(app, "cannot create %s: %s", full, strerror(errno));
    } else if (lc_fd_write_all(fd, app->copied.data, app->copied.len) != 0 || close(fd) != 0) {
        ui_flash(app, "writing %s failed: %s", full, strerror(errno));
    } else {
        ui_flash(app, "saved %zu bytes to %s", app->copied.len, full);
    }
    free(full);
}
