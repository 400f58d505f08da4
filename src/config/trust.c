/* The trust store: real paths of projects whose .litecode.yaml may be read.
 * A store that someone else could have written is ignored, since it would
 * let them make us read a project file the user never saw. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"

#define STORE_MAX (1024 * 1024)

char *lc_trust_store_path(lc_err *err)
{
    char *dir = lc_xdg_dir("state", err);
    if (!dir)
        return NULL;
    char *p = lc_path_join(dir, "trusted.txt");
    free(dir);
    return p;
}

static char *real_dir(const char *dir, lc_err *err)
{
    char *rp = realpath(dir ? dir : ".", NULL);
    if (!rp) {
        lc_err_errno(err, errno == ENOENT ? LC_ENOTFOUND : LC_EIO, errno, "resolving %s", dir ? dir : ".");
        return NULL;
    }
    if (strchr(rp, '\n')) {
        lc_err_set(err, LC_EINVAL, "the path of %s contains a newline; it cannot be trusted", dir);
        free(rp);
        return NULL;
    }
    return rp;
}

static bool store_has(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len == n && memcmp(p, line, n) == 0)
            return true;
        if (!nl)
            break;
        p = nl + 1;
    }
    return false;
}

/* Reads the store; a missing store is empty. */
static int store_read(const char *path, lc_buf *out, lc_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? LC_OK : lc_err_errno(err, LC_EIO, errno, "reading %s", path);
    if (st.st_uid != geteuid() || (st.st_mode & 022))
        return lc_err_set(err, LC_ESECURITY,
                          "%s is writable by other users or not yours, so it is ignored; fix it with "
                          "chmod 600 %s", path, path);
    return lc_file_read(path, STORE_MAX, out, err);
}

bool lc_trust_is_trusted(const char *dir)
{
    char *rp = real_dir(dir, NULL);
    char *store = rp ? lc_trust_store_path(NULL) : NULL;
    lc_buf text = LC_BUF_INIT;
    bool ok = store && store_read(store, &text, NULL) == LC_OK && store_has(lc_buf_cstr(&text), rp);
    lc_buf_free(&text);
    free(store);
    free(rp);
    return ok;
}

int lc_trust_add(const char *dir, lc_err *err)
{
    char *rp = real_dir(dir, err);
    if (!rp)
        return err ? err->code : LC_EINVAL;
    char *store = lc_trust_store_path(err);
    if (!store) {
        free(rp);
        return err ? err->code : LC_ENOTFOUND;
    }
    lc_buf text = LC_BUF_INIT;
    char *parent = lc_xstrdup(store);
    *strrchr(parent, '/') = '\0';
    int rc = lc_mkdir_p(parent, 0700, err);
    if (rc == LC_OK)
        rc = store_read(store, &text, err);
    if (rc == LC_OK && !store_has(lc_buf_cstr(&text), rp)) {
        if (text.len && text.data[text.len - 1] != '\n')
            lc_buf_putc(&text, '\n');
        lc_buf_printf(&text, "%s\n", rp);
        rc = lc_file_write_atomic(store, text.data, text.len, 0600, err);
    }
    lc_buf_free(&text);
    free(parent);
    free(store);
    free(rp);
    return rc;
}

lc_project_state lc_project_state_of(const char *dir)
{
    char *path = lc_config_project_path(dir);
    struct stat st;
    bool exists = stat(path, &st) == 0;
    free(path);
    if (!exists)
        return LC_PROJECT_NONE;
    return lc_trust_is_trusted(dir) ? LC_PROJECT_TRUSTED : LC_PROJECT_UNTRUSTED;
}

int lc_trust_preview(const char *dir, lc_buf *out, lc_err *err)
{
    char *path = lc_config_project_path(dir);
    lc_config c;
    lc_config_defaults(&c);
    int rc = lc_config_load_file(&c, path, LC_LAYER_PROJECT, err);
    const lc_config_key *keys = lc_config_keys();
    for (int i = 0; rc == LC_OK && i < LC_CFG__COUNT; i++) {
        if (c.origin[i].kind != LC_ORIGIN_FILE)
            continue;
        lc_buf_printf(out, "  %s: ", keys[i].dotted);
        lc_config_print_value(&c, keys[i].id, out);
        lc_buf_putc(out, '\n');
    }
    lc_config_free(&c);
    free(path);
    return rc;
}

/* The directory as a shell word, safe on a terminal. */
static void put_shell_word(lc_buf *out, const char *s)
{
    bool plain = *s != '\0';
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+", *p))
            plain = false;
    lc_buf quoted = LC_BUF_INIT;
    if (plain) {
        lc_buf_puts(&quoted, s);
    } else {
        lc_buf_putc(&quoted, '\'');
        for (const char *p = s; *p; p++)
            if (*p == '\'')
                lc_buf_puts(&quoted, "'\\''");
            else
                lc_buf_putc(&quoted, *p);
        lc_buf_putc(&quoted, '\'');
    }
    lc_text_sanitize(quoted.data, quoted.len, 0, out);
    lc_buf_free(&quoted);
}

int lc_trust_prompt_text(const char *dir, lc_buf *out, lc_err *err)
{
    lc_buf preview = LC_BUF_INIT;
    int rc = lc_trust_preview(dir, &preview, err);
    if (rc == LC_OK) {
        lc_buf_puts(out, "The project ");
        put_shell_word(out, dir ? dir : ".");
        lc_buf_puts(out, " has a .litecode.yaml. A project file can change the sandbox image, the tool files "
                         "mounted into it and its network access, so it is read only for projects you trust. "
                         "It sets:\n");
        lc_buf_puts(out, preview.len ? lc_buf_cstr(&preview) : "  (nothing)\n");
        lc_buf_puts(out, "Trust this project and read its .litecode.yaml, now and in later sessions? [y/N] ");
    }
    lc_buf_free(&preview);
    return rc;
}

void lc_trust_refusal_text(const char *dir, lc_buf *out)
{
    lc_buf_puts(out, "The project's .litecode.yaml was not read: the project is not trusted and there is no "
                     "terminal to ask on. Read the file, then trust the project once with: litecode-tui --trust "
                     "--dir ");
    put_shell_word(out, dir ? dir : ".");
    lc_buf_putc(out, '\n');
}
