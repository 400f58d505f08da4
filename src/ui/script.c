/* LITECODE_UI_SCRIPT: drive the real binary from a file, one command a line,
 * so the UI can be tested and demonstrated without a person at the keys:
 *   keys <key string>   keys as lc_ui_feed_keys takes them ("yy<Enter>")
 *   wait <text>         until the screen shows text (30 s at most)
 *   sleep <ms>
 *   dump <path>         write the screen as text to path
 *   resize <rows> <cols>  (virtual terminals only)
 *   quit
 * Lines starting with '#' are comments. An error stops the script and is
 * shown in the conversation. */
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

static int run_line(lc_app *app, char *line, lc_err *err)
{
    char *arg = strchr(line, ' ');
    if (arg)
        *arg++ = '\0';
    else
        arg = line + strlen(line);
    if (strcmp(line, "keys") == 0)
        return lc_ui_feed_keys(app, arg, err);
    if (strcmp(line, "wait") == 0)
        return lc_ui_wait_for(app, arg, 30000) ? LC_OK
                                               : lc_err_set(err, LC_ETIMEOUT, "\"%s\" did not appear", arg);
    if (strcmp(line, "sleep") == 0) {
        int64_t end = lc_now_ms() + atoi(arg);
        while (lc_now_ms() < end && lc_ui_pump(app, 20)) {
        }
        return LC_OK;
    }
    if (strcmp(line, "dump") == 0) {
        lc_ui_pump(app, 0);
        lc_buf b = LC_BUF_INIT;
        lc_ui_dump_screen(app, &b);
        int rc = lc_file_write_atomic(arg, b.data, b.len, 0644, err);
        lc_buf_free(&b);
        return rc;
    }
    if (strcmp(line, "resize") == 0) {
        int r = 0, c = 0;
        if (sscanf(arg, "%d %d", &r, &c) != 2 || r <= 0 || c <= 0)
            return lc_err_set(err, LC_EINVAL, "resize needs rows and columns");
        lc_ui_resize(app, r, c);
        return LC_OK;
    }
    if (strcmp(line, "quit") == 0) {
        pthread_mutex_lock(&app->mu); /* the agent thread reads it */
        app->quit = true;
        pthread_mutex_unlock(&app->mu);
        return LC_OK;
    }
    return lc_err_set(err, LC_EINVAL, "unknown command \"%s\" (keys, wait, sleep, dump, resize, quit)", line);
}

int ui_script_run(lc_app *app, const char *path)
{
    lc_buf text = LC_BUF_INIT;
    lc_err err = {0};
    int rc = lc_file_read(path, 1 << 20, &text, &err);
    int lineno = 0;
    for (char *save = NULL, *ln = rc == LC_OK ? strtok_r(text.data ? text.data : (char *)"", "\n", &save) : NULL;
         ln && !app->quit; ln = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (*ln == '#' || *ln == '\0')
            continue;
        rc = run_line(app, ln, &err);
        if (rc != LC_OK) {
            lc_err_prefix(&err, "%s:%d", path, lineno);
            break;
        }
        lc_ui_pump(app, 0);
    }
    if (rc != LC_OK)
        ui_conv_addf(app, UI_R_ERROR, "LITECODE_UI_SCRIPT: %s", err.msg);
    lc_buf_free(&text);
    return rc;
}
